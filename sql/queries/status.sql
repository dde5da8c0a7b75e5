-- name: select_crawls
SELECT c.id, p.name AS publisher, p.country, c.kind, c.status, c.close_reason, c.started_at, c.ended_at,
       (SELECT count(*) FROM crawl_file f WHERE f.crawl_id = c.id) AS files,
       (SELECT count(*) FROM release r WHERE r.crawl_id = c.id) AS releases,
       (SELECT count(*) FROM record r WHERE r.crawl_id = c.id) AS records
FROM crawl c
JOIN publisher p ON p.id = c.publisher_id
ORDER BY c.id DESC
LIMIT %(limit)s

-- name: select_publisher_counts
SELECT p.name, p.title, p.country, p.is_sandbox,
       (SELECT count(*) FROM crawl_file f JOIN crawl c ON c.id = f.crawl_id WHERE c.publisher_id = p.id) AS files,
       (SELECT count(*) FROM release r WHERE r.publisher_id = p.id) AS releases,
       (SELECT count(*) FROM record r WHERE r.publisher_id = p.id) AS records,
       (SELECT count(*) FROM compiled_release c WHERE c.publisher_id = p.id) AS compiled_releases,
       n.info, n.warning, n.error
FROM publisher p
CROSS JOIN LATERAL (
    SELECT coalesce(sum(count) FILTER (WHERE level = 'info'), 0) AS info,
           coalesce(sum(count) FILTER (WHERE level = 'warning'), 0) AS warning,
           coalesce(sum(count) FILTER (WHERE level = 'error'), 0) AS error
    FROM note WHERE publisher_id = p.id
) n
WHERE %(names)s::text[] IS NULL OR p.name = ANY(%(names)s::text[])
ORDER BY p.country, p.name

-- name: select_notes_by_code
SELECT p.name AS publisher, n.stage, n.level::text AS level, n.code, sum(n.count) AS count
FROM note n
LEFT JOIN publisher p ON p.id = n.publisher_id
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4

-- name: select_run_by_country
-- What one run (these crawls, and the notes written since it started) made, per country.
WITH p AS (
    SELECT * FROM publisher WHERE name = ANY(%(names)s)
)
SELECT p.country,
       count(*) AS publishers,
       sum((SELECT count(*) FROM crawl_file f WHERE f.crawl_id = ANY(%(crawl_ids)s)
            AND f.crawl_id IN (SELECT id FROM crawl WHERE publisher_id = p.id))) AS files,
       sum((SELECT count(*) FROM release r WHERE r.publisher_id = p.id AND r.crawl_id = ANY(%(crawl_ids)s)))
           AS releases,
       sum((SELECT count(*) FROM record r WHERE r.publisher_id = p.id AND r.crawl_id = ANY(%(crawl_ids)s)))
           AS records,
       sum((SELECT count(*) FROM compiled_release c WHERE c.publisher_id = p.id)) AS compiled_releases,
       sum(n.error) AS error, sum(n.warning) AS warning, sum(n.info) AS info
FROM p
CROSS JOIN LATERAL (
    SELECT coalesce(sum(count) FILTER (WHERE level = 'error'), 0) AS error,
           coalesce(sum(count) FILTER (WHERE level = 'warning'), 0) AS warning,
           coalesce(sum(count) FILTER (WHERE level = 'info'), 0) AS info
    FROM note
    WHERE publisher_id = p.id AND (crawl_id = ANY(%(crawl_ids)s) OR (crawl_id IS NULL AND created_at >= %(since)s))
) n
GROUP BY p.country
ORDER BY p.country
