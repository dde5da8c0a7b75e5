-- The tables of `ocds-atlas export`, as published: every row keyed by values that do not change when the same
-- inputs are loaded again (publisher name, OCID, positions in the compiled release, natural keys), never by the
-- database's own ids; ordered by those keys in the "C" collation, so that the same data give the same bytes.
-- Every column is described in aggregator/publish/data/fields.csv (a test checks it).
--
-- The tables of processes (process, award, contract, process_party, organization_identifier, processes) are read
-- by part (aggregator/publish/table_parts.py): one publisher's processes whose compiled release's first release is
-- dated in given UTC years (-1: undated), part by part (years ascending, undated last), each by OCID; their last
-- column, `part`, names the part and is not written.

-- name: publisher
-- One row per publisher with compiled releases: its declaration (from its spider, or `load`) and the dates its
-- data cover: the earliest and latest date of its processes as the indicators date them (tender period's start,
-- else release date; UTC days), leaving out dates after its last crawl started (placeholders; normalize already
-- left out those before 1990).
SELECT p.name AS publisher, p.title, p.country, p.region, p.level, p.url, p.licence, p.ocds_version,
       p.data_type, p.update_frequency, p.ocid_prefixes, p.spider, p.via, p.via_url,
       cov.coverage_start, cov.coverage_end, cov.compiled_releases
FROM publisher p
JOIN LATERAL (
    SELECT (min(s.d) FILTER (WHERE s.d <= lim.at) AT TIME ZONE 'UTC')::date AS coverage_start,
           (max(s.d) FILTER (WHERE s.d <= lim.at) AT TIME ZONE 'UTC')::date AS coverage_end,
           (SELECT count(*) FROM compiled_release c WHERE c.publisher_id = p.id)::integer AS compiled_releases
    FROM (SELECT coalesce(x.tender_start, x.release_date) AS d FROM process x WHERE x.publisher_id = p.id) s
    CROSS JOIN (SELECT coalesce(max(started_at), 'infinity') AS at FROM crawl WHERE publisher_id = p.id) lim
) cov ON true
WHERE EXISTS (SELECT 1 FROM compiled_release c WHERE c.publisher_id = p.id)
ORDER BY p.name COLLATE "C"

-- name: process
SELECT pub.name AS publisher, p.ocid, p.process_key, p.ocid_scope, p.is_primary, p.country, p.buyer_org_key,
       p.buyer_country, p.title, p.tender_status, p.procurement_method_raw, p.procurement_method_details_raw,
       p.procurement_method, p.procedure_type, p.procedure_type_source, p.main_procurement_category,
       p.number_of_tenderers, p.release_date, p.release_date_raw, p.tender_start, p.tender_start_raw, p.tender_end,
       p.tender_end_raw, p.amount_raw, p.currency_raw, p.amount, p.currency, p.reference_date,
       p.reference_date_source, p.amount_usd, p.amount_eur, p.rate_usd, p.rate_eur, p.rate_date, p.rate_source,
       p.amount_ppp, p.ppp_factor, p.ppp_year, p.award_count, p.contract_count,
       extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS part
FROM process p
JOIN publisher pub ON pub.id = p.publisher_id
JOIN compiled_release c ON c.id = p.compiled_release_id
WHERE p.publisher_id = %(publisher_id)s
  AND coalesce(extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer, -1) = ANY(%(years)s)
ORDER BY part NULLS LAST, p.ocid COLLATE "C"

-- name: award
SELECT pub.name AS publisher, p.ocid, a.position, a.award_id, a.title, a.status, a.date, a.date_raw,
       a.supplier_org_keys, a.amount_raw, a.currency_raw, a.amount, a.currency, a.reference_date,
       a.reference_date_source, a.amount_usd, a.amount_eur, a.rate_usd, a.rate_eur, a.rate_date, a.rate_source,
       a.amount_ppp, a.ppp_factor, a.ppp_year,
       extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS part
FROM award a
JOIN process p ON p.id = a.process_id
JOIN publisher pub ON pub.id = p.publisher_id
JOIN compiled_release c ON c.id = p.compiled_release_id
WHERE p.publisher_id = %(publisher_id)s
  AND coalesce(extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer, -1) = ANY(%(years)s)
ORDER BY part NULLS LAST, p.ocid COLLATE "C", a.position

-- name: contract
SELECT pub.name AS publisher, p.ocid, k.position, k.contract_id, k.award_id, k.title, k.status, k.date_signed,
       k.date_signed_raw, k.period_start, k.period_start_raw, k.period_end, k.period_end_raw, k.amount_raw,
       k.currency_raw, k.amount, k.currency, k.reference_date, k.reference_date_source, k.amount_usd, k.amount_eur,
       k.rate_usd, k.rate_eur, k.rate_date, k.rate_source, k.amount_ppp, k.ppp_factor, k.ppp_year,
       extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS part
FROM contract k
JOIN process p ON p.id = k.process_id
JOIN publisher pub ON pub.id = p.publisher_id
JOIN compiled_release c ON c.id = p.compiled_release_id
WHERE p.publisher_id = %(publisher_id)s
  AND coalesce(extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer, -1) = ANY(%(years)s)
ORDER BY part NULLS LAST, p.ocid COLLATE "C", k.position

-- name: process_party
SELECT pub.name AS publisher, p.ocid, pp.position, pp.party_id, pp.name, pp.roles, pp.org_key, pp.method,
       pp.score, pp.scheme, pp.identifier, pp.country,
       extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS part
