-- Normalizing compiled releases (aggregator/normalize/refresh.py).

-- name: select_pending
-- Compiled releases never normalized, or compiled again since: those marked (normalize_dirty, migration 0039) whose
-- process says so.
SELECT c.id FROM normalize_dirty d
JOIN compiled_release c ON c.id = d.compiled_release_id
LEFT JOIN process p ON p.compiled_release_id = c.id
WHERE (%(publisher_ids)s::int[] IS NULL OR d.publisher_id = ANY(%(publisher_ids)s::int[]))
  AND (p.id IS NULL OR p.source_compiled_at IS DISTINCT FROM c.compiled_at)
ORDER BY c.publisher_id, c.id

-- name: select_all
-- normalize --full: every compiled release.
SELECT c.id FROM compiled_release c
WHERE %(publisher_ids)s::int[] IS NULL OR c.publisher_id = ANY(%(publisher_ids)s::int[])
ORDER BY c.publisher_id, c.id

-- name: take_normalized
-- The marks of a batch's compiled releases, as the batch read them (id and compiled_at), in the batch's transaction.
-- A compile that marked one again meanwhile holds its mark's row until it commits; this waits for it and then finds
-- another compiled_at, and leaves the mark.
DELETE FROM normalize_dirty d
USING unnest(%(ids)s::bigint[], %(compiled_at)s::timestamptz[]) AS t (id, compiled_at)
WHERE d.compiled_release_id = t.id AND d.compiled_at = t.compiled_at

-- name: drop_gone_marks
-- Marks of compiled releases deleted since they were made (ids are never given again).
DELETE FROM normalize_dirty d
WHERE NOT EXISTS (SELECT FROM compiled_release c WHERE c.id = d.compiled_release_id)

-- name: select_compiled
SELECT c.id, c.publisher_id, c.ocid, c.compiled_at, d.body::text AS body, pub.name AS publisher, pub.country,
       pub.ocid_prefixes, p.id AS process_id, p.output_hash, p.source_compiled_at
FROM compiled_release c
JOIN data d ON d.id = c.data_id
JOIN publisher pub ON pub.id = c.publisher_id
LEFT JOIN process p ON p.compiled_release_id = c.id
WHERE c.id = ANY(%(ids)s)
ORDER BY c.id

-- name: prepare_batch
-- A batch is written through staging tables (aggregator/normalize/write.py): its rows go in by COPY, then a few
-- set-based statements, sent together, move them into place. The staging tables live as long as the connection
-- and are emptied at every commit; a batch empties them first too, in case its transaction holds another batch.
-- Normalized rows are derived data, written in the same transaction as what marks them done (source_compiled_at):
-- if the server crashes before the commit reaches the disk, the batch is lost whole and is normalized again by the
-- next run. So the commit need not wait for the disk. The staging tables take their columns from the tables.
SET LOCAL synchronous_commit = off;
CREATE TEMP TABLE IF NOT EXISTS normalize_stage_process ON COMMIT DELETE ROWS AS
SELECT compiled_release_id, publisher_id, ocid, process_key, ocid_scope, country, buyer_org_key, buyer_country, title,
       tender_status, procurement_method_raw, procurement_method_details_raw, procurement_method, procedure_type,
       procedure_type_source, main_procurement_category, number_of_tenderers, release_date, release_date_raw,
       tender_start, tender_start_raw, tender_end, tender_end_raw, amount_raw, currency_raw, amount, currency,
       reference_date, reference_date_source, amount_usd, amount_eur, rate_usd, rate_eur, rate_date, rate_source,
       amount_ppp, ppp_factor, ppp_year, award_count, contract_count, source_compiled_at, output_hash
FROM process WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS normalize_stage_award ON COMMIT DELETE ROWS AS
SELECT compiled_release_id, position, award_id, title, status, date, date_raw, supplier_org_keys, amount_raw,
       currency_raw, amount, currency, reference_date, reference_date_source, amount_usd, amount_eur, rate_usd,
       rate_eur, rate_date, rate_source, amount_ppp, ppp_factor, ppp_year
FROM award WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS normalize_stage_contract ON COMMIT DELETE ROWS AS
SELECT compiled_release_id, position, contract_id, award_id, title, status, date_signed, date_signed_raw,
       period_start, period_start_raw, period_end, period_end_raw, amount_raw, currency_raw, amount, currency,
       reference_date, reference_date_source, amount_usd, amount_eur, rate_usd, rate_eur, rate_date, rate_source,
       amount_ppp, ppp_factor, ppp_year
