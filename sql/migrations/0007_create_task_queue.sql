-- The task queue of parallel compile and normalize (aggregator/tasks.py). procrastinate's own tables and functions
-- go in this schema, installed from the procrastinate package's SQL right after this file (aggregator/migrate.py),
-- and the schema's comment records the procrastinate version they came from.
CREATE SCHEMA task_queue;

-- What each finished job did, written in the job's own transaction, read by the command that queued the job.
CREATE TABLE task_queue.job_summary (
    job_id bigint PRIMARY KEY,
    summary jsonb,
    error text,
    worker text NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now()
);
