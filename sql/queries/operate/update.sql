-- name: try_lock
-- One `ocds-atlas update` at a time, on every machine that reaches this database: a session-level advisory lock
-- on a fixed pair of keys (1868784739 is "ocds" in ASCII; 1 is the update). The two-key form has a key space of
-- its own, apart from single bigint keys. The lock goes with the session, so a run that dies releases it.
SELECT pg_try_advisory_lock(1868784739, 1) AS locked

-- name: unlock
SELECT pg_advisory_unlock(1868784739, 1) AS unlocked

-- name: select_now
SELECT now() AS now

-- name: select_history
-- Every publisher that a spider crawls, with its update frequency, when its last accepted crawl and its last
-- closed crawl ended, and its latest crawl (whatever became of it).
SELECT p.name, p.is_sandbox, p.update_frequency,
       (SELECT max(c.ended_at) FROM crawl c
        WHERE c.publisher_id = p.id AND c.kind = 'crawl' AND c.status = 'finished') AS last_success,
       (SELECT max(c.ended_at) FROM crawl c
        WHERE c.publisher_id = p.id AND c.kind = 'crawl' AND c.status <> 'running') AS last_closed,
       latest.started_at AS last_started, latest.status AS last_status,
       p.endpoint_checked_at, p.endpoint_failing_since
FROM publisher p
LEFT JOIN LATERAL (
    SELECT c.started_at, c.status FROM crawl c
    WHERE c.publisher_id = p.id AND c.kind = 'crawl'
    ORDER BY c.id DESC
    LIMIT 1
) latest ON true
WHERE p.spider IS NOT NULL
ORDER BY p.name
