-- Indicators by delta (aggregator/compare/facts.py). A group is a country, a publisher or a buyer, and a year; the
-- year of a process is that of its tender period's start, else of its release date, in UTC. Only primary
-- processes count. The temporary tables (changed, new_fact, signed_fact, …) are the refresh's own: signed_fact
-- holds the changed processes' old facts (sign -1) and new facts (sign 1), those that did not change left out; a
-- full refresh reads every fact with sign 1 instead (view signed_fact).

-- name: refresh_settings
-- For the rest of the refresh's transaction. The facts' queries are estimated dear enough for PostgreSQL to compile
-- them (jit_above_cost), which takes seconds where running them takes milliseconds; no query here is one that
-- compiling makes faster. Aggregates per group keep up to 64 MB in memory (then spill), rather than sort on disk;
-- the changed rows are reached through their indexes rather than by reading a table whole (random_page_cost as on
-- SSDs). A server set more generously keeps its settings.
SET LOCAL jit = off;
SELECT set_config('work_mem', '64MB', true) WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('64MB');
SELECT set_config('random_page_cost', '1.1', true) WHERE current_setting('random_page_cost')::float > 1.1

-- name: facts_settings
-- Memoize caches a lateral subquery's rows by its parameters: expand_facts' parameters are a fact's every column,
-- never twice the same, so its cache missed 96 %% of the time and cost a third of delta_fine (1M facts: 17 s).
SET LOCAL enable_memoize = off

