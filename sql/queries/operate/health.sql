-- name: select_publisher_health
SELECT update_frequency, newest_release_at FROM publisher WHERE id = %(id)s

-- name: select_crawl_history
-- A publisher's closed crawls (loads from disk say nothing about its endpoint), oldest first.
SELECT ended_at, status = 'finished' AS accepted
FROM crawl
WHERE publisher_id = %(publisher_id)s AND kind = 'crawl' AND status <> 'running' AND ended_at IS NOT NULL
ORDER BY ended_at, id

-- name: update_publisher_health
UPDATE publisher
SET last_crawl_at = %(last_crawl_at)s,
    last_success_at = %(last_success_at)s,
    failing_since = %(failing_since)s,
    newest_release_at = %(newest_release_at)s
WHERE id = %(id)s

-- name: select_health
-- Every publisher's metadata and health facts (its status is computed from them when read: aggregator/health.py).
SELECT name, spider, title, country, region, level, url, licence, ocds_version, data_type, update_frequency,
       ocid_prefixes, is_sandbox, via, via_url,
       last_crawl_at, last_success_at, failing_since, newest_release_at,
       endpoint_checked_at, endpoint_failing_since, endpoint_problem
FROM publisher
ORDER BY name
