-- Red flags as Cardinal computes them (aggregator/compare/red_flags.py, flag_facts.py, redflags/): per
-- publisher, from its compiled releases, after Cardinal's `prepare` with the publisher's settings; each compiled
-- release's contribution kept in red_flag_fact (migration 0033).

-- name: select_publishers
-- Each publisher with compiled releases; when its red flags were last computed, over how many compiled releases and
-- processes, and whether a compiled release of it changed since (red_flag_dirty: migration 0037).
SELECT p.id, p.name, p.country::text AS country, r.computed_at, r.settings_hash,
       r.compiled_releases AS flagged_releases, r.processes AS flagged_processes,
       EXISTS (SELECT FROM red_flag_dirty d WHERE d.publisher_id = p.id) AS changed
FROM publisher p
LEFT JOIN red_flag_run r ON r.publisher = p.name
WHERE EXISTS (SELECT FROM compiled_release c WHERE c.publisher_id = p.id)
ORDER BY p.name

-- name: select_compiled_bodies
-- Read through a server-side cursor, in OCID order: Cardinal's main currency is the first it meets.
SELECT c.id, c.ocid, c.data_id, d.body::text AS body
FROM compiled_release c
JOIN data d ON d.id = c.data_id
WHERE c.publisher_id = %(publisher_id)s
ORDER BY c.ocid

-- name: create_changed_releases
-- The compiled releases of one publisher whose red flag facts a refresh replaces (gone ones too).
CREATE TEMP TABLE flag_changed (compiled_release_id bigint PRIMARY KEY, ocid text NOT NULL) ON COMMIT DROP

-- name: drop_changed_releases
DROP TABLE flag_changed

-- name: select_changed_releases
-- The publisher's compiled releases marked changed since its last refresh (red_flag_dirty), taken off the list:
-- those with a body their facts did not read (new, or compiled again to another body), and the facts of those that
-- are gone. Reads the marked compiled releases and their facts only.
WITH taken AS (
    DELETE FROM red_flag_dirty WHERE publisher_id = %(publisher_id)s RETURNING compiled_release_id
)
INSERT INTO flag_changed (compiled_release_id, ocid)
SELECT t.compiled_release_id, coalesce(c.ocid, f.ocid)
FROM taken t
LEFT JOIN compiled_release c ON c.id = t.compiled_release_id
LEFT JOIN red_flag_fact f ON f.compiled_release_id = t.compiled_release_id
WHERE (c.id IS NULL) <> (f.compiled_release_id IS NULL) OR f.data_id <> c.data_id

-- name: clear_changed_releases
-- Every compiled release of the publisher is folded again (fold_all): the marks are not needed.
DELETE FROM red_flag_dirty WHERE publisher_id = %(publisher_id)s

-- name: analyze_changed_releases
ANALYZE flag_changed

-- name: select_changed_sums
-- The changed releases' facts before they are deleted: whether each was excluded or had issues of prepare (the
-- publisher's counts and notes follow from these and the new facts), and its parties and tallies (taken off the
-- publisher's sums). aggregator/compare/flag_facts.py: fold_changed.
SELECT f.excluded, f.issues IS NOT NULL AS has_issues, f.parties::text AS parties, f.tallies::text AS tallies
FROM flag_changed c
JOIN red_flag_fact f ON f.compiled_release_id = c.compiled_release_id

-- name: add_parties
-- Each party's count of releases changed by a delta (one no release names any more goes: delete_gone_sums).
INSERT INTO red_flag_party AS p (publisher, role, party_id, n_releases)
SELECT %(publisher)s, d.role, d.party_id, d.n
FROM unnest(%(roles)s::text[], %(party_ids)s::text[], %(deltas)s::int[]) AS d (role, party_id, n)
ON CONFLICT (publisher, role, party_id) DO UPDATE SET n_releases = p.n_releases + excluded.n_releases