FROM process_party pp
JOIN process p ON p.id = pp.process_id
JOIN publisher pub ON pub.id = p.publisher_id
JOIN compiled_release c ON c.id = p.compiled_release_id
WHERE p.publisher_id = %(publisher_id)s
  AND coalesce(extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer, -1) = ANY(%(years)s)
ORDER BY part NULLS LAST, p.ocid COLLATE "C", pp.position

-- name: organization_identifier
SELECT pub.name AS publisher, p.ocid, oi.party_position, oi.position, oi.source, oi.scheme_raw, oi.id_raw,
       oi.scheme, oi.identifier, oi.key, oi.score,
       extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS part
FROM organization_identifier oi
JOIN process p ON p.id = oi.process_id
JOIN publisher pub ON pub.id = p.publisher_id
JOIN compiled_release c ON c.id = p.compiled_release_id
WHERE p.publisher_id = %(publisher_id)s
  AND coalesce(extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer, -1) = ANY(%(years)s)
ORDER BY part NULLS LAST, p.ocid COLLATE "C", oi.party_position, oi.position

-- name: organization
-- publisher and ocid: the first process (by publisher, then OCID) that names the organization.
SELECT o.org_key, o.method, o.score, o.scheme, o.identifier, o.country, o.name, o.processes,
       first.publisher, first.ocid
FROM organization o
LEFT JOIN LATERAL (
    SELECT pub.name AS publisher, p.ocid
    FROM process_party pp
    JOIN process p ON p.id = pp.process_id
    JOIN publisher pub ON pub.id = p.publisher_id
    WHERE pp.org_key = o.org_key
    ORDER BY pub.name COLLATE "C", p.ocid COLLATE "C"
    LIMIT 1
) first ON true
ORDER BY o.org_key COLLATE "C"

-- name: processes
-- One row per process across countries: its publisher, year (tender period's start, else release date, as the
-- indicators count it), buyer, procedure, and amounts converted (the tender's; the sums of its awards' and
-- contracts' converted amounts, with how many of them could be converted).
SELECT
    pub.name AS publisher, p.ocid, p.process_key, p.ocid_scope, p.is_primary, p.country, pub.level,
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
    extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS part
FROM process p
JOIN publisher pub ON pub.id = p.publisher_id
JOIN compiled_release c ON c.id = p.compiled_release_id
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
WHERE p.publisher_id = %(publisher_id)s
  AND coalesce(extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer, -1) = ANY(%(years)s)
ORDER BY part NULLS LAST, p.ocid COLLATE "C"

-- name: process_parts
-- A publisher's parts (see above) with how many processes each holds and a fingerprint of what their rows are made
-- of, computed without reading those rows: each process's OCID, the hash of its normalized output (process, awards,
-- contracts, parties, identifiers: aggregator/normalize/process.py), whether it is primary and its buyer's name
-- (which other processes can change), by OCID.
SELECT extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS year, count(*)::integer AS processes,
       encode(sha256(convert_to(string_agg(
           concat_ws(' ', p.ocid, coalesce(encode(p.output_hash, 'hex'), '-'), coalesce(p.is_primary::text, '-'),
                     quote_nullable(o.name)),
           E'\n' ORDER BY p.ocid COLLATE "C"), 'UTF8')), 'hex') AS content
FROM process p
JOIN compiled_release c ON c.id = p.compiled_release_id
LEFT JOIN organization o ON o.org_key = p.buyer_org_key
WHERE p.publisher_id = %(publisher_id)s
GROUP BY 1
ORDER BY 1 NULLS LAST

-- name: field_coverage
SELECT publisher, field, n_applicable, n_present, share
FROM field_coverage
ORDER BY publisher COLLATE "C", field COLLATE "C"

-- name: quality_check
SELECT publisher, check_id, n_checked, n_passed, n_failed, examples
FROM quality_check
ORDER BY publisher COLLATE "C", check_id COLLATE "C"

-- name: red_flag
-- One row per red flag (aggregator/compare/red_flags.py): a process's (ocid set) or a party's (ocid empty; its role
-- and id); details is JSON, with Cardinal's value under "value". The same bytes however the flags were stored.
SELECT publisher, coalesce(ocid, '') AS ocid, code, coalesce(party_role, '') AS party_role,
       coalesce(party_id, '') AS party_id, (jsonb_build_object('value', value) || details)::text AS details
FROM red_flag
ORDER BY publisher COLLATE "C", code COLLATE "C", ocid COLLATE "C" NULLS LAST, party_role COLLATE "C",
         party_id COLLATE "C"

-- name: indicators
-- value to 12 significant digits: a sum of doubles differs in its last digits with the order rows are added in,
-- which no rebuild keeps.
SELECT indicator, level, country, publisher, buyer_org_key, year,
       CASE WHEN value = 0 OR value IS NULL OR value = 'NaN' OR abs(value) = 'Infinity' THEN value
            ELSE round(value::numeric, 11 - floor(log(abs(value)::numeric))::integer)::double precision END AS value,
       n_eligible, n_total, missing_share,
       suppressed
FROM indicator_value
ORDER BY indicator COLLATE "C", level, country, publisher COLLATE "C" NULLS FIRST,
         buyer_org_key COLLATE "C" NULLS FIRST, year

-- name: table_exists
SELECT to_regclass(%(table)s) IS NOT NULL AS present