-- name: secondary_indexes
-- The indexes of a table that back no constraint (the facts' group and median indexes): a full refresh drops them
-- before it writes every fact, and makes them again after (1M facts: 15.5 s written with them, 1.5 s without them
-- and 6.1 s to make them).
SELECT n.nspname AS schema, c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = %(table)s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname

-- name: read_setting
SELECT current_setting(%(name)s) AS value

-- name: set_local_setting
-- For the rest of the transaction (facts.local_settings sets it back).
SELECT set_config(%(name)s, %(value)s, true)

-- name: take_dirty
-- The processes changed since this part last ran, taken off the list (in the refresh's transaction).
WITH taken AS (DELETE FROM compare_dirty WHERE part = %(part)s RETURNING process_id)
INSERT INTO changed (process_id) SELECT process_id FROM taken

-- name: mostly_changed
-- Whether the processes changed since this part last ran are at least a share of the facts (or there are no facts
-- yet): then computing every fact again is cheaper than the changed ones' old and new facts. The facts are counted
-- only up to n / share + 1, which says as much: a few changed processes read a few pages, not every fact (1M
-- releases, a hundredth of the OCIDs changed: 0.22 s of a cold refresh's 1.5 s).
WITH dirty AS (SELECT count(*) AS n FROM compare_dirty WHERE part = %(part)s)
SELECT n > 0 AND (
    SELECT count(*) FROM (SELECT FROM indicator_fact LIMIT floor(n / %(share)s)::bigint + 1) f
) <= n / %(share)s AS whole
FROM dirty

-- name: clear_dirty
DELETE FROM compare_dirty WHERE part = %(part)s

-- name: changed_processes
(SELECT p.* FROM changed ch JOIN process p ON p.id = ch.process_id OFFSET 0) p

-- name: all_processes
process p

-- name: changed_only
{alias}.process_id IN (SELECT process_id FROM changed)

-- name: take_all
-- Every process, for the parts that recompute them all by the changed ones' road.
INSERT INTO changed (process_id) SELECT id FROM process

-- name: insert_facts
-- The facts of the processes that count (primary, with a year): the changed ones into new_fact, or, in a full
-- refresh, every one into indicator_fact. Composed by facts.py: the target, the processes (block changed_processes
-- or all_processes) and which awards and contracts ({only:w}, {only:c}: those of the changed processes, or all).
-- Each process's awards and contracts are aggregated per process as one set, joined to the processes by hash when
-- they are all, through the award and contract indexes when they are few: a lateral subquery per process cost
-- three index probes a process (1M processes: 9.8 s against 7.8 s).
INSERT INTO {target} (
    process_id, ocid, country, publisher, buyer_org_key, year, procedure_type, number_of_tenderers, contract_count,
    tender_days, decision_days, n_awards, n_usd_missing, n_no_supplier_id, n_no_amount, awards_usd, value_usd,
    n_compared, n_increased, valued_awards, suppliers, supplier_values
)
WITH p AS (
    SELECT p.id, p.ocid, p.country, p.publisher_id, p.buyer_org_key, p.tender_start, p.tender_end, p.release_date,
           p.procedure_type, p.number_of_tenderers, p.contract_count, p.amount_usd
    FROM {processes} WHERE p.is_primary AND coalesce(p.tender_start, p.release_date) IS NOT NULL
),
a AS (
    SELECT w.process_id, count(*) AS n_awards, min(w.date) AS first_award_date, sum(w.amount_usd) AS awards_usd,
           count(*) FILTER (WHERE w.amount IS NOT NULL AND w.amount_usd IS NULL) AS n_usd_missing,
           count(*) FILTER (WHERE NOT EXISTS (
               SELECT 1 FROM unnest(w.supplier_org_keys) s WHERE s NOT LIKE 'name/%%')) AS n_no_supplier_id,
           count(*) FILTER (WHERE w.amount IS NULL) AS n_no_amount,
           count(*) FILTER (WHERE w.amount_usd IS NOT NULL AND cardinality(w.supplier_org_keys) > 0) AS valued_awards
    FROM award w WHERE {only:w}
    GROUP BY w.process_id
),
k AS (
    SELECT c.process_id, count(*) AS n_compared, count(*) FILTER (WHERE c.amount > 1.2 * w.amount) AS n_increased
    FROM contract c
    JOIN award w ON w.process_id = c.process_id AND w.award_id = c.award_id
    WHERE {only:c}
      AND c.amount IS NOT NULL AND w.amount IS NOT NULL AND c.currency = w.currency
    GROUP BY c.process_id
),
s AS (
    -- An award's value is split evenly among its suppliers; summed per supplier over the process's awards.
    SELECT process_id, array_agg(supplier ORDER BY supplier) AS suppliers,
           array_agg(value ORDER BY supplier) AS supplier_values
    FROM (
        SELECT w.process_id, supplier, sum(w.amount_usd / cardinality(w.supplier_org_keys)) AS value
        FROM award w CROSS JOIN LATERAL unnest(w.supplier_org_keys) AS supplier
        WHERE {only:w} AND w.amount_usd IS NOT NULL
        GROUP BY w.process_id, supplier
    ) per_supplier
    GROUP BY process_id
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
FROM p
JOIN publisher pub ON pub.id = p.publisher_id
LEFT JOIN a ON a.process_id = p.id
LEFT JOIN k ON k.process_id = p.id
LEFT JOIN s ON s.process_id = p.id

-- name: insert_signed
-- The changed processes' old facts (-1) and new facts (1), leaving out those that did not change.
INSERT INTO signed_fact
SELECT -1, o.* FROM changed c
JOIN indicator_fact o ON o.process_id = c.process_id
LEFT JOIN new_fact n ON n.process_id = c.process_id
WHERE ROW(n.*) IS DISTINCT FROM ROW(o.*)
UNION ALL
SELECT 1, n.* FROM new_fact n
LEFT JOIN indicator_fact o ON o.process_id = n.process_id
WHERE ROW(n.*) IS DISTINCT FROM ROW(o.*)

-- name: create_signed_view
-- A full refresh: every fact counts once (a view, not a copy).
CREATE TEMP VIEW signed_fact AS SELECT 1 AS sign, f.* FROM indicator_fact f

-- name: drop_signed_view
DROP VIEW signed_fact

-- name: expand_facts
-- Each indicator's in scope, eligible, contribution and weight, from one process's facts f (see the catalogue).
-- Supplier concentration here only for processes of no known buyer (in scope, missing): a buyer's processes count
-- through the buyer's sums (blocks update_buyers, hhi_delta; expand_buyer for indicators explain).
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
    ('supplier_concentration_hhi', f.n_awards > 0 AND f.buyer_org_key IS NULL, false, NULL, NULL),
    ('contract_value_increase_share', f.contract_count > 0, f.n_compared > 0, f.n_increased::float,
     f.n_compared::float),
    ('missing_supplier_id_share', f.n_awards > 0, f.n_awards > 0, f.n_no_supplier_id::float, f.n_awards::float),
    ('missing_value_share', f.n_awards > 0, f.n_awards > 0, f.n_no_amount::float, f.n_awards::float),
    ('value_usd_total', f.n_awards > 0, f.n_awards > 0 AND f.n_usd_missing = 0, coalesce(f.awards_usd, 0), NULL),
    ('processes', true, true, 1, NULL)
) AS x (indicator, in_scope, eligible, contribution, weight)

-- name: expand_buyer
-- Supplier concentration of a process f of a known buyer, from the buyer's sums b in the country and year: in
-- scope when the process has awards and the buyer 10 awards or more; eligible when the buyer has 10 awards or more
-- with a supplier and a USD value; its contribution is the buyer's HHI (one process of each buyer weighs 1).
SELECT f.n_awards > 0 AND b.awards >= 10 AS in_scope,
       coalesce(f.n_awards > 0 AND b.hhi IS NOT NULL AND b.valued_awards >= 10, false) AS eligible,
       b.hhi AS contribution

-- name: delta_fine
-- The signed facts' sums and counts per indicator, publisher and buyer (rolled up by delta_by_group, so that each
-- expanded row is aggregated once). Contributions are summed exactly whatever the order (a sum kept by deltas equals
-- the sum made at once): whole numbers as bigint, the others as numeric (float's text conversion is dear, and so is
-- numeric addition: 16 expanded rows a process). A table made by CREATE TABLE AS, which PostgreSQL may scan and
-- aggregate with parallel workers when the facts are indicator_fact itself (a full refresh); a temporary table of
-- signed facts is read by one process. Composed with expand_facts by facts.py.
CREATE TEMP TABLE fine ON COMMIT DROP AS
WITH expanded AS (
    SELECT f.sign, f.process_id, f.country, f.year, f.publisher, f.buyer_org_key, x.*
    FROM signed_fact f
    CROSS JOIN LATERAL ({expand}) x
)
SELECT f.indicator, f.country, f.year, f.publisher, f.buyer_org_key,
       sum(f.sign) AS n_total,
       coalesce(sum(f.sign) FILTER (WHERE f.in_scope), 0) AS n_in_scope,
       coalesce(sum(f.sign) FILTER (WHERE f.in_scope AND NOT f.eligible), 0) AS n_missing,
       coalesce(sum(f.sign) FILTER (WHERE f.eligible), 0) AS n_eligible,
       coalesce(sum(f.sign) FILTER (WHERE f.eligible AND f.contribution IS NOT NULL), 0) AS n_contributing,
       coalesce(sum(f.sign * f.contribution::bigint) FILTER (WHERE f.eligible AND f.contribution = trunc(f.contribution)
                                                              AND abs(f.contribution) < 1e15), 0)
       + coalesce(sum(f.sign * f.contribution::numeric) FILTER (WHERE f.eligible AND NOT (
                      f.contribution = trunc(f.contribution) AND abs(f.contribution) < 1e15)), 0) AS sum_contribution,
       coalesce(sum(f.sign * f.weight::bigint) FILTER (WHERE f.eligible AND f.weight = trunc(f.weight)
                                                        AND abs(f.weight) < 1e15), 0)
       + coalesce(sum(f.sign * f.weight::numeric) FILTER (WHERE f.eligible AND NOT (
                      f.weight = trunc(f.weight) AND abs(f.weight) < 1e15)), 0) AS sum_weight
FROM {expanded} f
GROUP BY f.indicator, f.country, f.year, f.publisher, f.buyer_org_key

-- name: expanded_all
-- delta_fine's rows in a full refresh: every fact counts once.
expanded

-- name: expanded_changed
-- delta_fine's rows in a refresh of changed processes: an indicator's row of a process's old facts and the same row
-- of its new facts (same group, in scope, eligible, contribution and weight) add up to nothing, and are left out
-- before they are summed (a change of a fact that a few indicators read leaves those indicators' rows alone). Found
-- by grouping each process's rows (NULLs group together, as IS NOT DISTINCT FROM compares them): at 1M processes, a
-- 1 % change's 334,400 rows took 0.38 s this way, 0.51 s by an anti-join of the rows with themselves.
(
    SELECT sum(g.sign)::int AS sign, g.process_id, g.country, g.year, g.publisher, g.buyer_org_key, g.indicator,
           g.in_scope, g.eligible, g.contribution, g.weight
    FROM expanded g
    GROUP BY g.process_id, g.indicator, g.country, g.year, g.publisher, g.buyer_org_key, g.in_scope, g.eligible,
             g.contribution, g.weight
    HAVING sum(g.sign) <> 0
)

-- name: delta_by_group
-- delta_fine's sums rolled up to the three levels (a buyer's supplier concentration apart: hhi_delta). Groups
-- whose sums did not change are left out.
INSERT INTO delta_rows
SELECT indicator,
       CASE WHEN GROUPING(publisher) = 0 THEN 'publisher' WHEN GROUPING(buyer_org_key) = 0 THEN 'buyer'
            ELSE 'country' END,
       country, publisher, buyer_org_key, year, sum(n_total), sum(n_in_scope), sum(n_missing), sum(n_eligible),
       sum(n_contributing), sum(sum_contribution), sum(sum_weight)
FROM fine
GROUP BY GROUPING SETS ((indicator, country, year), (indicator, country, year, publisher),
                        (indicator, country, year, buyer_org_key))
HAVING (GROUPING(buyer_org_key) = 1 OR buyer_org_key IS NOT NULL)
   AND ((sum(n_total), sum(n_in_scope), sum(n_missing), sum(n_eligible), sum(n_contributing)) <> (0, 0, 0, 0, 0)
        OR sum(sum_contribution) <> 0 OR sum(sum_weight) <> 0);
DROP TABLE fine

-- name: select_changed_buyers
-- The buyers (in a country and year) that signed facts leave or join, and their sums and publishers before.
INSERT INTO changed_buyer SELECT DISTINCT country, year, buyer_org_key FROM signed_fact WHERE buyer_org_key IS NOT NULL;
INSERT INTO buyer_before SELECT b.* FROM indicator_buyer b JOIN changed_buyer c USING (country, year, buyer_org_key);
INSERT INTO buyer_publisher_before
SELECT b.* FROM indicator_buyer_publisher b JOIN changed_buyer c USING (country, year, buyer_org_key)

-- name: update_supplier_values
-- Each changed (buyer, supplier) pair's value: its delta, its value before, then the pair updated (gone at 0).
INSERT INTO pair_delta
SELECT d.country, d.year, d.buyer_org_key, d.supplier, d.value, d.n_processes, coalesce(p.value, 0)
FROM (
    SELECT s.country, s.year, s.buyer_org_key, v.supplier, sum(s.sign * v.value) AS value, sum(s.sign) AS n_processes
    FROM signed_fact s CROSS JOIN LATERAL unnest(s.suppliers, s.supplier_values) AS v (supplier, value)
    WHERE s.buyer_org_key IS NOT NULL
    GROUP BY s.country, s.year, s.buyer_org_key, v.supplier
) d
LEFT JOIN indicator_buyer_supplier p USING (country, year, buyer_org_key, supplier);
INSERT INTO indicator_buyer_supplier AS p (country, year, buyer_org_key, supplier, value, n_processes)
SELECT country, year, buyer_org_key, supplier, value, n_processes FROM pair_delta
ON CONFLICT (country, year, buyer_org_key, supplier) DO UPDATE SET
    value = p.value + excluded.value,
    n_processes = p.n_processes + excluded.n_processes;
DELETE FROM indicator_buyer_supplier p USING pair_delta d
WHERE (p.country, p.year, p.buyer_org_key, p.supplier) = (d.country, d.year, d.buyer_org_key, d.supplier)
  AND p.n_processes = 0

-- name: update_buyers
-- Each changed buyer's sums: its processes' counts by delta; the total of its suppliers' values and the sum of
-- their squares by the changed pairs' old and new values (exact: numeric); then its HHI, squares / total².
INSERT INTO indicator_buyer AS b (
    country, year, buyer_org_key, n_processes, n_with_awards, awards, valued_awards, total, squares
)
SELECT s.country, s.year, s.buyer_org_key, s.n_processes, s.n_with_awards, s.awards, s.valued_awards,
       coalesce(p.total, 0), coalesce(p.squares, 0)
FROM (
    SELECT country, year, buyer_org_key, sum(sign) AS n_processes, sum(sign * (n_awards > 0)::int) AS n_with_awards,
           sum(sign * n_awards) AS awards, sum(sign * valued_awards) AS valued_awards
    FROM signed_fact WHERE buyer_org_key IS NOT NULL
    GROUP BY country, year, buyer_org_key
) s
LEFT JOIN (
    SELECT country, year, buyer_org_key, sum(value) AS total,
           sum((before + value) * (before + value) - before * before) AS squares
    FROM pair_delta GROUP BY country, year, buyer_org_key
) p USING (country, year, buyer_org_key)
ON CONFLICT (country, year, buyer_org_key) DO UPDATE SET
    n_processes = b.n_processes + excluded.n_processes,
    n_with_awards = b.n_with_awards + excluded.n_with_awards,
    awards = b.awards + excluded.awards,
    valued_awards = b.valued_awards + excluded.valued_awards,
    total = b.total + excluded.total,
    squares = b.squares + excluded.squares;
-- trim_scale: the quotient's precision follows its operands' scales, which deltas would otherwise change.
UPDATE indicator_buyer b
SET hhi = CASE WHEN b.total > 0
               THEN (trim_scale(b.squares) / (trim_scale(b.total) * trim_scale(b.total)))::float END
FROM changed_buyer c
WHERE (b.country, b.year, b.buyer_org_key) = (c.country, c.year, c.buyer_org_key);
DELETE FROM indicator_buyer b USING changed_buyer c
WHERE (b.country, b.year, b.buyer_org_key) = (c.country, c.year, c.buyer_org_key) AND b.n_processes = 0;
INSERT INTO indicator_buyer_publisher AS b (country, year, buyer_org_key, publisher, n_processes, n_with_awards)
SELECT country, year, buyer_org_key, publisher, sum(sign), sum(sign * (n_awards > 0)::int)
FROM signed_fact WHERE buyer_org_key IS NOT NULL
GROUP BY country, year, buyer_org_key, publisher
ON CONFLICT (country, year, buyer_org_key, publisher) DO UPDATE SET
    n_processes = b.n_processes + excluded.n_processes,
    n_with_awards = b.n_with_awards + excluded.n_with_awards;
DELETE FROM indicator_buyer_publisher b USING changed_buyer c
WHERE (b.country, b.year, b.buyer_org_key) = (c.country, c.year, c.buyer_org_key) AND b.n_processes = 0

-- name: hhi_delta
-- Supplier concentration of the changed buyers' processes, before (-1) and after (1), in the groups of the three
-- levels: a buyer's processes with awards are in scope when it has 10 awards or more; eligible, with its HHI as
-- contribution, when it has 10 awards or more with a supplier and a USD value (block expand_buyer, per process).
-- A buyer weighs 1 in each group where it has eligible processes: the median is taken over buyers. The groups of
-- the changed buyers are remembered (hhi_group): their median over buyers is taken again.
WITH states AS (
    SELECT -1 AS sign, b.* FROM buyer_before b
    UNION ALL
    SELECT 1, b.* FROM indicator_buyer b JOIN changed_buyer c USING (country, year, buyer_org_key)
),
shares AS (
    SELECT s.sign, 'country' AS level, s.country, NULL::text AS publisher, NULL::text AS buyer_org_key, s.year,
           s.n_with_awards AS n, s.awards, s.valued_awards, s.hhi
    FROM states s
    UNION ALL
    SELECT s.sign, 'buyer', s.country, NULL, s.buyer_org_key, s.year, s.n_with_awards, s.awards, s.valued_awards, s.hhi
    FROM states s
    UNION ALL
    SELECT s.sign, 'publisher', s.country, p.publisher, NULL, s.year, p.n_with_awards, s.awards, s.valued_awards, s.hhi
    FROM states s
    JOIN (
        SELECT -1 AS sign, p.* FROM buyer_publisher_before p
        UNION ALL
        SELECT 1, p.* FROM indicator_buyer_publisher p JOIN changed_buyer c USING (country, year, buyer_org_key)
    ) p ON p.sign = s.sign AND (p.country, p.year, p.buyer_org_key) = (s.country, s.year, s.buyer_org_key)
),
groups AS (
    INSERT INTO hhi_group SELECT DISTINCT level, country, publisher, buyer_org_key, year FROM shares
)
INSERT INTO delta_rows
SELECT 'supplier_concentration_hhi', level, country, publisher, buyer_org_key, year, 0,
       sum(sign * CASE WHEN awards >= 10 THEN n ELSE 0 END),
       sum(sign * CASE WHEN awards >= 10 AND NOT eligible THEN n ELSE 0 END),
       sum(sign * CASE WHEN eligible THEN n ELSE 0 END),
       sum(sign * CASE WHEN eligible THEN n ELSE 0 END),
       sum(sign * CASE WHEN eligible THEN n * hhi::numeric ELSE 0 END),
       sum(sign * CASE WHEN eligible AND n > 0 THEN 1 ELSE 0 END)
FROM shares CROSS JOIN LATERAL (SELECT hhi IS NOT NULL AND valued_awards >= 10 AS eligible) e
GROUP BY level, country, publisher, buyer_org_key, year

-- name: apply_delta
-- Add each group's delta to its sums and counts (a new group starts from zero), and make its value by the
-- catalogue's method (medians apart: update_median, update_hhi_medians): one write per group. Groups whose sums
-- and counts did not change are left alone. A value is suppressed when missing_share exceeds max_missing or
-- n_eligible is below the indicator's minimum sample. trim_scale: a sum kept by deltas may carry more decimal
-- places than the same sum made at once, and a quotient's precision follows them. The groups written are
-- counted, and those left empty and the countries and years are remembered (touched: every group written, a temporary
-- table, cost 4 of the 10 s of 611,000 values).
WITH delta AS (
    SELECT indicator, level, country, publisher, buyer_org_key, year, sum(n_total) AS n_total,
           sum(n_in_scope) AS n_in_scope, sum(n_missing) AS n_missing, sum(n_eligible) AS n_eligible,
           sum(n_contributing) AS n_contributing, sum(sum_contribution) AS sum_contribution,
           sum(sum_weight) AS sum_weight
    FROM delta_rows
    GROUP BY indicator, level, country, publisher, buyer_org_key, year
    HAVING (sum(n_total), sum(n_in_scope), sum(n_missing), sum(n_eligible), sum(n_contributing)) <> (0, 0, 0, 0, 0)
        OR sum(sum_contribution) <> 0 OR sum(sum_weight) <> 0
),
merged AS (
    SELECT d.indicator, d.level, d.country, d.publisher, d.buyer_org_key, d.year, c.method, c.min_sample,
           v.value AS old_value,
           coalesce(v.n_total, 0) + d.n_total AS n_total,
           coalesce(v.n_in_scope, 0) + d.n_in_scope AS n_in_scope,
           coalesce(v.n_missing, 0) + d.n_missing AS n_missing,
           coalesce(v.n_eligible, 0) + d.n_eligible AS n_eligible,
           coalesce(v.n_contributing, 0) + d.n_contributing AS n_contributing,
           coalesce(v.sum_contribution, 0) + d.sum_contribution AS sum_contribution,
           coalesce(v.sum_weight, 0) + d.sum_weight AS sum_weight
    FROM delta d
    JOIN unnest(%(ids)s::text[], %(methods)s::text[], %(min_samples)s::int[]) AS c (id, method, min_sample)
        ON c.id = d.indicator
    LEFT JOIN {values_before} v
        ON (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
         = (d.indicator, d.level, d.country, coalesce(d.publisher, ''), coalesce(d.buyer_org_key, ''), d.year)
),
computed AS (
    SELECT m.*,
           CASE m.method
               WHEN 'mean' THEN (trim_scale(m.sum_contribution) / nullif(m.n_contributing, 0))::float
               WHEN 'ratio' THEN CASE WHEN m.n_contributing > 0
                                      THEN (trim_scale(m.sum_contribution) / nullif(trim_scale(m.sum_weight), 0))::float
                                 END
               WHEN 'sum' THEN CASE WHEN m.n_contributing > 0 THEN m.sum_contribution::float END
               WHEN 'count' THEN m.n_eligible::float
               ELSE m.old_value
           END AS value,
           m.n_missing::float / nullif(m.n_in_scope, 0) AS missing_share
    FROM merged m
),
applied AS (
    INSERT INTO indicator_value AS v (
        indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
        suppressed, n_in_scope, n_missing, n_contributing, sum_contribution, sum_weight
    )
    SELECT indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
           n_eligible < min_sample OR coalesce(missing_share > %(max_missing)s, false), n_in_scope, n_missing,
           n_contributing, sum_contribution, sum_weight
    FROM computed
    {upsert}
),
kept AS (
    INSERT INTO touched (indicator, level, country, publisher, buyer_org_key, year, n_total)
    SELECT indicator, level, country, publisher, buyer_org_key, year, n_total FROM computed
    WHERE level = 'country' OR n_total <= 0
)
SELECT count(*) AS n FROM computed

-- name: values_before
-- apply_delta's values before, and its update of a group that has a value already (apply_upsert). A full refresh
-- has none (values_none): its values are inserted into an emptied table without its index, made again after, and
-- not joined to it (sorting 611,000 groups to merge them with no rows cost 3.6 s).
indicator_value

-- name: values_none
(SELECT * FROM indicator_value WHERE false)

-- name: apply_upsert
ON CONFLICT (indicator, level, country, coalesce(publisher, ''), coalesce(buyer_org_key, ''), year) DO UPDATE SET
    value = excluded.value,
    n_eligible = excluded.n_eligible,
    n_total = excluded.n_total,
    missing_share = excluded.missing_share,
    suppressed = excluded.suppressed,
    n_in_scope = excluded.n_in_scope,
    n_missing = excluded.n_missing,
    n_contributing = excluded.n_contributing,
    sum_contribution = excluded.sum_contribution,
    sum_weight = excluded.sum_weight,
    computed_at = now()

-- name: select_median_changes
-- For each group of a median indicator whose eligible members changed: its members before and after, its anchor
-- (the member at rank floor((n - 1) / 2) by (contribution, process id)), and how many changed members lie below
-- or on the anchor. Run after apply_delta (n_contributing is the new count), before the facts are replaced.
INSERT INTO median_work
WITH changes AS (
    SELECT m.indicator, s.sign, s.country, s.publisher, s.buyer_org_key, s.year, m.value, s.process_id
    FROM signed_fact s
    CROSS JOIN LATERAL (VALUES
        ('submission_period_days', s.tender_days, coalesce(s.procedure_type = 'open' AND s.tender_days >= 0, false)),
        ('decision_period_days', s.decision_days,
         coalesce(s.n_awards > 0 AND s.procedure_type <> 'direct' AND s.decision_days >= 0, false))
    ) AS m (indicator, value, eligible)
    WHERE m.eligible
),
levels AS (
    SELECT indicator, 'country' AS level, country, NULL::text AS publisher, NULL::text AS buyer_org_key, year, sign,
           value, process_id
    FROM changes
    UNION ALL
    SELECT indicator, 'publisher', country, publisher, NULL, year, sign, value, process_id FROM changes
    UNION ALL
    SELECT indicator, 'buyer', country, NULL, buyer_org_key, year, sign, value, process_id
    FROM changes WHERE buyer_org_key IS NOT NULL
)
{groups}
SELECT c.indicator, c.level, c.country, c.publisher, c.buyer_org_key, c.year,
       coalesce(v.n_contributing, 0) - sum(c.sign) AS n_before, coalesce(v.n_contributing, 0) AS n_after,
       v.median_value, v.median_process_id,
       count(*) FILTER (WHERE c.sign > 0 AND (c.value, c.process_id) < (v.median_value, v.median_process_id)),
       count(*) FILTER (WHERE c.sign < 0 AND (c.value, c.process_id) < (v.median_value, v.median_process_id)),
       count(*) FILTER (WHERE c.sign > 0 AND (c.value, c.process_id) = (v.median_value, v.median_process_id)),
       count(*) FILTER (WHERE c.sign < 0 AND (c.value, c.process_id) = (v.median_value, v.median_process_id))
FROM levels c
{join} v
    ON (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
     = (c.indicator, c.level, c.country, coalesce(c.publisher, ''), coalesce(c.buyer_org_key, ''), c.year)
GROUP BY c.indicator, c.level, c.country, c.publisher, c.buyer_org_key, c.year, v.n_contributing, v.median_value,
         v.median_process_id

-- name: median_groups
-- select_median_changes' groups in a refresh of changed processes: each group's value looked up once, through the
-- unique index, where the changes' rows joined by hash to every value read all of indicator_value (0.35 of 0.45 s
-- for 1 %% of 1M processes); joined by median_join_changed. A full refresh joins every value by hash instead
-- (median_join_all; group by group, 3.8 s became 11 s).
, groups AS MATERIALIZED (
    SELECT g.*, v.n_contributing, v.median_value, v.median_process_id
    FROM (SELECT DISTINCT indicator, level, country, publisher, buyer_org_key, year FROM levels) g
    LEFT JOIN indicator_value v
        ON (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
         = (g.indicator, g.level, g.country, coalesce(g.publisher, ''), coalesce(g.buyer_org_key, ''), g.year)
)

-- name: median_join_changed
JOIN groups

-- name: median_join_all
LEFT JOIN indicator_value

-- name: update_median
-- The median of each group of median_work for one indicator and level, found from its anchor: with `below` new
-- members under the anchor and `present` 1 when the anchor is still a member, the members of ranks r and r + 1
-- (r = floor((n - 1) / 2)) are read off the index, at most as many steps from the anchor as members changed (from
-- the start when there is no anchor). The value is PostgreSQL's percentile_cont(0.5): lo + 0.5 * (hi - lo).
-- Composed by facts.py for each indicator and level: the facts' column and the eligibility (blocks median_value_*
-- and median_eligible_*: expand_facts' eligibility, the predicate of the partial indexes of migration 0031), and
-- the group's condition (median_group_*).
WITH work AS (
    SELECT w.*, anchor.below, anchor.present, (w.n_after - 1) / 2 AS r, 2 - w.n_after %% 2 AS m,
           coalesce(w.median_value, '-Infinity') AS anchor_value, coalesce(w.median_process_id, -1) AS anchor_id
    FROM median_work w
    CROSS JOIN LATERAL (
        SELECT CASE WHEN w.median_process_id IS NULL THEN 0
                    ELSE (w.n_before - 1) / 2 + w.added_below - w.removed_below END AS below,
               CASE WHEN w.median_process_id IS NULL THEN 0 ELSE 1 + w.anchor_added - w.anchor_removed END AS present
    ) anchor
    WHERE w.indicator = '{indicator}' AND w.level = '{level}' AND w.n_after > 0
),
members AS (
    SELECT w.indicator, w.level, w.country, w.publisher, w.buyer_org_key, w.year, w.r, w.m, x.rank, x.value,
           x.process_id
    FROM work w
    CROSS JOIN LATERAL (
        SELECT w.below - row_number() OVER (ORDER BY d.value DESC, d.process_id DESC) AS rank, d.value, d.process_id
        FROM (
            SELECT f.{value} AS value, f.process_id FROM indicator_fact f
            WHERE {group} AND {eligible} AND (f.{value}, f.process_id) < (w.anchor_value, w.anchor_id)
            ORDER BY f.{value} DESC, f.process_id DESC
            LIMIT greatest(w.below - w.r, 0)
        ) d
        UNION ALL
        SELECT w.below, w.median_value, w.median_process_id WHERE w.present = 1
        UNION ALL
        SELECT w.below + w.present + row_number() OVER (ORDER BY u.value, u.process_id) - 1, u.value, u.process_id
        FROM (
            SELECT f.{value} AS value, f.process_id FROM indicator_fact f
            WHERE {group} AND {eligible} AND (f.{value}, f.process_id) > (w.anchor_value, w.anchor_id)
            ORDER BY f.{value}, f.process_id
            LIMIT greatest(w.r + w.m - w.below - w.present, 0)
        ) u
    ) x
    WHERE x.rank BETWEEN w.r AND w.r + w.m - 1
),
medians AS (
    SELECT indicator, level, country, publisher, buyer_org_key, year,
           max(value) FILTER (WHERE rank = r) AS lo, max(value) FILTER (WHERE rank = r + m - 1) AS hi,
           max(process_id) FILTER (WHERE rank = r) AS lo_id
    FROM members
    GROUP BY indicator, level, country, publisher, buyer_org_key, year
)
UPDATE indicator_value v
SET value = m.lo + 0.5 * (m.hi - m.lo), median_value = m.lo, median_process_id = m.lo_id
FROM medians m
WHERE (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
      = (m.indicator, m.level, m.country, coalesce(m.publisher, ''), coalesce(m.buyer_org_key, ''), m.year)

-- name: median_value_submission_period_days
tender_days

-- name: median_eligible_submission_period_days
f.procedure_type = 'open' AND f.tender_days >= 0

-- name: median_value_decision_period_days
decision_days

-- name: median_eligible_decision_period_days
f.n_awards > 0 AND f.procedure_type <> 'direct' AND f.decision_days >= 0

-- name: median_group_country
f.country = w.country AND f.year = w.year

-- name: median_group_publisher
f.country = w.country AND f.publisher = w.publisher AND f.year = w.year

-- name: median_group_buyer
f.country = w.country AND f.year = w.year AND f.buyer_org_key = w.buyer_org_key

-- name: clear_empty_medians
-- A median group left with no members.
UPDATE indicator_value v SET value = NULL, median_value = NULL, median_process_id = NULL
FROM median_work w
WHERE w.n_after <= 0
  AND (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
      = (w.indicator, w.level, w.country, coalesce(w.publisher, ''), coalesce(w.buyer_org_key, ''), w.year)

-- name: update_hhi_medians
-- Supplier concentration of the changed buyers' groups: the median of the HHI of the eligible buyers (at publisher level,
-- those with processes with awards in the publisher), recomputed from the buyers' sums, not from processes. Each
-- group's buyers are read through indexes (a CTE of every eligible buyer was scanned once per group's buyer).
WITH groups AS (
    SELECT DISTINCT level, country, publisher, buyer_org_key, year FROM hhi_group
),
medians AS (
    SELECT g.level, g.country, g.publisher, g.buyer_org_key, g.year, m.value
    FROM groups g
    CROSS JOIN LATERAL (
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.hhi) AS value FROM indicator_buyer b
        WHERE b.country = g.country AND b.year = g.year AND b.hhi IS NOT NULL AND b.valued_awards >= 10
    ) m
    WHERE g.level = 'country'
    UNION ALL
    SELECT g.level, g.country, g.publisher, g.buyer_org_key, g.year, m.value
    FROM groups g
    CROSS JOIN LATERAL (
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.hhi) AS value
        FROM indicator_buyer_publisher p
        JOIN indicator_buyer b USING (country, year, buyer_org_key)
        WHERE p.country = g.country AND p.year = g.year AND p.publisher = g.publisher AND p.n_with_awards > 0
          AND b.hhi IS NOT NULL AND b.valued_awards >= 10
    ) m
    WHERE g.level = 'publisher'
    UNION ALL
    SELECT g.level, g.country, g.publisher, g.buyer_org_key, g.year, b.hhi
    FROM groups g
    LEFT JOIN indicator_buyer b
        ON (b.country, b.year, b.buyer_org_key) = (g.country, g.year, g.buyer_org_key)
       AND b.hhi IS NOT NULL AND b.valued_awards >= 10
    WHERE g.level = 'buyer'
)
UPDATE indicator_value v SET value = m.value
FROM medians m
WHERE (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
      = ('supplier_concentration_hhi', m.level, m.country, coalesce(m.publisher, ''), coalesce(m.buyer_org_key, ''),
         m.year)

-- name: delete_empty_groups
DELETE FROM indicator_value v USING touched t
WHERE t.n_total <= 0
  AND (v.indicator, v.level, v.country, coalesce(v.publisher, ''), coalesce(v.buyer_org_key, ''), v.year)
      = (t.indicator, t.level, t.country, coalesce(t.publisher, ''), coalesce(t.buyer_org_key, ''), t.year)

-- name: fact_columns
-- indicator_fact's columns but process_id, in their order: update_changed_facts sets each of them.
SELECT attname AS name FROM pg_attribute
WHERE attrelid = 'indicator_fact'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'process_id'
ORDER BY attnum

-- name: update_changed_facts
-- The changed processes whose facts changed, and that had facts, get their new facts in place: an UPDATE that
-- changes no indexed column is a heap-only tuple (the table keeps a tenth of each page free: migration 0036), where
-- a DELETE and an INSERT wrote each row into all eight indexes again (1M releases, a hundredth of the OCIDs
-- changed, the server's buffers cold: the INSERT took 0.9 to 1.1 s of a refresh's 2.6 to 3.0 s; the UPDATE 0.25 s).
-- Composed by facts.py (replace_changed_facts): {columns} are fact_columns, {values} the same of n.
UPDATE indicator_fact f SET ({columns}) = ROW({values})
FROM new_fact n
JOIN signed_fact s ON s.process_id = n.process_id AND s.sign = 1
WHERE f.process_id = n.process_id

-- name: delete_changed_facts
-- The old facts of the changed processes that have none now (no longer primary, or without a year). Facts equal
-- to their new ones were never signed: they stay as they are.
DELETE FROM indicator_fact f USING signed_fact s
WHERE s.sign = -1 AND f.process_id = s.process_id
  AND NOT EXISTS (SELECT FROM signed_fact t WHERE t.sign = 1 AND t.process_id = s.process_id)

-- name: insert_changed_facts
-- The new facts of the changed processes that had none.
INSERT INTO indicator_fact
SELECT n.* FROM new_fact n JOIN signed_fact s ON s.process_id = n.process_id AND s.sign = 1
WHERE NOT EXISTS (SELECT FROM indicator_fact f WHERE f.process_id = n.process_id)

-- name: create_work_tables
-- The refresh's own tables, gone at its commit.
CREATE TEMP TABLE changed (process_id bigint PRIMARY KEY) ON COMMIT DROP;
CREATE TEMP TABLE new_fact (LIKE indicator_fact INCLUDING DEFAULTS, PRIMARY KEY (process_id)) ON COMMIT DROP;
CREATE TEMP TABLE changed_buyer (
    country char(2), year integer, buyer_org_key text, PRIMARY KEY (country, year, buyer_org_key)
) ON COMMIT DROP;
CREATE TEMP TABLE buyer_before (LIKE indicator_buyer) ON COMMIT DROP;
CREATE TEMP TABLE buyer_publisher_before (LIKE indicator_buyer_publisher) ON COMMIT DROP;
CREATE TEMP TABLE pair_delta (
    country char(2), year integer, buyer_org_key text, supplier text, value numeric, n_processes bigint,
    before numeric
) ON COMMIT DROP;
CREATE TEMP TABLE delta_rows (
    indicator text, level text, country char(2), publisher text, buyer_org_key text, year integer, n_total bigint,
    n_in_scope bigint, n_missing bigint, n_eligible bigint, n_contributing bigint, sum_contribution numeric,
    sum_weight numeric
) ON COMMIT DROP;
CREATE TEMP TABLE touched (
    indicator text, level text, country char(2), publisher text, buyer_org_key text, year integer,
    n_contributing bigint, n_total bigint
) ON COMMIT DROP;
CREATE TEMP TABLE hhi_group (
    level text, country char(2), publisher text, buyer_org_key text, year integer
) ON COMMIT DROP;
CREATE TEMP TABLE median_work (
    indicator text, level text, country char(2), publisher text, buyer_org_key text, year integer, n_before bigint,
    n_after bigint, median_value double precision, median_process_id bigint, added_below bigint,
    removed_below bigint, anchor_added bigint, anchor_removed bigint
) ON COMMIT DROP

-- name: drop_work_tables
-- At the end of the refresh: a caller's transaction around several refreshes would otherwise meet them again.
DROP TABLE changed, new_fact, changed_buyer, buyer_before, buyer_publisher_before, pair_delta, delta_rows, touched,
    hhi_group, median_work

-- name: drop_signed_table
DROP TABLE signed_fact

-- name: create_signed_table
CREATE TEMP TABLE signed_fact (sign integer NOT NULL, LIKE indicator_fact) ON COMMIT DROP

-- name: create_changed_table
CREATE TEMP TABLE changed (process_id bigint PRIMARY KEY) ON COMMIT DROP

-- name: drop_changed_table
DROP TABLE changed

-- name: analyze_changed
-- Temporary tables are never analyzed by autovacuum: without statistics the planner takes them for empty and joins
-- them by nested loops (seconds where hash joins take milliseconds).
ANALYZE changed

-- name: analyze_new_facts
ANALYZE changed, new_fact (process_id)

-- name: analyze_signed
ANALYZE signed_fact (process_id, country, year, publisher, buyer_org_key)

-- name: analyze_buyers
ANALYZE changed_buyer, buyer_before, buyer_publisher_before, pair_delta

-- name: analyze_delta
ANALYZE delta_rows (indicator, level, country, year), hhi_group

-- name: analyze_facts
-- A full refresh fills emptied tables: without fresh statistics the planner takes them for empty still.
ANALYZE indicator_fact

-- name: analyze_grown
-- After a refresh that changed many facts (aggregator/compare/changes.py: analyze_when_grown).
ANALYZE indicator_fact, indicator_value, indicator_buyer, indicator_buyer_supplier, indicator_buyer_publisher

-- name: analyze_buyer_sums
-- A full refresh fills the buyers' sums into emptied tables: planned with the statistics they had before (none, in
-- the first refresh), hhi_delta joined every buyer's publishers to every buyer by nested loop (1M releases: 10,171
-- buyers, 103 million pairs compared, 6.2 of the first refresh's 19.4 s).
ANALYZE indicator_buyer_supplier, indicator_buyer, indicator_buyer_publisher

-- name: analyze_values
ANALYZE indicator_value

-- name: analyze_medians
ANALYZE median_work

-- name: count_changed
SELECT count(*) AS n FROM changed

-- name: count_facts
SELECT count(*) AS n FROM indicator_fact

-- name: select_touched_groups
SELECT DISTINCT country::text AS country, year FROM touched WHERE level = 'country' ORDER BY 1, 2

-- name: truncate_all
TRUNCATE indicator_fact, indicator_value, indicator_buyer, indicator_buyer_supplier, indicator_buyer_publisher

-- name: select_values
SELECT indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
       suppressed
FROM indicator_value
WHERE level = %(level)s
  AND (%(country)s::text IS NULL OR country = %(country)s::text)
  AND (%(year)s::int IS NULL OR year = %(year)s::int)
ORDER BY country, year, publisher NULLS FIRST, buyer_org_key NULLS FIRST, indicator

-- name: select_explain
-- Composed with expand_facts and expand_buyer by facts.py. Supplier concentration of a known buyer's process from
-- its buyer's sums; the first eligible process of each buyer weighs 1.
SELECT ocid, in_scope, eligible, contribution,
       CASE WHEN by_buyer THEN (eligible AND row_number() OVER (
                PARTITION BY buyer_org_key, eligible ORDER BY process_id) = 1)::int::float
            ELSE weight END AS weight
FROM (
    SELECT f.ocid, f.process_id, f.buyer_org_key, h.by_buyer,
           CASE WHEN h.by_buyer THEN h.in_scope ELSE x.in_scope END AS in_scope,
           CASE WHEN h.by_buyer THEN h.eligible ELSE x.eligible END AS eligible,
           CASE WHEN h.by_buyer THEN h.contribution ELSE x.contribution END AS contribution, x.weight
    FROM indicator_fact f
    CROSS JOIN LATERAL ({expand}) x
    LEFT JOIN indicator_buyer b USING (country, year, buyer_org_key)
    CROSS JOIN LATERAL (
        SELECT x.indicator = 'supplier_concentration_hhi' AND f.buyer_org_key IS NOT NULL AS by_buyer, buyer.*
        FROM ({expand_buyer}) buyer
    ) h
    WHERE x.indicator = %(indicator)s AND f.country = %(country)s AND f.year = %(year)s
) e
ORDER BY eligible DESC, in_scope DESC, ocid

-- name: select_reltuples
-- The planner's count of a table's rows (-1: never analysed).
SELECT reltuples AS n FROM pg_class WHERE oid = %(table)s::regclass
