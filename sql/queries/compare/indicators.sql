-- Indicators by delta (aggregator/compare/facts.py). A group is a country, a publisher or a buyer, and a year; the
-- year of a process is that of its tender period's start, else of its release date, in UTC. Only primary
-- processes count. The temporary tables changed, new_fact and touched are the refresh's own (facts.py).

-- name: take_dirty
-- The processes changed since this part last ran, taken off the list (in the refresh's transaction).
WITH taken AS (DELETE FROM compare_dirty WHERE part = %(part)s RETURNING process_id)
INSERT INTO changed (process_id) SELECT process_id FROM taken

-- name: clear_dirty
DELETE FROM compare_dirty WHERE part = %(part)s

-- name: take_all
-- A full refresh: every process (after the facts were emptied).
INSERT INTO changed (process_id) SELECT id FROM process

-- name: insert_new_facts
-- The facts of the changed processes that count (primary, with a year), without what comes from their buyer's.
INSERT INTO new_fact (
    process_id, ocid, country, publisher, buyer_org_key, year, procedure_type, number_of_tenderers, contract_count,
    tender_days, decision_days, n_awards, n_usd_missing, n_no_supplier_id, n_no_amount, awards_usd, value_usd,
    n_compared, n_increased, valued_awards, suppliers, supplier_values
)
SELECT p.id, p.ocid, p.country, pub.name, p.buyer_org_key,
       extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::int,
       p.procedure_type, p.number_of_tenderers, p.contract_count,
       extract(epoch FROM p.tender_end - p.tender_start) / 86400,
       extract(epoch FROM a.first_award_date - p.tender_end) / 86400,
       coalesce(a.n_awards, 0), coalesce(a.n_usd_missing, 0), coalesce(a.n_no_supplier_id, 0),
       coalesce(a.n_no_amount, 0), a.awards_usd,
       CASE WHEN a.n_awards > 0 AND a.n_usd_missing = 0 AND a.awards_usd IS NOT NULL THEN a.awards_usd
            ELSE p.amount_usd END::float,
       coalesce(k.n_compared, 0), coalesce(k.n_increased, 0),
       coalesce(a.valued_awards, 0), coalesce(s.suppliers, '{}'), coalesce(s.supplier_values, '{}')
FROM changed c
JOIN process p ON p.id = c.process_id
JOIN publisher pub ON pub.id = p.publisher_id
LEFT JOIN LATERAL (
    SELECT count(*) AS n_awards, min(w.date) AS first_award_date, sum(w.amount_usd) AS awards_usd,
           count(*) FILTER (WHERE w.amount IS NOT NULL AND w.amount_usd IS NULL) AS n_usd_missing,
           count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM unnest(w.supplier_org_keys) s WHERE s NOT LIKE 'name/%%')) AS n_no_supplier_id,
           count(*) FILTER (WHERE w.amount IS NULL) AS n_no_amount,
           count(*) FILTER (WHERE w.amount_usd IS NOT NULL AND cardinality(w.supplier_org_keys) > 0) AS valued_awards
    FROM award w WHERE w.process_id = p.id
) a ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n_compared, count(*) FILTER (WHERE c.amount > 1.2 * w.amount) AS n_increased
    FROM contract c
    JOIN award w ON w.process_id = c.process_id AND w.award_id = c.award_id
    WHERE c.process_id = p.id AND c.amount IS NOT NULL AND w.amount IS NOT NULL AND c.currency = w.currency
) k ON true
LEFT JOIN LATERAL (
    -- An award's value is split evenly among its suppliers; summed per supplier over the process's awards.
    SELECT array_agg(supplier ORDER BY supplier) AS suppliers, array_agg(value ORDER BY supplier) AS supplier_values
    FROM (
        SELECT supplier, sum(w.amount_usd / cardinality(w.supplier_org_keys)) AS value
        FROM award w CROSS JOIN LATERAL unnest(w.supplier_org_keys) AS supplier
        WHERE w.process_id = p.id AND w.amount_usd IS NOT NULL
        GROUP BY supplier
    ) per_supplier
) s ON true
WHERE p.is_primary AND coalesce(p.tender_start, p.release_date) IS NOT NULL

