-- name: select_publisher_exists
SELECT EXISTS (SELECT 1 FROM publisher WHERE name = %(name)s) AS present

-- name: select_publisher_holds_data
-- Whether the publisher holds any release or record, from this load or another (one that ran at the same time).
SELECT EXISTS (SELECT 1 FROM publisher p JOIN release r ON r.publisher_id = p.id WHERE p.name = %(name)s)
    OR EXISTS (SELECT 1 FROM publisher p JOIN record r ON r.publisher_id = p.id WHERE p.name = %(name)s) AS present

-- name: select_file_errors
-- The error notes of each file of a load, in file order: why a file was not stored, or not wholly.
SELECT f.id AS crawl_file_id, f.path, n.code, n.message, n.count, n.data
FROM crawl_file f
JOIN note n ON n.crawl_file_id = f.id AND n.level = 'error'
WHERE f.crawl_id = %(crawl_id)s
ORDER BY f.id, n.id
