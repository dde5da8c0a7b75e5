-- Indicators (aggregator/indicators/). A group is (country, year); the year of a process is that of its tender
-- period's start, else of its release date, in UTC. Only primary processes count.

-- name: select_watermark
SELECT max(computed_at) AS v FROM indicator_value

-- name: select_touched_groups
-- The (country, year) groups of processes normalized since the last computation.
SELECT DISTINCT p.country::text AS country,
       extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::int AS year
FROM process p
WHERE p.normalized_at > %(since)s AND coalesce(p.tender_start, p.release_date) IS NOT NULL
ORDER BY 1, 2

-- name: select_group_processes
SELECT p.id, pub.name AS publisher
FROM process p
JOIN publisher pub ON pub.id = p.publisher_id
WHERE %(full)s OR (p.country::text, extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::int)
      IN (SELECT * FROM unnest(%(countries)s::text[], %(years)s::int[]))

-- name: delete_values
DELETE FROM indicator_value
WHERE %(full)s OR (country::text, year) IN (SELECT * FROM unnest(%(countries)s::text[], %(years)s::int[]))

-- name: delete_processes
DELETE FROM indicator_process
WHERE %(full)s OR (country::text, year) IN (SELECT * FROM unnest(%(countries)s::text[], %(years)s::int[]))