-- name: insert_buyer_neighbours
-- The unchanged processes of the buyers (in a country and year) that changed processes leave or join: their
-- supplier concentration is recomputed with the buyer's.
WITH buyers AS (
    SELECT DISTINCT country, year, buyer_org_key FROM (
        SELECT country, year, buyer_org_key FROM new_fact
        UNION ALL
        SELECT f.country, f.year, f.buyer_org_key FROM indicator_fact f JOIN changed c USING (process_id)
    ) b
    WHERE buyer_org_key IS NOT NULL
),
neighbours AS (
    INSERT INTO new_fact
    SELECT f.* FROM indicator_fact f
    JOIN buyers b USING (country, year, buyer_org_key)
    WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.process_id = f.process_id)
    RETURNING process_id
)
INSERT INTO changed (process_id) SELECT process_id FROM neighbours

-- name: update_buyer_facts
-- Each buyer's awards, and the concentration of its suppliers' shares of its awarded value (USD), from the facts of
-- all its processes in the country and year (all of them are in new_fact by now).
WITH per_buyer AS (
    SELECT country, year, buyer_org_key, sum(n_awards) AS awards, sum(valued_awards) AS valued_awards
    FROM new_fact WHERE buyer_org_key IS NOT NULL
    GROUP BY country, year, buyer_org_key
),
per_supplier AS (
    SELECT n.country, n.year, n.buyer_org_key, v.supplier, sum(v.value) AS value
    FROM new_fact n CROSS JOIN LATERAL unnest(n.suppliers, n.supplier_values) AS v (supplier, value)
    WHERE n.buyer_org_key IS NOT NULL
    GROUP BY n.country, n.year, n.buyer_org_key, v.supplier
),
totals AS (
    SELECT country, year, buyer_org_key, sum(value) AS total FROM per_supplier GROUP BY country, year, buyer_org_key
),
hhi AS (
    SELECT s.country, s.year, s.buyer_org_key, sum((s.value / t.total) ^ 2)::float AS hhi
    FROM per_supplier s
    JOIN totals t USING (country, year, buyer_org_key)
    WHERE t.total > 0
    GROUP BY s.country, s.year, s.buyer_org_key
),
facts AS (
    SELECT n.process_id, n.country, n.year, n.buyer_org_key, b.awards AS buyer_awards,
           CASE WHEN h.hhi IS NOT NULL THEN b.valued_awards END AS hhi_awards, h.hhi,
           coalesce(n.n_awards > 0 AND h.hhi IS NOT NULL AND b.valued_awards >= 10, false) AS eligible
    FROM new_fact n
    LEFT JOIN per_buyer b USING (country, year, buyer_org_key)
    LEFT JOIN hhi h USING (country, year, buyer_org_key)
)
UPDATE new_fact n SET buyer_awards = f.buyer_awards, hhi_awards = f.hhi_awards, hhi = f.hhi,
       -- weight 1 marks one process per buyer (the first), so that the median is taken over buyers.
       hhi_weight = CASE WHEN n.buyer_org_key IS NOT NULL AND row_number = 1 THEN 1 ELSE 0 END
FROM (
    SELECT f.*, row_number() OVER (PARTITION BY f.country, f.year, f.buyer_org_key, f.eligible ORDER BY f.process_id)
    FROM facts f
) f
WHERE n.process_id = f.process_id

