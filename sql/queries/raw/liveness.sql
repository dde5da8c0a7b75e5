-- name: beat
UPDATE crawl SET heartbeat_at = now() WHERE id = %(id)s AND status = 'running'

-- name: close_interrupted
-- Rows from before heartbeats (NULL) count from their start.
UPDATE crawl c
SET status = 'interrupted',
    close_reason = coalesce(c.close_reason, 'interrupted'),
    ended_at = coalesce(c.heartbeat_at, c.started_at)
WHERE c.status = 'running' AND coalesce(c.heartbeat_at, c.started_at) < now() - %(lease)s::interval
RETURNING c.id, c.kind, c.publisher_id, c.ended_at,
          (SELECT count(*) FROM crawl_file f WHERE f.crawl_id = c.id) AS files

-- name: queue_interrupted_ocids
INSERT INTO compile_queue (publisher_id, ocid)
SELECT publisher_id, ocid FROM release WHERE crawl_id = ANY(%(ids)s::bigint[])
UNION
SELECT publisher_id, ocid FROM record WHERE crawl_id = ANY(%(ids)s::bigint[])
ON CONFLICT (publisher_id, ocid) DO UPDATE SET queued_at = now()

-- name: select_presumed_interrupted
-- What close_interrupted would close, for a session that may not write.
SELECT c.id
FROM crawl c
WHERE c.status = 'running' AND coalesce(c.heartbeat_at, c.started_at) < now() - %(lease)s::interval
