-- Field coverage and consistency checks per publisher, by delta (aggregator/compare/quality.py). Every process of
-- the publisher counts, primary or not: this is about what the publisher publishes. Each process's facts are two
-- bit masks over the items below (quality_fact, migration 0031); field_coverage and quality_check get the changed
-- processes' new masks less their old ones (quality_signed: -1 old, 1 new; in a full refresh, a view of every
-- fact with sign 1).

-- name: quality_items
-- Every field and check, with its bit in the masks. A process's facts give each its applicability and outcome
-- (block expand_quality, joined by kind and name).
SELECT * FROM (VALUES
    (0, 'field', 'buyer_id'),
    (1, 'field', 'supplier_id'),
    (2, 'field', 'procedure_type'),
    (3, 'field', 'tender_period'),
    (4, 'field', 'tender_amount'),
    (5, 'field', 'award_amount'),
    (6, 'field', 'award_date'),
    (7, 'field', 'contract_amount'),
    (8, 'field', 'contract_date_signed'),
    (9, 'field', 'number_of_tenderers'),
    (10, 'field', 'release_date'),
    (11, 'field', 'tender_status'),
    (12, 'field', 'main_procurement_category'),
    (13, 'check', 'tender_period_order'),
    (14, 'check', 'contract_period_order'),
    (15, 'check', 'award_value_within_tender'),
    (16, 'check', 'contract_value_within_award'),
    (17, 'check', 'contract_award_resolves'),
    (18, 'check', 'contract_has_award_id'),
    (19, 'check', 'tenderer_count_consistent'),
    (20, 'check', 'buyer_party_exists'),
    (21, 'check', 'supplier_parties_exist'),
    (22, 'check', 'tenderer_parties_exist'),
    (23, 'check', 'award_date_after_tender_start'),
    (24, 'check', 'award_date_after_tender_end'),
    (25, 'check', 'contract_signed_after_award'),
    (26, 'check', 'tender_amount_non_negative'),
    (27, 'check', 'award_amounts_non_negative'),
    (28, 'check', 'contract_amounts_non_negative'),
    (29, 'check', 'tender_currency_with_amount'),
    (30, 'check', 'award_currency_with_amount'),
    (31, 'check', 'contract_currency_with_amount'),
    (32, 'check', 'award_date_not_future'),
    (33, 'check', 'tenderers_non_negative'),
    (34, 'check', 'active_awards_have_suppliers'),
    (35, 'check', 'procedure_mapped'),
    (36, 'check', 'release_date_parsed'),
    (37, 'check', 'ocid_has_publisher_prefix')
) AS i (position, kind, name)