-- name: expand_facts
-- Each indicator's in scope, eligible, contribution and weight, from one process's facts f (see the catalogue).
SELECT * FROM (VALUES
    ('single_bid_share', coalesce(f.procedure_type IN ('open', 'selective'), true),
     coalesce(f.procedure_type IN ('open', 'selective') AND f.number_of_tenderers IS NOT NULL, false),
     (f.number_of_tenderers = 1)::int::float, NULL::float),
    ('non_open_share', true, f.procedure_type IS NOT NULL, (f.procedure_type <> 'open')::int::float, NULL),
    ('non_open_value_share', true, f.procedure_type IS NOT NULL AND f.value_usd IS NOT NULL,
     CASE WHEN f.procedure_type <> 'open' THEN f.value_usd ELSE 0 END, f.value_usd),
    ('direct_award_share', true, f.procedure_type IS NOT NULL, (f.procedure_type = 'direct')::int::float, NULL),
    ('direct_award_value_share', true, f.procedure_type IS NOT NULL AND f.value_usd IS NOT NULL,
     CASE WHEN f.procedure_type = 'direct' THEN f.value_usd ELSE 0 END, f.value_usd),
    ('submission_period_days', coalesce(f.procedure_type = 'open', true),
     coalesce(f.procedure_type = 'open' AND f.tender_days >= 0, false), f.tender_days, NULL),
    ('short_submission_share', coalesce(f.procedure_type = 'open', true),
     coalesce(f.procedure_type = 'open' AND f.tender_days >= 0, false), (f.tender_days < 15)::int::float, NULL),
    ('decision_period_days', f.n_awards > 0 AND f.procedure_type IS DISTINCT FROM 'direct',
     coalesce(f.n_awards > 0 AND f.procedure_type <> 'direct' AND f.decision_days >= 0, false), f.decision_days,
     NULL),
    ('awards_per_process', coalesce(f.procedure_type IN ('open', 'selective'), true),
     coalesce(f.procedure_type IN ('open', 'selective'), false), f.n_awards::float, NULL),
    ('tenderers_mean', coalesce(f.procedure_type IN ('open', 'selective'), true),
     coalesce(f.procedure_type IN ('open', 'selective') AND f.number_of_tenderers IS NOT NULL, false),
     f.number_of_tenderers::float, NULL),
    -- In scope: processes with awards of buyers with 10 awards or more (or of no known buyer: missing).
    ('supplier_concentration_hhi', f.n_awards > 0 AND (f.buyer_org_key IS NULL OR f.buyer_awards >= 10),
     coalesce(f.n_awards > 0 AND f.hhi_awards >= 10, false), f.hhi, f.hhi_weight),
    ('contract_value_increase_share', f.contract_count > 0, f.n_compared > 0, f.n_increased::float,
     f.n_compared::float),
    ('missing_supplier_id_share', f.n_awards > 0, f.n_awards > 0, f.n_no_supplier_id::float, f.n_awards::float),
    ('missing_value_share', f.n_awards > 0, f.n_awards > 0, f.n_no_amount::float, f.n_awards::float),
    ('value_usd_total', f.n_awards > 0, f.n_awards > 0 AND f.n_usd_missing = 0, coalesce(f.awards_usd, 0), NULL),
    ('processes', true, true, 1, NULL)
) AS x (indicator, in_scope, eligible, contribution, weight)

-- name: delta_by_group
-- The changed processes' new facts (+1) less their old facts (-1), per indicator and group, at the three levels;
-- unchanged facts are left out. Composed with expand_facts by facts.py.
INSERT INTO delta_rows
WITH signed AS (
    SELECT -1 AS sign, o.* FROM indicator_fact o JOIN changed c USING (process_id)
    WHERE NOT EXISTS (SELECT 1 FROM new_fact n WHERE n.process_id = o.process_id AND to_jsonb(n) = to_jsonb(o))
    UNION ALL
    SELECT 1, n.* FROM new_fact n
    WHERE NOT EXISTS (SELECT 1 FROM indicator_fact o WHERE o.process_id = n.process_id AND to_jsonb(n) = to_jsonb(o))
)
SELECT x.indicator, f.country, f.year, f.publisher, f.buyer_org_key,
       GROUPING(f.publisher) = 0 AS by_publisher, GROUPING(f.buyer_org_key) = 0 AS by_buyer,
       sum(f.sign) AS n_total,
       sum(f.sign) FILTER (WHERE x.in_scope) AS n_in_scope,
       sum(f.sign) FILTER (WHERE x.in_scope AND NOT x.eligible) AS n_missing,
       sum(f.sign) FILTER (WHERE x.eligible) AS n_eligible,
       sum(f.sign) FILTER (WHERE x.eligible AND x.contribution IS NOT NULL) AS n_contributing,
       sum(f.sign * x.contribution::numeric) FILTER (WHERE x.eligible) AS sum_contribution,
       sum(f.sign * x.weight::numeric) FILTER (WHERE x.eligible) AS sum_weight,
       bool_or(x.eligible) AS eligible_changed
