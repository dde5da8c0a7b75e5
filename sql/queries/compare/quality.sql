-- Field coverage and consistency checks per publisher (aggregator/indicators/quality.py). Every process of the
-- publisher counts, primary or not: this is about what the publisher publishes.

-- name: delete_coverage
DELETE FROM field_coverage WHERE %(publishers)s::text[] IS NULL OR publisher = ANY(%(publishers)s::text[])

-- name: delete_checks
DELETE FROM quality_check WHERE %(publishers)s::text[] IS NULL OR publisher = ANY(%(publishers)s::text[])

-- name: select_changed_publishers
-- The publishers of the processes in the refresh's temporary table changed.
SELECT DISTINCT pub.name AS publisher
FROM changed c
JOIN process p ON p.id = c.process_id
JOIN publisher pub ON pub.id = p.publisher_id
ORDER BY 1

-- name: process_facts
-- Shared by the two inserts below (a CTE named facts).
SELECT p.*, pub.name AS publisher, pub.ocid_prefixes, d.body, a.*, k.*
FROM process p
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
WHERE %(publishers)s::text[] IS NULL OR pub.name = ANY(%(publishers)s::text[])

-- name: party_ids
-- The ids of the compiled release's parties, and of the organizations it references (used by the checks).
SELECT ARRAY(SELECT x ->> 'id' FROM jsonb_array_elements(
           CASE WHEN jsonb_typeof(f.body -> 'parties') = 'array' THEN f.body -> 'parties' ELSE '[]' END) x) AS parties,
       ARRAY(SELECT jsonb_path_query(f.body, '$.awards[*].suppliers[*].id') #>> '{}') AS suppliers,
       ARRAY(SELECT jsonb_path_query(f.body, '$.tender.tenderers[*].id') #>> '{}') AS tenderers,
       (SELECT count(*) FROM process_party q WHERE q.process_id = f.id AND 'tenderer' = ANY(q.roles)) AS n_tenderer_parties

-- name: insert_coverage
INSERT INTO field_coverage (publisher, field, n_applicable, n_present, share)
SELECT publisher, field, count(*) FILTER (WHERE applicable), count(*) FILTER (WHERE applicable AND present),
       (count(*) FILTER (WHERE applicable AND present))::float / nullif(count(*) FILTER (WHERE applicable), 0)
FROM facts f
CROSS JOIN LATERAL (VALUES
    ('buyer_id', true, f.buyer_org_key NOT LIKE 'name/%%'),
    ('supplier_id', f.n_awards > 0, f.n_supplier_ids = f.n_awards),
    ('procedure_type', true, f.procedure_type IS NOT NULL),
    ('tender_period', true, f.tender_start IS NOT NULL AND f.tender_end IS NOT NULL),
    ('tender_amount', true, f.amount IS NOT NULL AND f.currency IS NOT NULL),
    ('award_amount', f.n_awards > 0, f.n_award_amounts = f.n_awards),
    ('award_date', f.n_awards > 0, f.n_award_dates = f.n_awards),
    ('contract_amount', f.n_contracts > 0, f.n_contract_amounts = f.n_contracts),
    ('contract_date_signed', f.n_contracts > 0, f.n_contract_dates = f.n_contracts),
    ('number_of_tenderers', f.procedure_type IN ('open', 'selective'), f.number_of_tenderers IS NOT NULL),
    ('release_date', true, f.release_date IS NOT NULL),
    ('tender_status', true, f.tender_status IS NOT NULL),
    ('main_procurement_category', true, f.main_procurement_category IS NOT NULL)
) AS c (field, applicable, present)
GROUP BY publisher, field

-- name: insert_checks
INSERT INTO quality_check (publisher, check_id, n_checked, n_passed, n_failed, examples)
SELECT publisher, check_id, count(*) FILTER (WHERE applicable), count(*) FILTER (WHERE applicable AND passed),
       count(*) FILTER (WHERE applicable AND NOT passed),
       coalesce((array_agg(DISTINCT ocid) FILTER (WHERE applicable AND NOT passed))[1:5], '{}')
FROM facts f
CROSS JOIN LATERAL (VALUES
    ('tender_period_order', f.tender_start IS NOT NULL AND f.tender_end IS NOT NULL, f.tender_start <= f.tender_end),
    ('contract_period_order', f.n_contract_periods > 0, f.n_contract_period_reversed = 0),
    ('award_value_within_tender', f.amount > 0 AND f.award_sum IS NOT NULL AND f.n_other_currency = 0,
     f.award_sum BETWEEN 0.5 * f.amount AND 1.5 * f.amount),
    ('contract_value_within_award', f.n_value_compared > 0, f.n_value_outside = 0),
    ('contract_award_resolves', f.n_contract_award_ids > 0, f.n_unresolved = 0),
    ('contract_has_award_id', f.n_contracts > 0, f.n_contract_award_ids = f.n_contracts),
    ('tenderer_count_consistent', f.number_of_tenderers IS NOT NULL AND f.n_tenderer_parties > 0,
     f.number_of_tenderers = f.n_tenderer_parties),
    ('buyer_party_exists', f.body -> 'buyer' ->> 'id' IS NOT NULL, f.body -> 'buyer' ->> 'id' = ANY(f.parties)),
    ('supplier_parties_exist', cardinality(f.suppliers) > 0, f.suppliers <@ f.parties),
    ('tenderer_parties_exist', cardinality(f.tenderers) > 0, f.tenderers <@ f.parties),
    ('award_date_after_tender_start', f.first_award_date IS NOT NULL AND f.tender_start IS NOT NULL,
     f.first_award_date >= f.tender_start),
    ('award_date_after_tender_end', f.first_award_date IS NOT NULL AND f.tender_end IS NOT NULL
     AND f.procedure_type IN ('open', 'selective'), f.first_award_date >= f.tender_end),
    ('contract_signed_after_award', f.n_signed_compared > 0, f.n_signed_before_award = 0),
    ('tender_amount_non_negative', f.amount IS NOT NULL, f.amount >= 0),
    ('award_amounts_non_negative', f.n_award_amounts > 0, f.n_award_negative = 0),
    ('contract_amounts_non_negative', f.n_contract_amounts > 0, f.n_contract_negative = 0),
    ('tender_currency_with_amount', f.amount_raw IS NOT NULL, f.currency_raw IS NOT NULL),
    ('award_currency_with_amount', f.n_awards > 0, f.n_award_no_currency = 0),
    ('contract_currency_with_amount', f.n_contracts > 0, f.n_contract_no_currency = 0),
    ('award_date_not_future', f.n_award_dates > 0, f.n_award_future = 0),
    ('tenderers_non_negative', f.number_of_tenderers IS NOT NULL, f.number_of_tenderers >= 0),
    ('active_awards_have_suppliers', f.n_active > 0, f.n_active_no_supplier = 0),
    ('procedure_mapped', f.procurement_method_raw IS NOT NULL OR f.procurement_method_details_raw IS NOT NULL,
     f.procedure_type IS NOT NULL),
    ('release_date_parsed', f.release_date_raw IS NOT NULL, f.release_date IS NOT NULL),
    ('ocid_has_publisher_prefix', cardinality(f.ocid_prefixes) > 0,
     EXISTS (SELECT 1 FROM unnest(f.ocid_prefixes) x WHERE starts_with(f.ocid, x)))
) AS c (check_id, check_applicable, check_passed)
CROSS JOIN LATERAL (SELECT coalesce(c.check_applicable, false) AS applicable,
                           coalesce(c.check_passed, false) AS passed) r
GROUP BY publisher, check_id

-- name: select_coverage
SELECT publisher, field, n_applicable, n_present, share FROM field_coverage
WHERE %(publisher)s::text IS NULL OR publisher = %(publisher)s::text
ORDER BY publisher, field

-- name: select_checks
SELECT publisher, check_id, n_checked, n_passed, n_failed, examples FROM quality_check
WHERE %(publisher)s::text IS NULL OR publisher = %(publisher)s::text
ORDER BY publisher, check_id