-- name: process_facts
-- What the items read from a process, its awards, contracts and compiled release. Composed by quality.py
-- (blocks changed_processes or all_processes of compare/indicators).
SELECT p.*, pub.name AS publisher, pub.ocid_prefixes, d.body, a.*, k.*
FROM {processes}
JOIN publisher pub ON pub.id = p.publisher_id
JOIN compiled_release c ON c.id = p.compiled_release_id
JOIN data d ON d.id = c.data_id
CROSS JOIN LATERAL (
    SELECT count(*) AS n_awards, min(w.date) AS first_award_date,
           count(*) FILTER (WHERE w.date IS NOT NULL) AS n_award_dates,
           count(*) FILTER (WHERE w.amount IS NOT NULL) AS n_award_amounts,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM unnest(w.supplier_org_keys) s WHERE s NOT LIKE 'name/%%'))
               AS n_supplier_ids,
           count(*) FILTER (WHERE w.amount < 0) AS n_award_negative,
           count(*) FILTER (WHERE w.amount_raw IS NOT NULL AND w.currency_raw IS NULL) AS n_award_no_currency,
           count(*) FILTER (WHERE w.date > now()) AS n_award_future,
           count(*) FILTER (WHERE w.status = 'active') AS n_active,
           count(*) FILTER (WHERE w.status = 'active' AND cardinality(w.supplier_org_keys) = 0) AS n_active_no_supplier,
           sum(w.amount) FILTER (WHERE w.currency = p.currency) AS award_sum,
           count(*) FILTER (WHERE w.amount IS NOT NULL AND w.currency IS DISTINCT FROM p.currency) AS n_other_currency
    FROM award w WHERE w.process_id = p.id
) a
CROSS JOIN LATERAL (
    SELECT count(*) AS n_contracts,
           count(*) FILTER (WHERE x.amount IS NOT NULL) AS n_contract_amounts,
           count(*) FILTER (WHERE x.date_signed IS NOT NULL) AS n_contract_dates,
           count(*) FILTER (WHERE x.award_id IS NOT NULL) AS n_contract_award_ids,
           count(*) FILTER (WHERE x.award_id IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM award w WHERE w.process_id = p.id AND w.award_id = x.award_id)) AS n_unresolved,
           count(*) FILTER (WHERE x.period_start IS NOT NULL AND x.period_end IS NOT NULL) AS n_contract_periods,
           count(*) FILTER (WHERE x.period_start > x.period_end) AS n_contract_period_reversed,
           count(*) FILTER (WHERE x.amount < 0) AS n_contract_negative,
           count(*) FILTER (WHERE x.amount_raw IS NOT NULL AND x.currency_raw IS NULL) AS n_contract_no_currency,
           count(*) FILTER (WHERE x.date_signed IS NOT NULL AND EXISTS (
               SELECT 1 FROM award w WHERE w.process_id = p.id AND w.award_id = x.award_id AND w.date IS NOT NULL))
               AS n_signed_compared,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM award w WHERE w.process_id = p.id AND w.award_id = x.award_id
                 AND x.date_signed < w.date)) AS n_signed_before_award,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM award w WHERE w.process_id = p.id AND w.award_id = x.award_id AND w.amount > 0
                 AND w.currency = x.currency AND x.amount IS NOT NULL)) AS n_value_compared,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM award w WHERE w.process_id = p.id AND w.award_id = x.award_id AND w.amount > 0
                 AND w.currency = x.currency AND x.amount NOT BETWEEN 0.5 * w.amount AND 1.5 * w.amount))
               AS n_value_outside
    FROM contract x WHERE x.process_id = p.id
) k

