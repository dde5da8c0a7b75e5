-- Red flags as Cardinal computes them (aggregator/compare/red_flags.py, aggregator/compare/redflags/): per
-- publisher, from its compiled releases, after Cardinal's `prepare` with the publisher's settings.

-- name: select_publishers
-- Each publisher with compiled releases, when they last changed, and when its red flags were last computed.
SELECT p.id, p.name, p.country::text AS country, c.compiled_releases, c.last_compiled, r.computed_at,
       r.settings_hash
FROM publisher p
JOIN (SELECT publisher_id, count(*) AS compiled_releases, max(compiled_at) AS last_compiled
      FROM compiled_release GROUP BY publisher_id) c ON c.publisher_id = p.id
LEFT JOIN red_flag_run r ON r.publisher = p.name
ORDER BY p.name

-- name: select_compiled_bodies
-- Read through a server-side cursor, in OCID order: Cardinal's main currency is the first it meets.
SELECT c.ocid, d.body::text AS body
FROM compiled_release c
JOIN data d ON d.id = c.data_id
WHERE c.publisher_id = %(publisher_id)s
ORDER BY c.ocid

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
-- Publishers whose compiled releases are all gone keep no flags.
DELETE FROM red_flag f WHERE NOT EXISTS (
    SELECT FROM publisher p JOIN compiled_release c ON c.publisher_id = p.id WHERE p.name = f.publisher
);
DELETE FROM red_flag_run r WHERE NOT EXISTS (
    SELECT FROM publisher p JOIN compiled_release c ON c.publisher_id = p.id WHERE p.name = r.publisher
)

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
