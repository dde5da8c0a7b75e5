-- name: select_session
-- Who this session is, and whether it may write what every writing command writes first (a crawl's or load's row,
-- notes, the compile queue: what closing interrupted runs writes). A read-only transaction (a standby, or
-- default_transaction_read_only) writes nothing, whatever the privileges.
SELECT current_user AS role,
       current_setting('transaction_read_only') = 'off'
       AND has_table_privilege('crawl', 'INSERT') -- one privilege a call: a list is true when any one is held
       AND has_table_privilege('crawl', 'UPDATE')
       AND has_table_privilege('note', 'INSERT')
       AND has_table_privilege('compile_queue', 'INSERT') AS can_write

-- name: select_role
SELECT rolname AS name, rolsuper AS superuser, rolcanlogin AS login FROM pg_roles WHERE rolname = %(role)s

-- name: select_schemas
-- The schemas that hold ocds-atlas's tables: the one its migrations run in (where schema_migration is), and the
-- task queue's.
SELECT n.nspname AS name
FROM pg_namespace n
WHERE n.oid = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass('schema_migration'))
   OR n.nspname = %(task_schema)s
ORDER BY n.nspname

-- name: select_owners
-- The roles that own tables in those schemas, and this one: later migrations create tables as one of them.
SELECT DISTINCT pg_get_userbyid(c.relowner) AS name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION
SELECT current_user
ORDER BY 1

-- name: select_writes
-- What the role may do that writes, in those schemas, however it holds it (granted, through PUBLIC, through a role
-- it belongs to, as an owner or a superuser): write a table or view, advance a sequence, create in a schema.
SELECT format('%%I.%%I', n.nspname, c.relname) AS object, p.privilege
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p (privilege)
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND has_table_privilege(%(role)s, c.oid, p.privilege)
UNION ALL
SELECT format('%%I.%%I', n.nspname, c.relname), p.privilege
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN unnest(ARRAY['USAGE', 'UPDATE']) AS p (privilege)
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind = 'S'
  AND has_sequence_privilege(%(role)s, c.oid, p.privilege)
UNION ALL
SELECT format('%%I', n.nspname), 'CREATE'
FROM pg_namespace n
WHERE n.nspname = ANY(%(schemas)s) AND has_schema_privilege(%(role)s, n.oid, 'CREATE')
ORDER BY 1, 2

-- name: select_unreadable
-- The tables and views in those schemas that the role still cannot read (a grant by a role that does not own
-- them grants nothing, with a mere warning).
SELECT format('%%I.%%I', n.nspname, c.relname) AS object
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT has_table_privilege(%(role)s, c.oid, 'SELECT')
ORDER BY 1

-- name: select_can_connect
SELECT has_database_privilege(%(role)s, current_database(), 'CONNECT') AS can_connect
