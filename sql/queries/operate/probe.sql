-- name: update_endpoint_health
-- A probe of the publisher's endpoint: failing since the first failed probe of the current run of them.
UPDATE publisher
SET endpoint_checked_at = now(),
    endpoint_failing_since = CASE WHEN %(ok)s THEN NULL ELSE coalesce(endpoint_failing_since, now()) END,
    endpoint_problem = %(problem)s
WHERE name = %(name)s

-- name: select_endpoint_health
SELECT name, endpoint_checked_at, endpoint_failing_since, endpoint_problem
FROM publisher
ORDER BY name