FROM contract WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS normalize_stage_party ON COMMIT DELETE ROWS AS
SELECT compiled_release_id, position, party_id, name, roles, org_key, method, score, scheme, identifier, country
FROM process_party WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS normalize_stage_identifier ON COMMIT DELETE ROWS AS
SELECT compiled_release_id, party_position, position, source, scheme_raw, id_raw, scheme, identifier, key, score
FROM organization_identifier WITH NO DATA;
CREATE TEMP TABLE IF NOT EXISTS normalize_stage_id (compiled_release_id bigint, process_id bigint)
ON COMMIT DELETE ROWS;
DELETE FROM normalize_stage_process;
DELETE FROM normalize_stage_id;
DELETE FROM normalize_stage_award;
DELETE FROM normalize_stage_contract;
DELETE FROM normalize_stage_party;
DELETE FROM normalize_stage_identifier

-- name: copy_processes
-- The column lists of the copy_* blocks are the order in which write.py gives each row's values.
COPY normalize_stage_process (
    compiled_release_id, publisher_id, ocid, process_key, ocid_scope, country, buyer_org_key, buyer_country, title,
    tender_status, procurement_method_raw, procurement_method_details_raw, procurement_method, procedure_type,
    procedure_type_source, main_procurement_category, number_of_tenderers, release_date, release_date_raw,
    tender_start, tender_start_raw, tender_end, tender_end_raw, amount_raw, currency_raw, amount, currency,
    reference_date, reference_date_source, amount_usd, amount_eur, rate_usd, rate_eur, rate_date, rate_source,
    amount_ppp, ppp_factor, ppp_year, award_count, contract_count, source_compiled_at, output_hash
) FROM STDIN

-- name: copy_awards
COPY normalize_stage_award (
    compiled_release_id, position, award_id, title, status, date, date_raw, supplier_org_keys, amount_raw,
    currency_raw, amount, currency, reference_date, reference_date_source, amount_usd, amount_eur, rate_usd,
    rate_eur, rate_date, rate_source, amount_ppp, ppp_factor, ppp_year
) FROM STDIN

-- name: copy_contracts
COPY normalize_stage_contract (
    compiled_release_id, position, contract_id, award_id, title, status, date_signed, date_signed_raw, period_start,
    period_start_raw, period_end, period_end_raw, amount_raw, currency_raw, amount, currency, reference_date,
    reference_date_source, amount_usd, amount_eur, rate_usd, rate_eur, rate_date, rate_source, amount_ppp,
    ppp_factor, ppp_year
) FROM STDIN

-- name: copy_parties
COPY normalize_stage_party (
    compiled_release_id, position, party_id, name, roles, org_key, method, score, scheme, identifier, country
) FROM STDIN

-- name: copy_identifiers
COPY normalize_stage_identifier (
    compiled_release_id, party_position, position, source, scheme_raw, id_raw, scheme, identifier, key, score
) FROM STDIN

-- name: touch_processes
-- Processes whose output did not change, but whose compiled release was compiled again: marked done.
UPDATE process p SET source_compiled_at = t.source_compiled_at
FROM unnest(%(ids)s::bigint[], %(source_compiled_at)s::timestamptz[]) AS t (id, source_compiled_at)
WHERE p.id = t.id

-- name: upsert_processes
-- In compiled release order, so that new processes take their ids in that order; their ids are kept beside the
-- staged rows, so that the statements after this one need not look for them in process. Composed by write.py
-- (statement): the columns are copy_processes', and the update sets each of them but compiled_release_id from the
-- staged row.
WITH upserted AS (
    INSERT INTO process ({process_columns})
    SELECT {process_columns}
    FROM normalize_stage_process
    ORDER BY compiled_release_id
    ON CONFLICT (compiled_release_id) DO UPDATE SET
        {process_updates},
        normalized_at = now()
    RETURNING compiled_release_id, id
)
INSERT INTO normalize_stage_id (compiled_release_id, process_id) SELECT compiled_release_id, id FROM upserted

-- name: delete_awards
DELETE FROM award WHERE process_id = ANY(ARRAY(SELECT process_id FROM normalize_stage_id))

-- name: delete_contracts
DELETE FROM contract WHERE process_id = ANY(ARRAY(SELECT process_id FROM normalize_stage_id))

-- name: replace_parties
-- The batch's processes' parties go (their identifiers with them: ON DELETE CASCADE), and the keys they leave or
-- join are marked for the refresh at the end of the run, in one statement and in key order: batches in workers
-- mark keys side by side, and marking them in the same order keeps them from waiting on each other in a circle.
WITH deleted AS (
    DELETE FROM process_party WHERE process_id = ANY(ARRAY(SELECT process_id FROM normalize_stage_id))
    RETURNING org_key
), keys AS (
    SELECT org_key FROM deleted UNION SELECT org_key FROM normalize_stage_party
)
INSERT INTO organization_dirty (org_key) SELECT org_key FROM keys ORDER BY org_key ON CONFLICT DO NOTHING

