-- The task queue (aggregator/tasks.py, aggregator/worker.py). procrastinate's tables live in schema task_queue.

-- name: lock_job
-- Two runs of one job (a worker presumed dead that was only slow) take turns; the second finds the first's summary.
SELECT pg_advisory_xact_lock(1952541541, mod(%(job_id)s::bigint, 2147483647)::int)

-- name: lock_job_session
-- lock_job for a job whose transaction is repeatable read (compile's): taken before the transaction, whose snapshot
-- would otherwise be taken before the lock was had, and miss the summary of the run that held it.
SELECT pg_advisory_lock(1952541541, mod(%(job_id)s::bigint, 2147483647)::int)

-- name: unlock_job_session
SELECT pg_advisory_unlock(1952541541, mod(%(job_id)s::bigint, 2147483647)::int)

-- name: select_summary
SELECT summary FROM task_queue.job_summary WHERE job_id = %(job_id)s AND summary IS NOT NULL

-- name: insert_summary
INSERT INTO task_queue.job_summary (job_id, summary, worker) VALUES (%(job_id)s, %(summary)s, %(worker)s)
ON CONFLICT (job_id) DO UPDATE SET summary = excluded.summary, error = NULL, worker = excluded.worker,
                                   finished_at = now()

-- name: record_error
INSERT INTO task_queue.job_summary (job_id, error, worker) VALUES (%(job_id)s, %(error)s, %(worker)s)
ON CONFLICT (job_id) DO UPDATE SET error = excluded.error, worker = excluded.worker, finished_at = now()
WHERE task_queue.job_summary.summary IS NULL

-- name: defer_job
-- What procrastinate's defer runs (its defer_jobs query), for one job whose fields are bound one by one: procrastinate
-- binds an array of records, whose text psycopg escapes quote by quote, with a regular expression's template each
-- time (a compile batch's 500 quoted OCIDs: half a CPU second for the 80 batches of 204 MB). Run on procrastinate's
-- own connection, which sees its schema first.
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[
    ROW(%(queue)s, %(task)s, %(priority)s, %(lock)s, %(queueing_lock)s, %(args)s, NULL)::procrastinate_job_to_defer_v1
])) AS id

-- name: select_live_job
-- The job of this batch that waits or runs already (queued by another command, or by one that died), to wait for it
-- instead of queueing the batch twice. The waiting one first: a running one beside it is a dead worker's, which
-- recovery ends (it could not go back in the queue beside the other).
SELECT id FROM task_queue.procrastinate_jobs WHERE queueing_lock = %(lock)s AND status IN ('todo', 'doing')
ORDER BY status = 'todo' DESC, id
LIMIT 1

-- name: select_job_states
SELECT j.id, j.status::text AS status, s.summary IS NOT NULL AS summarized, s.error
FROM task_queue.procrastinate_jobs j
LEFT JOIN task_queue.job_summary s ON s.job_id = j.id
WHERE j.id = ANY(%(ids)s)

-- name: select_summaries
-- In the order the jobs were queued: summed in that order, they list examples as one process would.
SELECT job_id, summary FROM task_queue.job_summary WHERE job_id = ANY(%(ids)s) AND summary IS NOT NULL
ORDER BY job_id

-- name: prune_finished_jobs
-- Jobs that succeeded a week ago or more, and their summaries: read long since by the commands that queued them.
WITH deleted AS (
    DELETE FROM task_queue.procrastinate_jobs
    WHERE status = 'succeeded'
      AND id IN (SELECT job_id FROM task_queue.job_summary WHERE finished_at < now() - interval '7 days')
    RETURNING id
)
DELETE FROM task_queue.job_summary WHERE job_id IN (SELECT id FROM deleted)

-- name: select_backlog
-- What is left to do in the whole queue: waiting (or due for a retry) and running jobs.
SELECT count(*) FILTER (WHERE status = 'todo') AS todo, count(*) FILTER (WHERE status = 'doing') AS doing
FROM task_queue.procrastinate_jobs
WHERE queue_name = %(queue)s
