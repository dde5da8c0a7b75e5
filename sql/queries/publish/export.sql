-- name: select_publishers
SELECT p.id, p.name, p.title, p.country, p.url, p.licence FROM publisher p
WHERE EXISTS (SELECT 1 FROM compiled_release c WHERE c.publisher_id = p.id)
ORDER BY p.name

-- name: select_compiled
-- The year of a compiled release is the UTC year of its first release's date; NULL (undated) when it has none.
SELECT d.body::text AS body, extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS year
FROM compiled_release c
JOIN data d ON d.id = c.data_id
WHERE c.publisher_id = %(publisher_id)s
ORDER BY c.ocid

-- name: select_columns
-- A table's columns in order, without bytea ones (internal hashes, not data).
SELECT a.attname AS name
FROM pg_attribute a
WHERE a.attrelid = to_regclass(%(table)s) AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid <> 'bytea'::regtype
ORDER BY a.attnum

-- name: select_primary_key
SELECT a.attname AS name
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
WHERE i.indrelid = to_regclass(%(table)s) AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)

-- name: select_table
-- Formatted with psycopg.sql: {columns} and {order} are lists of identifiers, {table} an identifier.
SELECT {columns} FROM {table} ORDER BY {order}

-- name: select_processes
-- One row per process across countries: its publisher, year (tender period's start, else release date, as the
-- indicators count it), buyer, procedure, and amounts converted (the tender's; the sums of its awards' and
-- contracts' converted amounts, with how many of them could be converted).
SELECT
    p.process_key, p.ocid, p.ocid_scope, p.is_primary, p.country, pub.name AS publisher,
    pub.title AS publisher_title,
    extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::integer AS year,
    p.buyer_org_key, o.name AS buyer_name, p.buyer_country, p.title, p.tender_status,
    p.procurement_method, p.procedure_type, p.procedure_type_source, p.main_procurement_category,
    p.number_of_tenderers, p.release_date, p.tender_start, p.tender_end,
    p.amount AS tender_amount, p.currency AS tender_currency, p.amount_usd AS tender_amount_usd,
    p.amount_eur AS tender_amount_eur, p.amount_ppp AS tender_amount_ppp, p.rate_date AS tender_rate_date,
    p.rate_source AS tender_rate_source,
    p.award_count, a.awards_converted, a.award_amount_usd, a.award_amount_eur, a.award_amount_ppp,
    a.first_award_date,
    p.contract_count, k.contracts_converted, k.contract_amount_usd, k.contract_amount_eur, k.contract_amount_ppp,
    p.compiled_release_id
FROM process p
JOIN publisher pub ON pub.id = p.publisher_id
LEFT JOIN organization o ON o.org_key = p.buyer_org_key
LEFT JOIN LATERAL (
    SELECT count(amount_usd)::integer AS awards_converted, sum(amount_usd) AS award_amount_usd,
        sum(amount_eur) AS award_amount_eur, sum(amount_ppp) AS award_amount_ppp, min(date) AS first_award_date
    FROM award WHERE process_id = p.id
) a ON true
LEFT JOIN LATERAL (
    SELECT count(amount_usd)::integer AS contracts_converted, sum(amount_usd) AS contract_amount_usd,
        sum(amount_eur) AS contract_amount_eur, sum(amount_ppp) AS contract_amount_ppp
    FROM contract WHERE process_id = p.id
) k ON true
ORDER BY p.country, pub.name, p.ocid

-- name: indicator_table_exists
SELECT to_regclass('indicator_value') IS NOT NULL AS present

-- name: select_indicators
SELECT indicator, level, country, publisher, buyer_org_key, year, value, n_eligible, n_total, missing_share,
    suppressed, computed_at
FROM indicator_value
ORDER BY indicator, level, country, publisher NULLS FIRST, buyer_org_key NULLS FIRST, year

-- name: select_rate_sources
-- The exchange-rate sources the normalized amounts use, and 'ppp' when some amount is in PPP dollars.
SELECT rate_source AS source FROM process WHERE rate_source IS NOT NULL
UNION SELECT rate_source FROM award WHERE rate_source IS NOT NULL
UNION SELECT rate_source FROM contract WHERE rate_source IS NOT NULL
UNION SELECT 'ppp' WHERE EXISTS (SELECT 1 FROM process WHERE amount_ppp IS NOT NULL)
    OR EXISTS (SELECT 1 FROM award WHERE amount_ppp IS NOT NULL)
    OR EXISTS (SELECT 1 FROM contract WHERE amount_ppp IS NOT NULL)
ORDER BY source

-- name: select_red_flags
-- One row per red flag (aggregator/compare/red_flags.py): a process's (ocid set) or a party's (ocid empty; its
-- role and id); details is JSON, with Cardinal's value under "value".
SELECT publisher, coalesce(ocid, '') AS ocid, code, party_role, party_id,
       (jsonb_build_object('value', value) || details)::text AS details
FROM red_flag
ORDER BY publisher, code, ocid NULLS LAST, party_role, party_id