FROM signed f
CROSS JOIN LATERAL ({expand}) x
GROUP BY GROUPING SETS ((x.indicator, f.country, f.year), (x.indicator, f.country, f.year, f.publisher),
                        (x.indicator, f.country, f.year, f.buyer_org_key))

-- name: apply_delta
-- Add each group's delta to its sums and counts (a new group starts from zero); remember the groups touched.
WITH delta AS (
    SELECT indicator, CASE WHEN by_publisher THEN 'publisher' WHEN by_buyer THEN 'buyer' ELSE 'country' END AS level,
           country, CASE WHEN by_publisher THEN publisher END AS publisher,
           CASE WHEN by_buyer THEN buyer_org_key END AS buyer_org_key, year, n_total,
           coalesce(n_in_scope, 0) AS n_in_scope, coalesce(n_missing, 0) AS n_missing,
           coalesce(n_eligible, 0) AS n_eligible, coalesce(n_contributing, 0) AS n_contributing,
           coalesce(sum_contribution, 0) AS sum_contribution, coalesce(sum_weight, 0) AS sum_weight, eligible_changed
    FROM delta_rows
    WHERE NOT (by_buyer AND buyer_org_key IS NULL)
),
touch AS (
    INSERT INTO touched (indicator, level, country, publisher, buyer_org_key, year, eligible_changed)
    SELECT indicator, level, country, publisher, buyer_org_key, year, eligible_changed FROM delta
)
INSERT INTO indicator_value AS v (
    indicator, level, country, publisher, buyer_org_key, year, n_eligible, n_total, suppressed, n_in_scope,
    n_missing, n_contributing, sum_contribution, sum_weight
)
SELECT indicator, level, country, publisher, buyer_org_key, year, n_eligible, n_total, true, n_in_scope, n_missing,
       n_contributing, sum_contribution, sum_weight
FROM delta
ON CONFLICT (indicator, level, country, coalesce(publisher, ''), coalesce(buyer_org_key, ''), year) DO UPDATE SET
    n_eligible = v.n_eligible + excluded.n_eligible,
    n_total = v.n_total + excluded.n_total,
    n_in_scope = v.n_in_scope + excluded.n_in_scope,
    n_missing = v.n_missing + excluded.n_missing,
    n_contributing = v.n_contributing + excluded.n_contributing,
    sum_contribution = coalesce(v.sum_contribution, 0) + excluded.sum_contribution,
    sum_weight = coalesce(v.sum_weight, 0) + excluded.sum_weight,
    computed_at = now()

-- name: update_values
-- The value of each touched group by the catalogue's method (medians after, from the facts); suppressed when
-- missing_share exceeds max_missing or n_eligible is below the indicator's minimum sample.
UPDATE indicator_value v SET
    value = CASE c.method
        WHEN 'mean' THEN v.sum_contribution / nullif(v.n_contributing, 0)
        WHEN 'ratio' THEN CASE WHEN v.n_contributing > 0 THEN v.sum_contribution / nullif(v.sum_weight, 0) END
        WHEN 'sum' THEN CASE WHEN v.n_contributing > 0 THEN v.sum_contribution END
        WHEN 'count' THEN v.n_eligible
        ELSE v.value
    END,
    missing_share = v.n_missing::float / nullif(v.n_in_scope, 0),
    suppressed = v.n_eligible < c.min_sample OR coalesce(v.n_missing::float / nullif(v.n_in_scope, 0)
                                                         > %(max_missing)s, false)
FROM touched t
JOIN unnest(%(ids)s::text[], %(methods)s::text[], %(min_samples)s::int[]) AS c (id, method, min_sample)
    ON c.id = t.indicator
