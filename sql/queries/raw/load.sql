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
FROM STDIN

-- name: queue_ocids
-- The batch's OCIDs that gained a body (release or record) they did not have: stored by this file, and by no other
-- file of the publisher. A file loaded again, or a release published again unchanged, queues nothing.
INSERT INTO compile_queue (publisher_id, ocid)
SELECT DISTINCT %(publisher_id)s::int, ocid FROM (
    SELECT r.ocid FROM release r
    WHERE r.publisher_id = %(publisher_id)s AND r.ocid = ANY(%(ocids)s::text[])
      AND r.crawl_file_id = %(crawl_file_id)s
      AND NOT EXISTS (SELECT 1 FROM release o
                      WHERE o.publisher_id = r.publisher_id AND o.ocid = r.ocid AND o.data_id = r.data_id
                        AND o.crawl_file_id <> r.crawl_file_id)
    UNION ALL
    SELECT r.ocid FROM record r
    WHERE r.publisher_id = %(publisher_id)s AND r.ocid = ANY(%(ocids)s::text[])
      AND r.crawl_file_id = %(crawl_file_id)s
      AND NOT EXISTS (SELECT 1 FROM record o
                      WHERE o.publisher_id = r.publisher_id AND o.ocid = r.ocid AND o.data_id = r.data_id
                        AND o.crawl_file_id <> r.crawl_file_id)
) gained
ON CONFLICT (publisher_id, ocid) DO UPDATE SET queued_at = now()

-- name: count_crawl_ocids
-- The distinct OCIDs a crawl (or load) stored, counted here rather than kept in memory while loading.
SELECT count(*) AS ocids FROM (
    SELECT ocid FROM release WHERE crawl_id = %(crawl_id)s
    UNION
    SELECT ocid FROM record WHERE crawl_id = %(crawl_id)s
) AS stored