-- name: add_tallies
-- Each tally changed by a delta, summed per publisher (Cardinal's fractions add as mediants, whatever the order).
INSERT INTO red_flag_tally AS t (publisher, tally, key, numerator, denominator)
SELECT %(publisher)s, d.tally, d.key, d.numerator, d.denominator
FROM unnest(%(tallies)s::text[], %(keys)s::text[], %(numerators)s::bigint[], %(denominators)s::bigint[])
    AS d (tally, key, numerator, denominator)
ON CONFLICT (publisher, tally, key) DO UPDATE SET
    numerator = t.numerator + excluded.numerator,
    denominator = t.denominator + excluded.denominator

-- name: delete_gone_sums
-- A party no release names any more, a tally no release adds to any more (each release adds at least 1 to the
-- denominators of its tallies).
WITH parties AS (DELETE FROM red_flag_party WHERE publisher = %(publisher)s AND n_releases = 0)
DELETE FROM red_flag_tally WHERE publisher = %(publisher)s AND denominator = 0

-- name: delete_sums
WITH parties AS (DELETE FROM red_flag_party WHERE publisher = %(publisher)s)
DELETE FROM red_flag_tally WHERE publisher = %(publisher)s

-- name: select_tallies
-- The publisher's tallies, summed over its releases (what the fences of R025 and R038 read): a row per tally, its
-- keys and sums as arrays in key order (read in binary: one row rather than a row per key).
SELECT tally, array_agg(key ORDER BY key) AS keys, array_agg(numerator ORDER BY key) AS numerators,
       array_agg(denominator ORDER BY key) AS denominators
FROM red_flag_tally WHERE publisher = %(publisher)s
GROUP BY tally
ORDER BY tally

-- name: select_changed_bodies
-- Read through a server-side cursor.
SELECT c.id, c.ocid, c.data_id, d.body::text AS body
FROM flag_changed ch
JOIN compiled_release c ON c.id = ch.compiled_release_id
JOIN data d ON d.id = c.data_id
ORDER BY c.ocid

-- name: delete_changed_facts
DELETE FROM red_flag_fact f USING flag_changed c WHERE f.compiled_release_id = c.compiled_release_id

-- name: delete_publisher_facts
DELETE FROM red_flag_fact WHERE publisher = %(publisher)s

-- name: copy_facts
-- aggregator/compare/flag_facts.py gives the rows in this column order.
COPY red_flag_fact (
    compiled_release_id, publisher, ocid, data_id, excluded, currency, own, shared, parties, tallies, ratio,
    ratio_winner, ratio_second, issues
) FROM STDIN

-- name: select_main_currency
-- The first currency compared, in OCID order (Cardinal's main currency when its settings name none).
SELECT currency FROM red_flag_fact
WHERE publisher = %(publisher)s AND currency IS NOT NULL
ORDER BY ocid
LIMIT 1

-- name: select_fence_inputs
-- What the fences and the parties' flags need from every release past Cardinal's exclusions, in OCID order, in one
-- read of the facts, as one row of arrays read in binary (not a row per release: 82,000 ratios at 1M releases):
-- the second-lowest bid ratios with their winners and second-lowest tenderers (R024, R058), then each release's
-- ``shared`` (the parties' flags, R048's classifications) and, for the changed releases, the flags of their own. JSON
-- as text: orjson reads it faster than psycopg's json loader.
WITH facts AS (
    SELECT f.ocid, f.ratio, f.ratio_winner, f.ratio_second, f.shared,
           CASE WHEN c.compiled_release_id IS NOT NULL THEN f.own END AS own
    FROM red_flag_fact f
    LEFT JOIN flag_changed c USING (compiled_release_id)
    WHERE f.publisher = %(publisher)s AND NOT f.excluded
      AND (f.ratio IS NOT NULL OR f.shared IS NOT NULL OR (f.own IS NOT NULL AND c.compiled_release_id IS NOT NULL))
)
SELECT coalesce(array_agg(ocid ORDER BY ocid) FILTER (WHERE ratio IS NOT NULL), '{}') AS ratio_ocids,
       coalesce(array_agg(ratio ORDER BY ocid) FILTER (WHERE ratio IS NOT NULL), '{}') AS ratios,
       coalesce(array_agg(ratio_winner ORDER BY ocid) FILTER (WHERE ratio IS NOT NULL), '{}') AS winners,
       coalesce(array_agg(ratio_second ORDER BY ocid) FILTER (WHERE ratio IS NOT NULL), '{}') AS seconds,
       coalesce(array_agg(ocid ORDER BY ocid) FILTER (WHERE shared IS NOT NULL OR own IS NOT NULL), '{}') AS ocids,
       coalesce(array_agg(own::text ORDER BY ocid) FILTER (WHERE shared IS NOT NULL OR own IS NOT NULL), '{}') AS own,
       coalesce(array_agg(shared::text ORDER BY ocid) FILTER (WHERE shared IS NOT NULL OR own IS NOT NULL), '{}')
           AS shared
FROM facts

-- name: select_party_counts
-- Distinct parties of each role (the n of the parties' rates).
SELECT coalesce(jsonb_object_agg(role, n), '{}') AS parties FROM (
    SELECT role, count(*) AS n FROM red_flag_party WHERE publisher = %(publisher)s GROUP BY role
) roles

-- name: select_issues
-- What prepare reported, per path and issue: how many, and the first examples (in OCID order, then as found).
WITH found AS (
    SELECT i.issue ->> 1 AS path, i.issue ->> 4 AS description, i.issue,
           row_number() OVER (PARTITION BY i.issue ->> 1, i.issue ->> 4 ORDER BY f.ocid, i.n) AS rank
    FROM red_flag_fact f
    CROSS JOIN json_array_elements(f.issues) WITH ORDINALITY AS i (issue, n)
    WHERE f.publisher = %(publisher)s AND f.issues IS NOT NULL
)
SELECT path, description, count(*) AS n,
       jsonb_agg(jsonb_build_object('ocid', issue -> 0, 'indexes', issue -> 2, 'value', issue -> 3) ORDER BY rank)
           FILTER (WHERE rank <= %(examples)s) AS examples
FROM found
GROUP BY path, description

-- name: delete_changed_flags
-- The flags that a change may have changed: the fences' and the parties' flags, and the changed releases' own.
DELETE FROM red_flag f
WHERE f.publisher = %(publisher)s
  AND (f.code = ANY(%(fence_codes)s::text[]) OR f.party_role IS NOT NULL
       OR (f.code = ANY(%(own_codes)s::text[]) AND f.ocid IN (SELECT ocid FROM flag_changed)))

-- name: delete_red_flags
DELETE FROM red_flag WHERE publisher = %(publisher)s

-- name: copy_red_flags
-- aggregator/compare/red_flags.py gives the rows in this column order.
COPY red_flag (publisher, ocid, code, party_role, party_id, value, details) FROM STDIN

-- name: upsert_run
INSERT INTO red_flag_run (publisher, settings_file, settings_hash, compiled_releases, processes, parties, meta)
VALUES (%(publisher)s, %(settings_file)s, %(settings_hash)s, %(compiled_releases)s, %(processes)s,
        %(parties)s::jsonb, %(meta)s::jsonb)
ON CONFLICT (publisher) DO UPDATE SET
    computed_at = now(),
    settings_file = excluded.settings_file,
    settings_hash = excluded.settings_hash,
    compiled_releases = excluded.compiled_releases,
    processes = excluded.processes,
    parties = excluded.parties,
    meta = excluded.meta

-- name: delete_notes
DELETE FROM note WHERE publisher_id = %(publisher_id)s AND stage = 'compare' AND code LIKE 'red_flag%%'

-- name: select_orphans
-- Runs of publishers whose compiled releases are all gone (or the publisher): a look-up per run, by the index of
-- each publisher's compiled releases (a join with them read every compiled release: 0.1 s at 1M releases).
SELECT r.publisher FROM red_flag_run r
WHERE NOT EXISTS (
    SELECT FROM compiled_release c WHERE c.publisher_id = (SELECT p.id FROM publisher p WHERE p.name = r.publisher)
)

-- name: delete_orphans
-- Those publishers keep no flags and no facts.
WITH runs AS (DELETE FROM red_flag_run WHERE publisher = ANY(%(publishers)s::text[])),
flags AS (DELETE FROM red_flag WHERE publisher = ANY(%(publishers)s::text[])),
parties AS (DELETE FROM red_flag_party WHERE publisher = ANY(%(publishers)s::text[])),
tallies AS (DELETE FROM red_flag_tally WHERE publisher = ANY(%(publishers)s::text[]))
DELETE FROM red_flag_fact WHERE publisher = ANY(%(publishers)s::text[])

-- name: select_counts
-- Per country (and publisher, with by_publisher) and code: processes or parties flagged, of how many.
WITH runs AS (
    SELECT r.*, p.country::text AS country
    FROM red_flag_run r JOIN publisher p ON p.name = r.publisher
    WHERE (%(country)s::text IS NULL OR p.country = %(country)s::text)
      AND (%(publisher)s::text IS NULL OR r.publisher = %(publisher)s::text)
),
flagged AS (
    SELECT f.publisher, f.code, coalesce(f.party_role, 'process') AS level, count(*) AS flagged
    FROM red_flag f JOIN runs USING (publisher)
    GROUP BY f.publisher, f.code, coalesce(f.party_role, 'process')
),
totals AS (
    SELECT publisher, country, 'process' AS level, processes AS n FROM runs
    UNION ALL
    SELECT publisher, country, role.key, role.value::int FROM runs, jsonb_each_text(parties) AS role
),
codes AS (
    SELECT * FROM unnest(%(codes)s::text[], %(names)s::text[], %(levels)s::text[]) AS c (code, name, level)
)
SELECT t.country, CASE WHEN %(by_publisher)s THEN t.publisher END AS publisher, c.code, c.name, c.level,
       sum(coalesce(f.flagged, 0))::int AS flagged, sum(t.n)::int AS n,
       sum(coalesce(f.flagged, 0))::float / nullif(sum(t.n), 0) AS rate
FROM codes c
JOIN totals t ON t.level = c.level
LEFT JOIN flagged f ON (f.publisher, f.code, f.level) = (t.publisher, c.code, c.level)
GROUP BY t.country, CASE WHEN %(by_publisher)s THEN t.publisher END, c.code, c.name, c.level
ORDER BY t.country, 2, c.code, array_position(ARRAY['process', 'buyer', 'procuringEntity', 'tenderer'], c.level)

-- name: select_list
-- One row per flag.
SELECT f.publisher, p.country::text AS country, f.ocid, f.code, f.party_role, f.party_id, f.value, f.details
FROM red_flag f JOIN publisher p ON p.name = f.publisher
WHERE (%(country)s::text IS NULL OR p.country = %(country)s::text)
  AND (%(publisher)s::text IS NULL OR f.publisher = %(publisher)s::text)
  AND (%(code)s::text IS NULL OR f.code = %(code)s::text)
ORDER BY f.publisher, f.code, f.ocid NULLS LAST, f.party_role, f.party_id

-- name: count_changed_releases
SELECT count(*) AS n FROM flag_changed

-- name: analyze_grown
-- After a refresh that changed many facts (aggregator/compare/changes.py: analyze_when_grown).
ANALYZE red_flag_fact, red_flag_party, red_flag

-- name: count_flags
SELECT count(*) AS n FROM red_flag WHERE publisher = %(publisher)s