WHERE (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
      = (t.indicator, t.level, t.country, coalesce(t.publisher, ''), coalesce(t.buyer_org_key, ''), t.year)

-- name: update_medians
-- Medians of the touched groups whose eligible members changed, from the facts (over buyers: the one process per
-- buyer that weight 1 marks). Composed with expand_facts by facts.py.
WITH groups AS (
    SELECT DISTINCT t.country, t.year FROM touched t
    WHERE t.eligible_changed AND t.indicator = ANY(%(median_ids)s::text[])
),
medians AS (
    SELECT x.indicator, f.country, f.year, f.publisher, f.buyer_org_key,
           GROUPING(f.publisher) = 0 AS by_publisher, GROUPING(f.buyer_org_key) = 0 AS by_buyer,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY x.contribution)
               FILTER (WHERE x.eligible AND (x.indicator <> 'supplier_concentration_hhi' OR x.weight = 1)) AS value
    FROM indicator_fact f
    JOIN groups g ON g.country = f.country AND g.year = f.year
    CROSS JOIN LATERAL ({expand}) x
    WHERE x.indicator = ANY(%(median_ids)s::text[])
    GROUP BY GROUPING SETS ((x.indicator, f.country, f.year), (x.indicator, f.country, f.year, f.publisher),
                            (x.indicator, f.country, f.year, f.buyer_org_key))
)
UPDATE indicator_value v SET value = m.value
FROM medians m
JOIN touched t ON t.eligible_changed AND t.indicator = m.indicator AND t.country = m.country AND t.year = m.year
    AND t.level = CASE WHEN m.by_publisher THEN 'publisher' WHEN m.by_buyer THEN 'buyer' ELSE 'country' END
    AND coalesce(t.publisher, '') = CASE WHEN m.by_publisher THEN m.publisher ELSE '' END
    AND coalesce(t.buyer_org_key, '') = CASE WHEN m.by_buyer THEN coalesce(m.buyer_org_key, '') ELSE '' END
WHERE (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
      = (t.indicator, t.level, t.country, coalesce(t.publisher, ''), coalesce(t.buyer_org_key, ''), t.year)

-- name: delete_empty_groups
DELETE FROM indicator_value WHERE n_total <= 0

-- name: delete_changed_facts
DELETE FROM indicator_fact f USING changed c WHERE f.process_id = c.process_id

-- name: insert_changed_facts
INSERT INTO indicator_fact SELECT * FROM new_fact

-- name: create_work_tables
-- The refresh's own tables, gone at its commit.
CREATE TEMP TABLE changed (process_id bigint PRIMARY KEY) ON COMMIT DROP;
CREATE TEMP TABLE new_fact (LIKE indicator_fact INCLUDING DEFAULTS, PRIMARY KEY (process_id)) ON COMMIT DROP;
CREATE TEMP TABLE delta_rows (
    indicator text, country char(2), year integer, publisher text, buyer_org_key text, by_publisher boolean,
    by_buyer boolean, n_total bigint, n_in_scope bigint, n_missing bigint, n_eligible bigint, n_contributing bigint,
    sum_contribution numeric, sum_weight numeric, eligible_changed boolean
) ON COMMIT DROP;
CREATE TEMP TABLE touched (
    indicator text, level text, country char(2), publisher text, buyer_org_key text, year integer,
    eligible_changed boolean
) ON COMMIT DROP

-- name: create_changed_table
CREATE TEMP TABLE changed (process_id bigint PRIMARY KEY) ON COMMIT DROP

-- name: analyze_work_tables
-- Temporary tables are never analyzed by autovacuum: without statistics the planner takes them for empty and joins
-- them by nested loops (seconds where hash joins take milliseconds).
ANALYZE changed, new_fact

-- name: analyze_changed
ANALYZE changed

-- name: analyze_delta
ANALYZE delta_rows, touched

-- name: count_changed
SELECT count(*) AS n FROM changed

-- name: select_touched_groups
SELECT DISTINCT country::text AS country, year FROM touched WHERE level = 'country' ORDER BY 1, 2

-- name: truncate_all
TRUNCATE indicator_fact, indicator_value

-- name: select_values
SELECT indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
       suppressed
FROM indicator_value
WHERE level = %(level)s
  AND (%(country)s::text IS NULL OR country = %(country)s::text)
  AND (%(year)s::int IS NULL OR year = %(year)s::int)
ORDER BY country, year, publisher NULLS FIRST, buyer_org_key NULLS FIRST, indicator

-- name: select_explain
-- Composed with expand_facts by facts.py.
SELECT f.ocid, x.in_scope, x.eligible, x.contribution, x.weight
FROM indicator_fact f
CROSS JOIN LATERAL ({expand}) x
WHERE x.indicator = %(indicator)s AND f.country = %(country)s AND f.year = %(year)s
ORDER BY x.eligible DESC, x.in_scope DESC, f.ocid