-- name: insert_processes
-- Each process's facts for each indicator (in scope, eligible, contribution, weight), at the three levels.
WITH base AS (
    SELECT p.id, p.ocid, p.country, pub.name AS publisher, p.buyer_org_key,
           extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::int AS year,
           p.procedure_type, p.number_of_tenderers, p.contract_count,
           p.procedure_type IN ('open', 'selective') AS competitive,
           extract(epoch FROM p.tender_end - p.tender_start) / 86400 AS tender_days,
           extract(epoch FROM a.first_award_date - p.tender_end) / 86400 AS decision_days,
           coalesce(a.n_awards, 0) AS n_awards, a.n_usd_missing, a.n_no_supplier_id, a.n_no_amount, a.awards_usd,
           CASE WHEN a.n_awards > 0 AND a.n_usd_missing = 0 AND a.awards_usd IS NOT NULL THEN a.awards_usd
                ELSE p.amount_usd END::float AS value_usd,
           k.n_compared, k.n_increased
    FROM process p
    JOIN publisher pub ON pub.id = p.publisher_id
    LEFT JOIN LATERAL (
        SELECT count(*) AS n_awards, min(w.date) AS first_award_date, sum(w.amount_usd) AS awards_usd,
               count(*) FILTER (WHERE w.amount IS NOT NULL AND w.amount_usd IS NULL) AS n_usd_missing,
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM unnest(w.supplier_org_keys) s WHERE s NOT LIKE 'name/%%')) AS n_no_supplier_id,
               count(*) FILTER (WHERE w.amount IS NULL) AS n_no_amount
        FROM award w WHERE w.process_id = p.id
    ) a ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n_compared, count(*) FILTER (WHERE c.amount > 1.2 * w.amount) AS n_increased
        FROM contract c
        JOIN award w ON w.process_id = c.process_id AND w.award_id = c.award_id
        WHERE c.process_id = p.id AND c.amount IS NOT NULL AND w.amount IS NOT NULL AND c.currency = w.currency
    ) k ON true
    WHERE p.is_primary AND coalesce(p.tender_start, p.release_date) IS NOT NULL
),
selected AS (
    SELECT * FROM base
    WHERE %(full)s OR (country::text, year) IN (SELECT * FROM unnest(%(countries)s::text[], %(years)s::int[]))
),
supplier_value AS (
    -- An award's value is split evenly among its suppliers.
    SELECT s.country, s.year, s.buyer_org_key, supplier, w.id AS award_id,
           w.amount_usd / cardinality(w.supplier_org_keys) AS value
    FROM selected s
    JOIN award w ON w.process_id = s.id
    CROSS JOIN LATERAL unnest(w.supplier_org_keys) AS supplier
    WHERE s.buyer_org_key IS NOT NULL AND w.amount_usd IS NOT NULL
),
buyer_supplier AS (
    SELECT country, year, buyer_org_key, supplier, sum(value) AS value
    FROM supplier_value
    GROUP BY country, year, buyer_org_key, supplier
),
buyer_total AS (
    SELECT country, year, buyer_org_key, count(DISTINCT award_id) AS awards, sum(value) AS total
    FROM supplier_value
    GROUP BY country, year, buyer_org_key
),
buyer_awards AS (
    SELECT s.country, s.year, s.buyer_org_key, count(*) AS awards
    FROM selected s
    JOIN award w ON w.process_id = s.id
    WHERE s.buyer_org_key IS NOT NULL
    GROUP BY s.country, s.year, s.buyer_org_key
),
buyer_hhi AS (
    SELECT t.country, t.year, t.buyer_org_key, t.awards, sum((b.value / t.total) ^ 2)::float AS hhi
    FROM buyer_total t
    JOIN buyer_supplier b USING (country, year, buyer_org_key)
    WHERE t.total > 0
    GROUP BY t.country, t.year, t.buyer_org_key, t.awards
),
facts (indicator, id, in_scope, eligible, contribution, weight) AS (
    SELECT 'single_bid_share', id, coalesce(competitive, true),
           coalesce(competitive AND number_of_tenderers IS NOT NULL, false), (number_of_tenderers = 1)::int::float,
           NULL::float
    FROM selected
    UNION ALL
    SELECT 'non_open_share', id, true, procedure_type IS NOT NULL, (procedure_type <> 'open')::int, NULL FROM selected
    UNION ALL
    SELECT 'non_open_value_share', id, true, procedure_type IS NOT NULL AND value_usd IS NOT NULL,
           CASE WHEN procedure_type <> 'open' THEN value_usd ELSE 0 END, value_usd
    FROM selected
    UNION ALL
    SELECT 'direct_award_share', id, true, procedure_type IS NOT NULL, (procedure_type = 'direct')::int, NULL
    FROM selected
    UNION ALL
    SELECT 'direct_award_value_share', id, true, procedure_type IS NOT NULL AND value_usd IS NOT NULL,
           CASE WHEN procedure_type = 'direct' THEN value_usd ELSE 0 END, value_usd
    FROM selected
    UNION ALL
    SELECT 'submission_period_days', id, coalesce(procedure_type = 'open', true),
           coalesce(procedure_type = 'open' AND tender_days >= 0, false), tender_days, NULL
    FROM selected
    UNION ALL
    SELECT 'short_submission_share', id, coalesce(procedure_type = 'open', true),
           coalesce(procedure_type = 'open' AND tender_days >= 0, false), (tender_days < 15)::int, NULL
    FROM selected
    UNION ALL
    SELECT 'decision_period_days', id, n_awards > 0 AND procedure_type IS DISTINCT FROM 'direct',
           coalesce(n_awards > 0 AND procedure_type <> 'direct' AND decision_days >= 0, false),
           decision_days, NULL
    FROM selected
    UNION ALL
    SELECT 'awards_per_process', id, coalesce(competitive, true), coalesce(competitive, false), n_awards, NULL
    FROM selected
    UNION ALL
    SELECT 'tenderers_mean', id, coalesce(competitive, true),
           coalesce(competitive AND number_of_tenderers IS NOT NULL, false), number_of_tenderers, NULL
    FROM selected
    UNION ALL
    -- weight 1 marks one process per buyer, so that the median is taken over buyers.
    -- In scope: processes with awards of buyers with 10 awards or more (or of no known buyer: missing).
    SELECT 'supplier_concentration_hhi', s.id, s.n_awards > 0 AND (s.buyer_org_key IS NULL OR ba.awards >= 10),
           coalesce(s.n_awards > 0 AND h.awards >= 10, false),
           h.hhi,
           CASE WHEN row_number() OVER (
               PARTITION BY s.country, s.year, s.buyer_org_key, coalesce(s.n_awards > 0 AND h.awards >= 10, false)
               ORDER BY s.id
           ) = 1 THEN 1 ELSE 0 END
    FROM selected s
    LEFT JOIN buyer_hhi h ON (h.country, h.year, h.buyer_org_key) = (s.country, s.year, s.buyer_org_key)
    LEFT JOIN buyer_awards ba ON (ba.country, ba.year, ba.buyer_org_key) = (s.country, s.year, s.buyer_org_key)
    UNION ALL
    SELECT 'contract_value_increase_share', id, contract_count > 0, n_compared > 0, n_increased, n_compared
    FROM selected
    UNION ALL
    SELECT 'missing_supplier_id_share', id, n_awards > 0, n_awards > 0, n_no_supplier_id, n_awards FROM selected
    UNION ALL
    SELECT 'missing_value_share', id, n_awards > 0, n_awards > 0, n_no_amount, n_awards FROM selected
    UNION ALL
    SELECT 'value_usd_total', id, n_awards > 0, n_awards > 0 AND n_usd_missing = 0, coalesce(awards_usd, 0), NULL
    FROM selected
    UNION ALL
    SELECT 'processes', id, true, true, 1, NULL FROM selected
)
INSERT INTO indicator_process (
    indicator, level, country, publisher, buyer_org_key, year, process_id, ocid, in_scope, eligible, contribution,
    weight
)
SELECT f.indicator, l.level, s.country, l.publisher, l.buyer_org_key, s.year, s.id, s.ocid, f.in_scope, f.eligible,
       f.contribution, f.weight
