-- name: select_publishers
SELECT p.id, p.name, p.level, p.title FROM publisher p
WHERE EXISTS (SELECT 1 FROM compiled_release c WHERE c.publisher_id = p.id)
ORDER BY p.name COLLATE "C"

-- name: select_compiled_parts
-- A publisher's compiled releases by part (the UTC year of the first release date; NULL: undated), with how many
-- and a fingerprint of their OCIDs and bodies (the hash of each body's canonical JSON), in file order.
SELECT extract(year FROM c.first_date AT TIME ZONE 'UTC')::integer AS year, count(*)::integer AS lines,
       encode(sha256(convert_to(string_agg(c.ocid || ' ' || encode(d.hash, 'hex'), E'\n' ORDER BY c.ocid COLLATE "C"),
                                'UTF8')), 'hex') AS content
FROM compiled_release c
JOIN data d ON d.id = c.data_id
WHERE c.publisher_id = %(publisher_id)s
GROUP BY 1
ORDER BY 1 NULLS LAST

-- name: select_compiled
-- The compiled releases of some of a publisher's parts (years; -1 for undated), part by part as
-- select_compiled_parts orders them, each by OCID.
SELECT d.body::text AS body, coalesce(c.year::text, 'undated') AS part
FROM (
    SELECT ocid, data_id, extract(year FROM first_date AT TIME ZONE 'UTC')::integer AS year
    FROM compiled_release
    WHERE publisher_id = %(publisher_id)s
) c
JOIN data d ON d.id = c.data_id
WHERE coalesce(c.year, -1) = ANY(%(years)s)
ORDER BY c.year NULLS LAST, c.ocid COLLATE "C"

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
