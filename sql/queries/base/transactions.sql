-- name: repeatable_read
-- The first statement of a transaction that reads, writes and dequeues from one snapshot (aggregator/db.py:
-- in_snapshot).
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