FROM facts f
JOIN selected s ON s.id = f.id
CROSS JOIN LATERAL (
    VALUES ('country', NULL, NULL), ('publisher', s.publisher, NULL), ('buyer', NULL, s.buyer_org_key)
) AS l (level, publisher, buyer_org_key)
WHERE l.level <> 'buyer' OR s.buyer_org_key IS NOT NULL

-- name: insert_values
-- The value of each indicator per group, by the catalogue's method; suppressed when missing_share exceeds
-- max_missing or n_eligible is below the indicator's minimum sample.
INSERT INTO indicator_value (
    indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share, suppressed
)
SELECT indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
       n_eligible < min_sample OR coalesce(missing_share > %(max_missing)s, false)
FROM (
    SELECT f.indicator, f.level, f.country, f.publisher, f.buyer_org_key, f.year, c.min_sample,
           CASE c.method
               WHEN 'mean' THEN avg(f.contribution) FILTER (WHERE f.eligible)
               WHEN 'median' THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY f.contribution) FILTER (WHERE f.eligible)
               WHEN 'ratio' THEN sum(f.contribution) FILTER (WHERE f.eligible)
                                 / nullif(sum(f.weight) FILTER (WHERE f.eligible), 0)
               WHEN 'sum' THEN sum(f.contribution) FILTER (WHERE f.eligible)
               WHEN 'count' THEN count(*) FILTER (WHERE f.eligible)
               WHEN 'median_over_buyers' THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY f.contribution)
                                              FILTER (WHERE f.eligible AND f.weight = 1)
           END AS value,
           count(*) FILTER (WHERE f.eligible) AS n_eligible,
           count(*) AS n_total,
           count(*) FILTER (WHERE f.in_scope AND NOT f.eligible)::float
               / nullif(count(*) FILTER (WHERE f.in_scope), 0) AS missing_share
    FROM indicator_process f
    JOIN unnest(%(ids)s::text[], %(methods)s::text[], %(min_samples)s::int[]) AS c (id, method, min_sample)
        ON c.id = f.indicator
    WHERE %(full)s OR (f.country::text, f.year) IN (SELECT * FROM unnest(%(countries)s::text[], %(years)s::int[]))
    GROUP BY f.indicator, f.level, f.country, f.publisher, f.buyer_org_key, f.year, c.method, c.min_sample
) v

-- name: select_values
SELECT indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
       suppressed
FROM indicator_value
WHERE level = %(level)s
  AND (%(country)s::text IS NULL OR country = %(country)s::text)
  AND (%(year)s::int IS NULL OR year = %(year)s::int)
ORDER BY country, year, publisher NULLS FIRST, buyer_org_key NULLS FIRST, indicator

-- name: select_explain
SELECT ocid, in_scope, eligible, contribution, weight
FROM indicator_process
WHERE indicator = %(indicator)s AND level = 'country' AND country = %(country)s AND year = %(year)s
ORDER BY eligible DESC, in_scope DESC, ocid
