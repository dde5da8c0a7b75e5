-- The task queue's schema (aggregator/operate/task_schema.py): procrastinate's tables in schema task_queue.

-- name: select_schema_version
-- The procrastinate version the schema was installed from (the schema's comment); NULL before the first install.
SELECT obj_description(oid, 'pg_namespace') AS version FROM pg_namespace WHERE nspname = 'task_queue'

-- name: select_search_path
SELECT current_setting('search_path') AS path

-- name: set_search_path
-- For the current transaction only.
SELECT set_config('search_path', %(path)s, true)
