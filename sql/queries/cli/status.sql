-- name: select_crawls
SELECT c.id, p.name AS publisher, p.country, c.kind, c.status, c.close_reason, c.started_at, c.ended_at,
       (SELECT count(*) FROM crawl_file f WHERE f.crawl_id = c.id) AS files,
       (SELECT count(*) FROM release r WHERE r.crawl_id = c.id) AS releases,
       (SELECT count(*) FROM record r WHERE r.crawl_id = c.id) AS records,
       to_char(100 * c.error_rate, 'FM990.0') || ' %%' AS failed_requests,
       array_to_string(ARRAY(SELECT jsonb_array_elements_text(c.acceptance -> 'reasons')), '; ') AS not_accepted_because
FROM crawl c
JOIN publisher p ON p.id = c.publisher_id
ORDER BY c.id DESC
LIMIT %(limit)s

-- name: select_publisher_counts
SELECT p.name, p.title, p.country, p.is_sandbox,
       (SELECT count(*) FROM crawl_file f JOIN crawl c ON c.id = f.crawl_id WHERE c.publisher_id = p.id) AS files,
       (SELECT count(*) FROM release r JOIN crawl c ON c.id = r.crawl_id
        WHERE r.publisher_id = p.id AND c.status <> 'interrupted') AS releases,
       (SELECT count(*) FROM record r JOIN crawl c ON c.id = r.crawl_id
        WHERE r.publisher_id = p.id AND c.status <> 'interrupted') AS records,
       (SELECT count(*) FROM compiled_release c WHERE c.publisher_id = p.id) AS compiled_releases,
       n.info, n.warning, n.error, p.endpoint_failing_since,
       -- Kept, not compiled: what crawls and loads that died stored.
       (SELECT count(*) FROM release r JOIN crawl c ON c.id = r.crawl_id
        WHERE r.publisher_id = p.id AND c.status = 'interrupted') AS interrupted_releases
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

-- name: select_normalized_by_country
-- The normalized layer per publisher country: processes (one per process key), awards, contracts, organizations
-- appearing in the country's processes by how they are keyed, and the share of amounts converted to USD.
WITH processes AS (
    SELECT country, count(*) FILTER (WHERE is_primary) AS processes,
           count(*) FILTER (WHERE buyer_country IS NOT NULL) AS buyer_country_known,
           count(*) FILTER (WHERE procedure_type IS NOT NULL) AS procedure_type_known
    FROM process GROUP BY country
),
amounts AS (
    SELECT p.country,
           count(*) FILTER (WHERE v.kind = 'award') AS awards,
           count(*) FILTER (WHERE v.kind = 'contract') AS contracts,
           count(v.amount) AS amounts,
           count(v.amount_usd) AS converted
    FROM (
        SELECT process_id, 'tender' AS kind, amount, amount_usd FROM (SELECT id AS process_id, amount, amount_usd
                                                                       FROM process) t
        UNION ALL SELECT process_id, 'award', amount, amount_usd FROM award
        UNION ALL SELECT process_id, 'contract', amount, amount_usd FROM contract
    ) v
    JOIN process p ON p.id = v.process_id
    GROUP BY p.country
),
organizations AS (
    SELECT p.country,
           count(DISTINCT o.org_key) FILTER (WHERE o.method = 'identifier') AS by_identifier,
           count(DISTINCT o.org_key) FILTER (WHERE o.method = 'name_exact') AS by_name_exact,
           count(DISTINCT o.org_key) FILTER (WHERE o.method = 'name_normalized') AS by_name_normalized
    FROM process_party pp
    JOIN process p ON p.id = pp.process_id
    JOIN organization o ON o.org_key = pp.org_key
    GROUP BY p.country
)
SELECT pr.country, pr.processes, coalesce(a.awards, 0) AS awards, coalesce(a.contracts, 0) AS contracts,
       coalesce(o.by_identifier, 0) AS orgs_by_identifier, coalesce(o.by_name_exact, 0) AS orgs_by_name_exact,
       coalesce(o.by_name_normalized, 0) AS orgs_by_name_normalized,
       coalesce(a.amounts, 0) AS amounts,
       CASE WHEN a.amounts > 0 THEN to_char(100.0 * a.converted / a.amounts, 'FM990.0') || ' %%' END AS converted,
       pr.buyer_country_known, pr.procedure_type_known
FROM processes pr
LEFT JOIN amounts a ON a.country = pr.country
LEFT JOIN organizations o ON o.country = pr.country
ORDER BY pr.country

-- name: select_crawls_for_monitoring
-- The recent crawls and loads as numbers and values (`ocds-atlas status --format json`).
SELECT c.id, p.name AS publisher, p.spider, p.country, c.kind, c.status, c.close_reason, c.started_at, c.ended_at,
       extract(epoch FROM c.ended_at - c.started_at)::float AS duration_seconds,
       (SELECT count(*) FROM crawl_file f WHERE f.crawl_id = c.id) AS files,
       (SELECT count(*) FROM release r WHERE r.crawl_id = c.id) AS releases,
       (SELECT count(*) FROM record r WHERE r.crawl_id = c.id) AS records,
       c.error_rate, (c.acceptance ->> 'accepted')::boolean AS accepted,
       coalesce(c.acceptance -> 'reasons', '[]'::jsonb) AS reasons, c.high_water_mark, c.files_pruned_at
FROM crawl c
JOIN publisher p ON p.id = c.publisher_id
ORDER BY c.id DESC
LIMIT %(limit)s

-- name: select_last_crawl_per_publisher
SELECT DISTINCT ON (c.publisher_id) p.name AS publisher, c.id, c.status, c.started_at, c.ended_at
FROM crawl c
JOIN publisher p ON p.id = c.publisher_id
WHERE c.kind = 'crawl'
ORDER BY c.publisher_id, c.id DESC

-- name: select_compile_queue
SELECT p.name AS publisher, count(*) AS ocids
FROM compile_queue q
JOIN publisher p ON p.id = q.publisher_id
GROUP BY p.name
ORDER BY p.name

-- name: select_task_queue_exists
SELECT to_regclass('task_queue.procrastinate_jobs') IS NOT NULL AS present

-- name: select_task_queue
SELECT queue_name AS queue, status::text AS status, count(*) AS jobs
FROM task_queue.procrastinate_jobs
GROUP BY 1, 2
ORDER BY 1, 2
