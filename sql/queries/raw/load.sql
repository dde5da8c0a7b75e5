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
INSERT INTO compile_queue (publisher_id, ocid)
SELECT %(publisher_id)s, unnest(%(ocids)s::text[])
ON CONFLICT (publisher_id, ocid) DO UPDATE SET queued_at = now()

-- name: count_crawl_ocids
-- The distinct OCIDs a crawl (or load) stored, counted here rather than kept in memory while loading.
SELECT count(*) AS ocids FROM (
    SELECT ocid FROM release WHERE crawl_id = %(crawl_id)s
    UNION
    SELECT ocid FROM record WHERE crawl_id = %(crawl_id)s
) AS stored
