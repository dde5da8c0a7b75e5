-- Red flags as Cardinal computes them (aggregator/compare/red_flags.py, flag_facts.py, redflags/): per
-- publisher, from its compiled releases, after Cardinal's `prepare` with the publisher's settings; each compiled
-- release's contribution kept in red_flag_fact (migration 0033).

-- name: select_publishers
-- Each publisher with compiled releases, when they last changed and how many there are, and when its red flags
-- were last computed, over how many.
SELECT p.id, p.name, p.country::text AS country, c.compiled_releases, c.last_compiled, r.computed_at,
       r.settings_hash, r.compiled_releases AS flagged_releases
FROM publisher p
JOIN (SELECT publisher_id, count(*) AS compiled_releases, max(compiled_at) AS last_compiled
      FROM compiled_release GROUP BY publisher_id) c ON c.publisher_id = p.id
LEFT JOIN red_flag_run r ON r.publisher = p.name
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
-- The publisher's compiled releases with a body its facts did not read (new, or compiled again to another body),
-- and the facts of compiled releases that are gone. Reads the publisher's compiled releases and facts side by
-- side (one join), not their bodies.
INSERT INTO flag_changed (compiled_release_id, ocid)
SELECT coalesce(c.id, f.compiled_release_id), coalesce(c.ocid, f.ocid)
FROM (SELECT compiled_release_id, ocid, data_id FROM red_flag_fact WHERE publisher = %(publisher)s) f
FULL JOIN (SELECT id, ocid, data_id FROM compiled_release WHERE publisher_id = %(publisher_id)s) c
    ON c.id = f.compiled_release_id
WHERE c.id IS NULL OR f.compiled_release_id IS NULL OR f.data_id <> c.data_id

-- name: analyze_changed_releases
ANALYZE flag_changed

-- name: select_changed_sums
-- The parties and tallies of the changed releases' facts, before they are deleted (taken off the publisher's sums:
-- aggregator/compare/flag_facts.py).
SELECT f.parties::text AS parties, f.tallies::text AS tallies
FROM flag_changed c
JOIN red_flag_fact f ON f.compiled_release_id = c.compiled_release_id
WHERE NOT f.excluded AND (f.parties IS NOT NULL OR f.tallies IS NOT NULL)

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
-- The publisher's tallies, summed over its releases (what the fences of R025 and R038 read).
SELECT tally, key, numerator, denominator FROM red_flag_tally WHERE publisher = %(publisher)s ORDER BY tally, key

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

-- name: select_contributions
-- In OCID order, through a server-side cursor: what the fences and the parties' flags need from each release (its
-- second-lowest bid ratio in columns: the most common, read without JSON), and the flags of its own for the
-- releases whose flags are written again (the changed ones). As text: orjson reads it faster than psycopg's json
-- loader.
SELECT f.ocid, CASE WHEN c.compiled_release_id IS NOT NULL THEN f.own END::text AS own, f.shared::text AS shared,
       f.ratio, f.ratio_winner, f.ratio_second
FROM red_flag_fact f
LEFT JOIN flag_changed c USING (compiled_release_id)
WHERE f.publisher = %(publisher)s AND NOT f.excluded
  AND (f.shared IS NOT NULL OR f.ratio IS NOT NULL OR (f.own IS NOT NULL AND c.compiled_release_id IS NOT NULL))
ORDER BY f.ocid

-- name: select_fact_counts
-- The n of the rates: compiled releases, processes past Cardinal's exclusions, distinct parties of each role.
SELECT count(*) AS compiled_releases, count(*) FILTER (WHERE NOT excluded) AS processes,
       (SELECT coalesce(jsonb_object_agg(role, n), '{}') FROM (
           SELECT role, count(*) AS n FROM red_flag_party WHERE publisher = %(publisher)s GROUP BY role
       ) roles) AS parties
FROM red_flag_fact WHERE publisher = %(publisher)s

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

-- name: delete_orphans
-- Publishers whose compiled releases are all gone keep no flags and no facts (found from the runs: a few rows).
WITH gone AS (
    DELETE FROM red_flag_run r WHERE NOT EXISTS (
        SELECT FROM publisher p JOIN compiled_release c ON c.publisher_id = p.id WHERE p.name = r.publisher
    )
    RETURNING r.publisher
),
flags AS (DELETE FROM red_flag f USING gone g WHERE f.publisher = g.publisher),
parties AS (DELETE FROM red_flag_party p USING gone g WHERE p.publisher = g.publisher),
tallies AS (DELETE FROM red_flag_tally t USING gone g WHERE t.publisher = g.publisher)
DELETE FROM red_flag_fact f USING gone g WHERE f.publisher = g.publisher

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
