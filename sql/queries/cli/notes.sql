-- name: select_notes
-- Notes with where they come from (publisher, crawl, file and URL, OCID), newest first; every filter optional.
SELECT n.id, p.name AS publisher, n.crawl_id AS crawl, n.stage, n.level::text AS level, n.code, n.count,
       n.message, f.path AS file, f.url, n.ocid, n.data, n.created_at
FROM note n
LEFT JOIN publisher p ON p.id = n.publisher_id
LEFT JOIN crawl_file f ON f.id = n.crawl_file_id
WHERE (%(publisher)s::text IS NULL OR p.name = %(publisher)s::text)
  AND (%(crawl)s::bigint IS NULL OR n.crawl_id = %(crawl)s::bigint)
  AND (%(code)s::text IS NULL OR n.code = %(code)s::text)
  AND (%(level)s::text IS NULL OR n.level::text = %(level)s::text)
  AND (%(ocid)s::text IS NULL OR n.ocid = %(ocid)s::text OR n.data::text LIKE '%%' || %(ocid)s::text || '%%')
ORDER BY n.id DESC
LIMIT %(limit)s

-- name: count_notes
SELECT count(*) AS n
FROM note n
LEFT JOIN publisher p ON p.id = n.publisher_id
WHERE (%(publisher)s::text IS NULL OR p.name = %(publisher)s::text)
  AND (%(crawl)s::bigint IS NULL OR n.crawl_id = %(crawl)s::bigint)
  AND (%(code)s::text IS NULL OR n.code = %(code)s::text)
  AND (%(level)s::text IS NULL OR n.level::text = %(level)s::text)
  AND (%(ocid)s::text IS NULL OR n.ocid = %(ocid)s::text OR n.data::text LIKE '%%' || %(ocid)s::text || '%%')