-- name: party_ids
-- The ids of the compiled release's parties, and of the organizations it references (used by the checks).
SELECT ARRAY(SELECT x ->> 'id' FROM jsonb_array_elements(
           CASE WHEN jsonb_typeof(f.body -> 'parties') = 'array' THEN f.body -> 'parties' ELSE '[]' END) x) AS parties,
       ARRAY(SELECT jsonb_path_query(f.body, '$.awards[*].suppliers[*].id') #>> '{}') AS suppliers,
       ARRAY(SELECT jsonb_path_query(f.body, '$.tender.tenderers[*].id') #>> '{}') AS tenderers,
       (SELECT count(*) FROM process_party q WHERE q.process_id = f.id AND 'tenderer' = ANY(q.roles)) AS n_tenderer_parties

-- name: expand_quality
-- Each item of one process's facts f: whether it applies, and whether the field is present or the check passed
-- (NULL counts as false).
SELECT * FROM (VALUES
    ('field', 'buyer_id', true, f.buyer_org_key NOT LIKE 'name/%%'),
    ('field', 'supplier_id', f.n_awards > 0, f.n_supplier_ids = f.n_awards),
    ('field', 'procedure_type', true, f.procedure_type IS NOT NULL),
    ('field', 'tender_period', true, f.tender_start IS NOT NULL AND f.tender_end IS NOT NULL),
    ('field', 'tender_amount', true, f.amount IS NOT NULL AND f.currency IS NOT NULL),
    ('field', 'award_amount', f.n_awards > 0, f.n_award_amounts = f.n_awards),
    ('field', 'award_date', f.n_awards > 0, f.n_award_dates = f.n_awards),
    ('field', 'contract_amount', f.n_contracts > 0, f.n_contract_amounts = f.n_contracts),
    ('field', 'contract_date_signed', f.n_contracts > 0, f.n_contract_dates = f.n_contracts),
    ('field', 'number_of_tenderers', f.procedure_type IN ('open', 'selective'), f.number_of_tenderers IS NOT NULL),
    ('field', 'release_date', true, f.release_date IS NOT NULL),
    ('field', 'tender_status', true, f.tender_status IS NOT NULL),
    ('field', 'main_procurement_category', true, f.main_procurement_category IS NOT NULL),
    ('check', 'tender_period_order', f.tender_start IS NOT NULL AND f.tender_end IS NOT NULL,
     f.tender_start <= f.tender_end),
    ('check', 'contract_period_order', f.n_contract_periods > 0, f.n_contract_period_reversed = 0),
    ('check', 'award_value_within_tender', f.amount > 0 AND f.award_sum IS NOT NULL AND f.n_other_currency = 0,
     f.award_sum BETWEEN 0.5 * f.amount AND 1.5 * f.amount),
    ('check', 'contract_value_within_award', f.n_value_compared > 0, f.n_value_outside = 0),
    ('check', 'contract_award_resolves', f.n_contract_award_ids > 0, f.n_unresolved = 0),
    ('check', 'contract_has_award_id', f.n_contracts > 0, f.n_contract_award_ids = f.n_contracts),
    ('check', 'tenderer_count_consistent', f.number_of_tenderers IS NOT NULL AND f.n_tenderer_parties > 0,
     f.number_of_tenderers = f.n_tenderer_parties),
    ('check', 'buyer_party_exists', f.body -> 'buyer' ->> 'id' IS NOT NULL, f.body -> 'buyer' ->> 'id' = ANY(f.parties)),
    ('check', 'supplier_parties_exist', cardinality(f.suppliers) > 0, f.suppliers <@ f.parties),
    ('check', 'tenderer_parties_exist', cardinality(f.tenderers) > 0, f.tenderers <@ f.parties),
    ('check', 'award_date_after_tender_start', f.first_award_date IS NOT NULL AND f.tender_start IS NOT NULL,
     f.first_award_date >= f.tender_start),
    ('check', 'award_date_after_tender_end', f.first_award_date IS NOT NULL AND f.tender_end IS NOT NULL
     AND f.procedure_type IN ('open', 'selective'), f.first_award_date >= f.tender_end),
    ('check', 'contract_signed_after_award', f.n_signed_compared > 0, f.n_signed_before_award = 0),
    ('check', 'tender_amount_non_negative', f.amount IS NOT NULL, f.amount >= 0),
    ('check', 'award_amounts_non_negative', f.n_award_amounts > 0, f.n_award_negative = 0),
    ('check', 'contract_amounts_non_negative', f.n_contract_amounts > 0, f.n_contract_negative = 0),
    ('check', 'tender_currency_with_amount', f.amount_raw IS NOT NULL, f.currency_raw IS NOT NULL),
    ('check', 'award_currency_with_amount', f.n_awards > 0, f.n_award_no_currency = 0),
    ('check', 'contract_currency_with_amount', f.n_contracts > 0, f.n_contract_no_currency = 0),
    -- Against the clock: a date in the future when the process was last computed.
    ('check', 'award_date_not_future', f.n_award_dates > 0, f.n_award_future = 0),
    ('check', 'tenderers_non_negative', f.number_of_tenderers IS NOT NULL, f.number_of_tenderers >= 0),
    ('check', 'active_awards_have_suppliers', f.n_active > 0, f.n_active_no_supplier = 0),
    ('check', 'procedure_mapped', f.procurement_method_raw IS NOT NULL OR f.procurement_method_details_raw IS NOT NULL,
     f.procedure_type IS NOT NULL),
    ('check', 'release_date_parsed', f.release_date_raw IS NOT NULL, f.release_date IS NOT NULL),
    ('check', 'ocid_has_publisher_prefix', cardinality(f.ocid_prefixes) > 0,
     EXISTS (SELECT 1 FROM unnest(f.ocid_prefixes) x WHERE starts_with(f.ocid, x)))
) AS x (kind, name, applicable, ok)

-- name: insert_facts
-- Each process's masks: into quality_new (the changed processes) or quality_fact (a full refresh). Composed by
-- quality.py with process_facts, party_ids, expand_quality and quality_items.
INSERT INTO {target} (process_id, publisher, ocid, applicable, ok)
WITH base AS ({facts}),
facts AS (SELECT f.*, ids.* FROM base f CROSS JOIN LATERAL ({party_ids}) ids)
SELECT f.id, f.publisher, f.ocid, coalesce(m.applicable, 0), coalesce(m.ok, 0)
FROM facts f
CROSS JOIN LATERAL (
    SELECT bit_or(1::bigint << i.position) FILTER (WHERE coalesce(x.applicable, false)) AS applicable,
           bit_or(1::bigint << i.position) FILTER (WHERE coalesce(x.applicable, false) AND coalesce(x.ok, false)) AS ok
    FROM ({expand}) x
    JOIN ({items}) i ON (i.kind, i.name) = (x.kind, x.name)
) m

-- name: insert_signed
-- The changed processes' old masks (-1) and new masks (1), leaving out those that did not change.
INSERT INTO quality_signed
SELECT -1, o.* FROM quality_fact o JOIN changed c USING (process_id)
WHERE NOT EXISTS (SELECT 1 FROM quality_new n WHERE n.process_id = o.process_id
                  AND (n.publisher, n.ocid, n.applicable, n.ok) = (o.publisher, o.ocid, o.applicable, o.ok))
UNION ALL
SELECT 1, n.* FROM quality_new n
WHERE NOT EXISTS (SELECT 1 FROM quality_fact o WHERE o.process_id = n.process_id
                  AND (n.publisher, n.ocid, n.applicable, n.ok) = (o.publisher, o.ocid, o.applicable, o.ok))

-- name: create_signed_view
CREATE TEMP VIEW quality_signed AS SELECT 1 AS sign, f.* FROM quality_fact f

-- name: drop_signed_view
DROP VIEW quality_signed

-- name: select_delta
-- Per publisher and item: the signed processes, and those to which it applies and where it is present or passed.
INSERT INTO quality_delta
SELECT s.publisher, i.kind, i.name, sum(s.sign), sum(s.sign * ((s.applicable >> i.position) & 1)),
       sum(s.sign * (((s.applicable & s.ok) >> i.position) & 1))
FROM quality_signed s
CROSS JOIN ({items}) i
GROUP BY s.publisher, i.kind, i.name

-- name: select_check_changes
-- Per publisher and check: the changed processes that fail it now (how many, and the first five OCIDs), and the
-- examples that fail it no more. Run before the facts are replaced and the examples updated.
INSERT INTO check_change
WITH failures AS (
    SELECT s.publisher, i.name AS check_id, s.sign, s.ocid,
           row_number() OVER (PARTITION BY s.publisher, i.name, s.sign ORDER BY s.ocid) AS rank
    FROM quality_signed s
    JOIN ({items}) i ON i.kind = 'check'
    WHERE (s.applicable & ~s.ok & (1::bigint << i.position)) <> 0
)
SELECT f.publisher, f.check_id, count(*) FILTER (WHERE f.sign > 0),
       coalesce(array_agg(f.ocid ORDER BY f.ocid) FILTER (WHERE f.sign > 0 AND f.rank <= 5), '{}'),
       coalesce(array_agg(f.ocid) FILTER (WHERE f.sign < 0 AND f.ocid = ANY(q.examples)), '{}')
FROM failures f
LEFT JOIN quality_check q USING (publisher, check_id)
GROUP BY f.publisher, f.check_id

-- name: apply_coverage
INSERT INTO field_coverage AS c (publisher, field, n_applicable, n_present, n_processes)
SELECT publisher, name, n_applicable, n_ok, n_processes FROM quality_delta WHERE kind = 'field'
ON CONFLICT (publisher, field) DO UPDATE SET
    n_applicable = c.n_applicable + excluded.n_applicable,
    n_present = c.n_present + excluded.n_present,
    n_processes = c.n_processes + excluded.n_processes,
    computed_at = now();
UPDATE field_coverage c SET share = c.n_present::float / nullif(c.n_applicable, 0)
FROM quality_delta d WHERE d.kind = 'field' AND (c.publisher, c.field) = (d.publisher, d.name)

-- name: apply_checks
INSERT INTO quality_check AS c (publisher, check_id, n_checked, n_passed, n_failed, n_processes)
SELECT publisher, name, n_applicable, n_ok, n_applicable - n_ok, n_processes FROM quality_delta WHERE kind = 'check'
ON CONFLICT (publisher, check_id) DO UPDATE SET
    n_checked = c.n_checked + excluded.n_checked,
    n_passed = c.n_passed + excluded.n_passed,
    n_failed = c.n_failed + excluded.n_failed,
    n_processes = c.n_processes + excluded.n_processes,
    computed_at = now()

-- name: update_examples
-- The first five failing OCIDs of each changed check, from the examples kept, the changed processes' first five
-- failures, and, only when these may miss some (examples went while more fail than are known), the facts' index
-- read from the last example on. OCIDs are unique within a publisher (compiled_release). Composed with quality_items.
WITH work AS (
    SELECT q.publisher, q.check_id, i.position, c.added, q.examples[5] AS last,
           ARRAY(SELECT e FROM unnest(q.examples) e WHERE e <> ALL (c.removed)) AS kept,
           q.n_failed > cardinality(q.examples) - cardinality(c.removed) + c.n_added AS incomplete
    FROM quality_check q
    JOIN check_change c USING (publisher, check_id)
    JOIN ({items}) i ON i.kind = 'check' AND i.name = q.check_id
)
UPDATE quality_check q
SET examples = ARRAY(
    SELECT ocid FROM (
        SELECT unnest(w.kept || w.added) AS ocid
        UNION
        SELECT s.ocid FROM (
            SELECT f.ocid FROM quality_fact f
            WHERE w.incomplete AND f.publisher = w.publisher AND f.ocid > w.last
              AND (f.applicable & ~f.ok & (1::bigint << w.position)) <> 0
            ORDER BY f.ocid LIMIT 5
        ) s
    ) u
    ORDER BY ocid LIMIT 5
)
FROM work w
WHERE (q.publisher, q.check_id) = (w.publisher, w.check_id)

-- name: delete_empty
DELETE FROM field_coverage c USING quality_delta d
WHERE d.kind = 'field' AND (c.publisher, c.field) = (d.publisher, d.name) AND c.n_processes <= 0;
DELETE FROM quality_check c USING quality_delta d
WHERE d.kind = 'check' AND (c.publisher, c.check_id) = (d.publisher, d.name) AND c.n_processes <= 0

-- name: delete_changed_facts
DELETE FROM quality_fact f USING changed c WHERE f.process_id = c.process_id

-- name: insert_changed_facts
INSERT INTO quality_fact SELECT * FROM quality_new

-- name: create_work_tables
CREATE TEMP TABLE quality_new (LIKE quality_fact, PRIMARY KEY (process_id)) ON COMMIT DROP;
CREATE TEMP TABLE quality_delta (
    publisher text, kind text, name text, n_processes bigint, n_applicable bigint, n_ok bigint
) ON COMMIT DROP;
CREATE TEMP TABLE check_change (
    publisher text, check_id text, n_added bigint, added text[], removed text[]
) ON COMMIT DROP

-- name: create_signed_table
CREATE TEMP TABLE quality_signed (sign integer NOT NULL, LIKE quality_fact) ON COMMIT DROP

-- name: drop_work_tables
DROP TABLE quality_new, quality_delta, check_change

-- name: drop_signed_table
DROP TABLE quality_signed

-- name: analyze_grown
-- After a refresh that changed many facts (aggregator/compare/changes.py: analyze_when_grown).
ANALYZE quality_fact, field_coverage, quality_check

-- name: analyze_new
ANALYZE quality_new

-- name: analyze_signed
ANALYZE quality_signed

-- name: analyze_delta
ANALYZE quality_delta, check_change

-- name: truncate_all
TRUNCATE quality_fact, field_coverage, quality_check

-- name: count_facts
SELECT count(*) AS n FROM quality_fact

-- name: select_publishers
-- The publishers whose coverage or checks changed.
SELECT DISTINCT publisher FROM quality_delta ORDER BY 1

-- name: select_coverage
SELECT publisher, field, n_applicable, n_present, share FROM field_coverage
WHERE %(publisher)s::text IS NULL OR publisher = %(publisher)s::text
ORDER BY publisher, field

-- name: select_checks
SELECT publisher, check_id, n_checked, n_passed, n_failed, examples FROM quality_check
WHERE %(publisher)s::text IS NULL OR publisher = %(publisher)s::text
ORDER BY publisher, check_id
