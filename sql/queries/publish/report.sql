-- name: select_indicator_table
-- Whether the indicators' table exists yet (it is created by a later migration than the normalized layer).
SELECT to_regclass('indicator_value') IS NOT NULL AS present

-- name: select_indicator_values
-- Indicator values at one level ('country' or 'publisher'), optionally of one country; the all-years value
-- (year NULL) first.
SELECT indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
       suppressed, computed_at
FROM indicator_value
WHERE level = %(level)s AND (%(country)s::text IS NULL OR country = %(country)s::text)
ORDER BY indicator, country, publisher, year NULLS FIRST

-- name: select_countries
-- Every country that has a publisher, with how many.
SELECT country, count(*) AS publishers
FROM publisher
GROUP BY country
ORDER BY country

-- name: select_publisher_health
-- The publishers of a country, their last crawl or load and what it stored.
SELECT p.name, p.title, p.level, p.ocds_version, p.data_type, p.is_sandbox,
       c.id AS crawl_id, c.kind, c.status, c.close_reason, c.started_at, c.ended_at, c.error_rate,
       array_to_string(ARRAY(SELECT jsonb_array_elements_text(c.acceptance -> 'reasons')), '; ') AS reasons,
       (SELECT count(*) FROM crawl x WHERE x.publisher_id = p.id) AS crawls,
       (SELECT count(*) FROM release r WHERE r.publisher_id = p.id) AS releases,
       (SELECT count(*) FROM record r WHERE r.publisher_id = p.id) AS records,
       (SELECT count(*) FROM compiled_release r WHERE r.publisher_id = p.id) AS compiled_releases
FROM publisher p
LEFT JOIN LATERAL (
    SELECT * FROM crawl WHERE publisher_id = p.id ORDER BY started_at DESC, id DESC LIMIT 1
) c ON true
WHERE p.country = %(country)s
ORDER BY p.name

-- name: select_notes_by_kind
-- The notes of a country's publishers by stage, level and code, with one example message.
SELECT n.stage, n.level::text AS level, n.code, sum(n.count) AS count,
       string_agg(DISTINCT p.name, ', ') AS publishers, min(n.message) AS example
FROM note n
JOIN publisher p ON p.id = n.publisher_id
WHERE p.country = %(country)s
GROUP BY n.stage, n.level, n.code
ORDER BY CASE n.level WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, n.stage, n.code

-- name: select_process_coverage
-- How many of a country's processes (primary rows) have each field the indicators read.
SELECT count(*) AS total,
       count(buyer_org_key) AS buyer,
       count(procedure_type) AS procedure_type,
       count(number_of_tenderers) AS number_of_tenderers,
       count(*) FILTER (WHERE tender_start IS NOT NULL AND tender_end IS NOT NULL) AS tender_period,
       count(amount) AS tender_value,
       count(amount_usd) AS tender_value_usd,
       count(main_procurement_category) AS main_procurement_category,
       count(release_date) AS release_date
FROM process
WHERE country = %(country)s AND is_primary

-- name: select_award_coverage
-- How many of a country's awards have each field the indicators read.
SELECT count(*) AS total,
       count(*) FILTER (WHERE cardinality(a.supplier_org_keys) > 0) AS supplier,
       count(a.date) AS award_date,
       count(a.amount) AS award_value,
       count(a.amount_usd) AS award_value_usd
FROM award a
JOIN process p ON p.id = a.process_id
WHERE p.country = %(country)s AND p.is_primary

-- name: select_contract_coverage
-- How many of a country's contracts have each field the indicators read.
SELECT count(*) AS total,
       count(c.date_signed) AS date_signed,
       count(c.amount) AS contract_value,
       count(c.amount_usd) AS contract_value_usd
FROM contract c
JOIN process p ON p.id = c.process_id
WHERE p.country = %(country)s AND p.is_primary

-- name: select_quality_checks
-- The consistency checks of a country's publishers, failures first, with a few failing OCIDs.
SELECT q.publisher, q.check_id, q.n_checked, q.n_passed, q.n_failed,
       array_to_string(q.examples[1:3], ', ') AS examples
FROM quality_check q
JOIN publisher p ON p.name = q.publisher
WHERE p.country = %(country)s
ORDER BY q.n_failed DESC, q.publisher, q.check_id

-- name: select_red_flag_table
SELECT to_regclass('red_flag') IS NOT NULL AS present

-- name: select_red_flag_counts
-- Per publisher, year (tender period's start, else release date) and flag: the processes it was raised on (flags
-- raised on parties have no process, and no year).
SELECT pub.name AS publisher,
       extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::integer AS year,
       f.code AS flag, count(DISTINCT p.id)::integer AS flagged
FROM red_flag f
JOIN publisher pub ON pub.name = f.publisher
JOIN process p ON p.publisher_id = pub.id AND p.ocid = f.ocid AND p.is_primary
WHERE f.ocid IS NOT NULL AND coalesce(p.tender_start, p.release_date) IS NOT NULL
GROUP BY 1, 2, 3

-- name: select_year_counts
-- Per publisher and year: its processes (each process once).
SELECT pub.name AS publisher,
       extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::integer AS year,
       count(*)::integer AS n
FROM process p
JOIN publisher pub ON pub.id = p.publisher_id
WHERE p.is_primary AND coalesce(p.tender_start, p.release_date) IS NOT NULL
GROUP BY 1, 2

-- name: select_publishers
-- Every publisher, its declaration, the dates its data cover (as tables/publisher gives them) and its health.
SELECT p.name, p.title, p.country, p.level, p.region, p.url, p.licence, p.update_frequency, p.is_sandbox,
       p.last_crawl_at, p.last_success_at, p.failing_since, p.newest_release_at,
       cov.coverage_start, cov.coverage_end, cov.compiled_releases
FROM publisher p
LEFT JOIN LATERAL (
    SELECT (min(s.d) FILTER (WHERE s.d <= lim.at) AT TIME ZONE 'UTC')::date AS coverage_start,
           (max(s.d) FILTER (WHERE s.d <= lim.at) AT TIME ZONE 'UTC')::date AS coverage_end,
           (SELECT count(*) FROM compiled_release c WHERE c.publisher_id = p.id)::integer AS compiled_releases
    FROM (SELECT coalesce(x.tender_start, x.release_date) AS d FROM process x WHERE x.publisher_id = p.id) s
    CROSS JOIN (SELECT coalesce(max(started_at), 'infinity') AS at FROM crawl WHERE publisher_id = p.id) lim
) cov ON true
ORDER BY p.country, p.name
