-- name: insert_crawl_file
INSERT INTO crawl_file (crawl_id, url, path, size, sha256, http_status, error)
VALUES (%(crawl_id)s, %(url)s, %(path)s, %(size)s, %(sha256)s, %(http_status)s, %(error)s)
RETURNING id

-- name: finish_crawl_file
UPDATE crawl_file SET releases = %(releases)s, records = %(records)s, loaded_at = now() WHERE id = %(id)s

-- name: insert_record
INSERT INTO record (publisher_id, crawl_id, crawl_file_id, member, ordinal, ocid, ocds_version, data_id,
                    package_data_id)
VALUES (%(publisher_id)s, %(crawl_id)s, %(crawl_file_id)s, %(member)s, %(ordinal)s, %(ocid)s, %(ocds_version)s,
        %(data_id)s, %(package_data_id)s)
RETURNING id

-- name: copy_releases
COPY release (publisher_id, crawl_id, crawl_file_id, member, ordinal, ocid, release_id, date, date_text,
              ocds_version, record_id, data_id, package_data_id, compiled)
FROM STDIN (FORMAT binary)

-- name: queue_ocids
-- An OCID is queued for compile only when it gains a body it did not have: a release or record body that no other
-- file of the publisher gave it (in a crawl or load that did not die: an interrupted one's rows are not compiled).
-- The OCIDs in `gained` have a body that the file's transaction inserted (no other file has it): they are not looked
-- up; `stored` has the other bodies, which may be another file's too.
WITH stored (kind, ocid, data_id) AS (
    SELECT * FROM unnest(%(kinds)b::text[], %(ocids)b::text[], %(data_ids)b::bigint[])
), gained AS (
    SELECT unnest(%(gained)b::text[]) AS ocid
    UNION
    SELECT s.ocid FROM stored s
    WHERE NOT EXISTS (
        SELECT 1 FROM release r JOIN crawl c ON c.id = r.crawl_id
        WHERE s.kind = 'release' AND r.publisher_id = %(publisher_id)s AND r.ocid = s.ocid AND r.data_id = s.data_id
          AND r.crawl_file_id <> %(crawl_file_id)s AND c.status <> 'interrupted'
    ) AND NOT EXISTS (
        SELECT 1 FROM record r JOIN crawl c ON c.id = r.crawl_id
        WHERE s.kind = 'record' AND r.publisher_id = %(publisher_id)s AND r.ocid = s.ocid AND r.data_id = s.data_id
          AND r.crawl_file_id <> %(crawl_file_id)s AND c.status <> 'interrupted'
    )
)
INSERT INTO compile_queue (publisher_id, ocid)
SELECT %(publisher_id)s, ocid FROM gained
ON CONFLICT (publisher_id, ocid) DO UPDATE SET queued_at = now()
RETURNING ocid

-- name: lock_content
-- Held until the file's transaction ends: two crawls or loads storing the same content take turns, and the second
-- finds it stored (select_stored_before).
SELECT pg_advisory_xact_lock(%(key)s::bigint)

-- name: set_file_digest
UPDATE crawl_file SET size = %(size)s, sha256 = %(sha256)s WHERE id = %(id)s

-- name: set_content_key
UPDATE crawl_file SET content_key = %(key)s WHERE id = %(id)s

-- name: count_crawl_ocids
-- The distinct OCIDs a crawl (or load) stored, counted here rather than kept in memory while loading.
SELECT count(*) AS ocids FROM (
    SELECT ocid FROM release WHERE crawl_id = %(crawl_id)s
    UNION
    SELECT ocid FROM record WHERE crawl_id = %(crawl_id)s
) AS stored

-- name: claim_file
-- The file's row, locked until the transaction that stores the file ends: one loader at a time stores a file, and a
-- file whose row says it is loaded is not stored again.
SELECT sha256, loaded_at, releases, records FROM crawl_file WHERE id = %(id)s FOR UPDATE

-- name: select_stored_before
-- The earliest file holding this content whole, in a crawl or load that did not die (an interrupted one's rows are
-- not compiled: its files are stored again).
SELECT f.id, f.crawl_id, f.releases, f.records
FROM crawl_file f JOIN crawl c ON c.id = f.crawl_id
WHERE f.content_key = %(key)s AND f.id <> %(id)s AND f.stored_as IS NULL AND c.status <> 'interrupted'
ORDER BY f.id
LIMIT 1

-- name: finish_duplicate_file
UPDATE crawl_file
SET stored_as = %(stored_as)s, releases = %(releases)s, records = %(records)s, loaded_at = now()
WHERE id = %(id)s

-- name: select_unloaded_files
-- A crawl's stored files that are registered and not loaded: what its loaders had not stored when one of them died
-- or the crawl was killed.
SELECT id, path FROM crawl_file
WHERE crawl_id = %(crawl_id)s AND path IS NOT NULL AND error IS NULL AND loaded_at IS NULL
ORDER BY id
