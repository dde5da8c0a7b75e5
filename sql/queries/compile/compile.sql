-- Compiling (aggregator/compile). The OCIDs a compile takes, each set written once here, then read in order or
-- counted (run.py: pending_batches, count_pending, which put the set in select_pending_ocids or count_pending_ocids).

-- name: queued_ocids
SELECT publisher_id, ocid FROM compile_queue
WHERE %(publisher_ids)s::int[] IS NULL OR publisher_id = ANY(%(publisher_ids)s::int[])

-- name: unversioned_ocids
-- compile --versioned: the queued OCIDs, and those whose compiled release has no versioned release yet (compiled
-- without --versioned, by compile or by a load as it went: see aggregator/compile/held.py).
SELECT publisher_id, ocid FROM compile_queue
WHERE %(publisher_ids)s::int[] IS NULL OR publisher_id = ANY(%(publisher_ids)s::int[])
UNION
SELECT publisher_id, ocid FROM compiled_release
WHERE versioned_data_id IS NULL AND (%(publisher_ids)s::int[] IS NULL OR publisher_id = ANY(%(publisher_ids)s::int[]))

-- name: all_ocids
-- compile --full: every OCID with a release or a record.
SELECT publisher_id, ocid FROM release
WHERE %(publisher_ids)s::int[] IS NULL OR publisher_id = ANY(%(publisher_ids)s::int[])
UNION
SELECT publisher_id, ocid FROM record
WHERE %(publisher_ids)s::int[] IS NULL OR publisher_id = ANY(%(publisher_ids)s::int[])

-- name: select_pending_ocids
SELECT publisher_id, ocid FROM ({ocids}) AS keys
ORDER BY publisher_id, ocid

-- name: count_pending_ocids
SELECT count(*) AS ocids FROM ({ocids}) AS keys

-- name: select_releases
-- run.read_inputs reads the columns by position: keep their order. The rows of a crawl or load that died
-- (interrupted) are kept but not compiled (aggregator/raw/liveness.py).
SELECT r.id, r.crawl_file_id, r.ordinal, r.ocid, r.release_id, r.date, r.date_text, r.ocds_version, r.data_id, d.body,
       r.compiled, pd.body -> 'extensions' AS extensions
FROM release r
JOIN raw_data d ON d.id = r.data_id
LEFT JOIN package_data pd ON pd.id = r.package_data_id
JOIN crawl c ON c.id = r.crawl_id AND c.status <> 'interrupted'
WHERE r.publisher_id = %(publisher_id)s AND r.ocid = ANY(%(ocids)b)

-- name: select_release_keys
-- select_releases without the bodies: what tells whether an OCID's inputs changed.
SELECT r.id, r.crawl_file_id, r.ordinal, r.ocid, r.release_id, r.date, r.date_text, r.ocds_version, r.data_id, NULL AS body,
       r.compiled, pd.body -> 'extensions' AS extensions
FROM release r
LEFT JOIN package_data pd ON pd.id = r.package_data_id
JOIN crawl c ON c.id = r.crawl_id AND c.status <> 'interrupted'
WHERE r.publisher_id = %(publisher_id)s AND r.ocid = ANY(%(ocids)b)

-- name: select_records
SELECT r.id, r.crawl_file_id, r.ordinal, r.ocid, r.ocds_version, r.data_id, d.body, pd.body -> 'extensions' AS extensions
FROM record r
JOIN raw_data d ON d.id = r.data_id
LEFT JOIN package_data pd ON pd.id = r.package_data_id
JOIN crawl c ON c.id = r.crawl_id AND c.status <> 'interrupted'
WHERE r.publisher_id = %(publisher_id)s AND r.ocid = ANY(%(ocids)b)

-- name: commit_without_waiting
-- A batch's compiled releases are derived data, taken off the queue in the same transaction: if the server
-- crashes before the commit reaches the disk, the whole batch is lost together with its dequeue, and is compiled
-- again. So the commit need not wait for the disk: waiting took a seventh of a single process's compile time
-- (204 MB: 16.8 s with it, 14.4 s without).
SET LOCAL synchronous_commit = off

-- name: select_hashes
-- With the merge warnings, counted again for an OCID left as it was by a full run. An index look-up per OCID: with
-- `ocid = ANY(…)` and statistics taken when the table was smaller (while a load filled it), PostgreSQL read every
-- compiled release of the publisher and filtered them (204 MB loaded: 13 s in all).
SELECT c.ocid, c.input_hash, c.warnings
FROM unnest(%(ocids)b::text[]) AS o (ocid)
JOIN compiled_release c ON c.publisher_id = %(publisher_id)s AND c.ocid = o.ocid

-- name: upsert_compiled_releases
-- A batch's compiled releases in one statement, each column an array (compile.store._write gives them in this
-- order). An INSERT per row took a fourteenth of compiling; a staging table made, filled by COPY, emptied and dropped by each
-- transaction cost a load 2.5 ms of server time per file (catalog rows written and deleted, files truncated).
INSERT INTO compiled_release (publisher_id, ocid, data_id, versioned_data_id, method, release_count, first_date,
                              last_date, ocds_version, rules, warnings, input_hash)