-- name: insert_awards
INSERT INTO award (
    process_id, compiled_release_id, position, award_id, title, status, date, date_raw, supplier_org_keys,
    amount_raw, currency_raw, amount, currency, reference_date, reference_date_source, amount_usd, amount_eur,
    rate_usd, rate_eur, rate_date, rate_source, amount_ppp, ppp_factor, ppp_year
)
SELECT i.process_id, s.compiled_release_id, s.position, s.award_id, s.title, s.status, s.date, s.date_raw,
       s.supplier_org_keys, s.amount_raw, s.currency_raw, s.amount, s.currency, s.reference_date,
       s.reference_date_source, s.amount_usd, s.amount_eur, s.rate_usd, s.rate_eur, s.rate_date, s.rate_source,
       s.amount_ppp, s.ppp_factor, s.ppp_year
FROM normalize_stage_award s
JOIN normalize_stage_id i USING (compiled_release_id)
ORDER BY s.compiled_release_id, s.position

-- name: insert_contracts
INSERT INTO contract (
    process_id, compiled_release_id, position, contract_id, award_id, title, status, date_signed, date_signed_raw,
    period_start, period_start_raw, period_end, period_end_raw, amount_raw, currency_raw, amount, currency,
    reference_date, reference_date_source, amount_usd, amount_eur, rate_usd, rate_eur, rate_date, rate_source,
    amount_ppp, ppp_factor, ppp_year
)
SELECT i.process_id, s.compiled_release_id, s.position, s.contract_id, s.award_id, s.title, s.status, s.date_signed,
       s.date_signed_raw, s.period_start, s.period_start_raw, s.period_end, s.period_end_raw, s.amount_raw,
       s.currency_raw, s.amount, s.currency, s.reference_date, s.reference_date_source, s.amount_usd, s.amount_eur,
       s.rate_usd, s.rate_eur, s.rate_date, s.rate_source, s.amount_ppp, s.ppp_factor, s.ppp_year
FROM normalize_stage_contract s
JOIN normalize_stage_id i USING (compiled_release_id)
ORDER BY s.compiled_release_id, s.position

-- name: insert_parties
INSERT INTO process_party (
    process_id, position, compiled_release_id, party_id, name, roles, org_key, method, score, scheme, identifier,
    country
)
SELECT i.process_id, s.position, s.compiled_release_id, s.party_id, s.name, s.roles, s.org_key, s.method, s.score,
       s.scheme, s.identifier, s.country
FROM normalize_stage_party s
JOIN normalize_stage_id i USING (compiled_release_id)
ORDER BY s.compiled_release_id, s.position

-- name: insert_identifiers
INSERT INTO organization_identifier (
    process_id, party_position, position, compiled_release_id, source, scheme_raw, id_raw, scheme, identifier, key,
    score
)
SELECT i.process_id, s.party_position, s.position, s.compiled_release_id, s.source, s.scheme_raw, s.id_raw, s.scheme,
       s.identifier, s.key, s.score
FROM normalize_stage_identifier s
JOIN normalize_stage_id i USING (compiled_release_id)
ORDER BY s.compiled_release_id, s.party_position, s.position

