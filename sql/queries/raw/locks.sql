-- name: try_lock
SELECT pg_try_advisory_lock(%(kind)s::int, %(key)s::int) AS locked

-- name: lock
SELECT pg_advisory_lock(%(kind)s::int, %(key)s::int)

-- name: unlock
SELECT pg_advisory_unlock(%(kind)s::int, %(key)s::int)