SELECT %(publisher_id)s, * FROM unnest(
    %(ocids)b::text[], %(data_ids)b::bigint[], %(versioned_data_ids)b::bigint[], %(methods)b::text[],
    %(release_counts)b::integer[], %(first_dates)b::timestamptz[], %(last_dates)b::timestamptz[],
    %(ocds_versions)b::text[], %(rules)b::text[], %(warnings)b::text[]::jsonb[], %(input_hashes)b::bytea[]
)
ON CONFLICT (publisher_id, ocid) DO UPDATE SET
    data_id = excluded.data_id,
    versioned_data_id = excluded.versioned_data_id,
    method = excluded.method,
    release_count = excluded.release_count,
    first_date = excluded.first_date,
    last_date = excluded.last_date,
    ocds_version = excluded.ocds_version,
    rules = excluded.rules,
    warnings = excluded.warnings,
    input_hash = excluded.input_hash,
    compiled_at = now()

-- name: lock_publisher
-- First in a compile batch: the batch's publisher, locked to share it until the batch commits. A removal of the
-- publisher (which locks it first: sql/queries/operate/removal.sql) waits for the batch; a batch that finds no row
-- (a publisher removed meanwhile) writes nothing. No foreign key checks compiled releases against their publisher
-- (migration 0040).
SELECT id FROM publisher WHERE id = %(publisher_id)s FOR SHARE

-- name: dequeue
DELETE FROM compile_queue
WHERE publisher_id = %(publisher_id)s AND ocid = ANY(%(ocids)b) AND queued_at <= %(before)s

-- name: delete_without_inputs
-- The compiled releases of OCIDs left with no release or record to compile from: those of loads and crawls that died
-- are not compiled, and a load compiles as it goes (aggregator/compile/held.py) before it may die. Their processes
-- go with them (ON DELETE CASCADE); the organizations and shared process keys of those processes are marked for
-- normalize, as a publisher's removal marks them, and the OCIDs' own compile and normalize notes are deleted.
-- Returns the OCIDs.
WITH gone AS (
    SELECT c.id, c.ocid
    FROM unnest(%(ocids)b::text[]) AS o (ocid)
    JOIN compiled_release c ON c.publisher_id = %(publisher_id)s AND c.ocid = o.ocid
), organizations AS (
    INSERT INTO organization_dirty (org_key)
    SELECT DISTINCT pp.org_key FROM process p JOIN process_party pp ON pp.process_id = p.id
    WHERE p.compiled_release_id IN (SELECT id FROM gone)
    ON CONFLICT DO NOTHING
), process_keys AS (
    INSERT INTO process_key_dirty (process_key)
    SELECT DISTINCT p.process_key FROM process p
    WHERE p.compiled_release_id IN (SELECT id FROM gone) AND p.ocid_scope = 'global'
    ON CONFLICT DO NOTHING
), notes AS (
    DELETE FROM note
    WHERE stage IN ('compile', 'normalize') AND publisher_id = %(publisher_id)s AND ocid IN (SELECT ocid FROM gone)
)
DELETE FROM compiled_release WHERE id IN (SELECT id FROM gone) RETURNING ocid

-- name: dequeue_held
-- The OCIDs that a load compiled from the bodies it held (aggregator/compile/held.py), in the transaction that
-- queued them.
DELETE FROM compile_queue WHERE publisher_id = %(publisher_id)s AND ocid = ANY(%(ocids)b)

-- name: select_record_keys
SELECT r.id, r.crawl_file_id, r.ordinal, r.ocid, r.ocds_version, r.data_id, NULL AS body, pd.body -> 'extensions' AS extensions
FROM record r
LEFT JOIN package_data pd ON pd.id = r.package_data_id
JOIN crawl c ON c.id = r.crawl_id AND c.status <> 'interrupted'
WHERE r.publisher_id = %(publisher_id)s AND r.ocid = ANY(%(ocids)b)

-- name: delete_ocid_notes
-- The notes of the OCIDs compiled again, replaced by those of their new compiled release (same transaction).
DELETE FROM note WHERE stage = 'compile' AND publisher_id = %(publisher_id)s AND ocid = ANY(%(ocids)s::text[])

-- name: select_folded_warnings
-- The merge warnings in the shares of the run's notes (taken by aggregator/notes.py take_parts), per publisher.
SELECT publisher_id, value AS warning, sum(count)::integer AS count
FROM taken_part WHERE code = 'merge_warning'
GROUP BY publisher_id, value
ORDER BY publisher_id, value

-- name: select_folded_rule_problems
-- The rules that could not be had, per publisher, with how many OCIDs they touched (and the first one's data).
SELECT publisher_id, code, level::text AS level, message, (array_agg(data ORDER BY ocid))[1] AS data,
       sum(count)::integer AS ocids
FROM taken_part WHERE code <> 'merge_warning'
GROUP BY publisher_id, code, level, message
ORDER BY publisher_id, code, message