-- name: refresh_organizations
-- The organizations of the keys the run touched, as their parties now say, once per run; a row is written only
-- when it changes. Texts are compared bytewise (COLLATE "C"): the most common name (the first of the equally common
-- ones), the least scheme, identifier and country are then the same whatever the database's collation, and the
-- sorts cost a little less (1M releases, a hundredth of the OCIDs changed: 4,561 organizations, 526,200 parties;
-- 1.7 to 2.0 s before, 1.6 to 1.7 s in a normalize run; the same rows under the embedded server's C.UTF-8).
WITH parties AS (
    SELECT org_key COLLATE "C" AS org_key,
           min(CASE method WHEN 'identifier' THEN 0 WHEN 'name_exact' THEN 1 ELSE 2 END) AS best,
           count(DISTINCT lower(name) COLLATE "C") AS names,
           max(score) AS score,
           min(scheme COLLATE "C") AS scheme,
           min(identifier COLLATE "C") AS identifier,
           min(country COLLATE "C") AS country,
           mode() WITHIN GROUP (ORDER BY name COLLATE "C") AS name,
           min(compiled_release_id) AS compiled_release_id,
           count(DISTINCT process_id) AS processes
    FROM process_party
    WHERE org_key IN (SELECT org_key FROM touched_organization)
    GROUP BY org_key COLLATE "C"
)
INSERT INTO organization AS o (org_key, method, score, scheme, identifier, country, name, compiled_release_id,
                               processes)
SELECT org_key,
       CASE WHEN best = 0 THEN 'identifier' WHEN best = 1 AND names = 1 THEN 'name_exact' ELSE 'name_normalized' END,
       CASE WHEN best = 0 THEN score WHEN best = 1 AND names = 1 THEN 0.7 ELSE 0.5 END,
       scheme, identifier, country, name, compiled_release_id, processes
FROM parties
ON CONFLICT (org_key) DO UPDATE SET
    method = excluded.method,
    score = excluded.score,
    scheme = excluded.scheme,
    identifier = excluded.identifier,
    country = excluded.country,
    name = excluded.name,
    compiled_release_id = excluded.compiled_release_id,
    processes = excluded.processes
WHERE (o.method, o.score, o.scheme, o.identifier, o.country, o.name, o.compiled_release_id, o.processes)
      IS DISTINCT FROM (excluded.method, excluded.score, excluded.scheme, excluded.identifier, excluded.country,
                        excluded.name, excluded.compiled_release_id, excluded.processes)

-- name: delete_orphan_organizations
DELETE FROM organization o
WHERE o.org_key IN (SELECT org_key FROM touched_organization) AND NOT EXISTS (SELECT 1 FROM process_party p WHERE p.org_key = o.org_key)

-- name: update_primary
-- One row per process key stands for the process: the latest dated, then the first publisher's (compiled release
-- ids follow the order that compile batches commit in, which parallel batches change from run to run).
WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY process_key
                                  ORDER BY release_date DESC NULLS LAST, publisher_id, compiled_release_id) = 1 AS first
    FROM process
    WHERE process_key = ANY(%(keys)s)
)
UPDATE process p SET is_primary = ranked.first
FROM ranked
WHERE p.id = ranked.id AND p.is_primary IS DISTINCT FROM ranked.first

-- name: select_shared_processes
-- The processes published by more than one route, with what is compared between routes.
SELECT p.process_key, p.publisher_id, pub.name AS publisher, p.ocid, p.buyer_org_key, p.procedure_type, p.amount,
       p.currency, p.tender_status, p.award_count, p.contract_count
FROM process p
JOIN publisher pub ON pub.id = p.publisher_id
WHERE p.process_key = ANY(%(keys)s)
  AND p.process_key IN (SELECT process_key FROM process WHERE process_key = ANY(%(keys)s)
                        GROUP BY process_key HAVING count(*) > 1)
ORDER BY p.process_key, p.publisher_id

-- name: mark_organizations
-- Keys whose parties went some other way (a publisher's removal), for refresh_organizations.
INSERT INTO organization_dirty (org_key) SELECT DISTINCT unnest(%(keys)s::text[]) ON CONFLICT DO NOTHING

-- name: take_organizations
-- The keys marked by the run's batches (and by any run that stopped before its end), taken off the list.
CREATE TEMP TABLE touched_organization ON COMMIT DROP AS
WITH taken AS (DELETE FROM organization_dirty RETURNING org_key) SELECT org_key FROM taken

-- name: mark_process_keys
-- The shared process keys a batch wrote (or counted), for the comparison of their routes at the end of the run.
INSERT INTO process_key_dirty (process_key) SELECT unnest(%(keys)s::text[]) ON CONFLICT DO NOTHING

-- name: take_process_keys
-- The keys marked by the run's batches (and by any run that stopped before its end), taken off the list.
DELETE FROM process_key_dirty RETURNING process_key

-- name: delete_route_notes
-- The notes of the routes of these keys, written again by the comparison.
DELETE FROM note WHERE stage = 'normalize' AND code = 'ocid_routes_disagree' AND ocid = ANY(%(keys)s::text[])

-- name: select_folded_problems
-- The shares of the run's notes (taken by aggregator/notes.py take_parts), per publisher and code: how many times,
-- how many values, and the first five OCIDs.
SELECT publisher_id, code, max(level)::text AS level, min(message) AS message, sum(count)::integer AS count,
       count(DISTINCT value) AS distinct_values, (array_agg(DISTINCT ocid ORDER BY ocid))[1:5] AS ocids
FROM taken_part
GROUP BY publisher_id, code
ORDER BY publisher_id, code

-- name: select_folded_values
-- The most frequent values of each publisher and code in the shares of the run's notes.
SELECT publisher_id, code, value, count FROM (
    SELECT publisher_id, code, value, sum(count)::integer AS count,
           row_number() OVER (PARTITION BY publisher_id, code ORDER BY sum(count) DESC, value) AS rank
    FROM taken_part
    WHERE value IS NOT NULL
    GROUP BY publisher_id, code, value
) AS ranked
WHERE rank <= %(max_values)s
ORDER BY publisher_id, code, rank
