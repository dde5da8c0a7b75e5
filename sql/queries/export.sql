-- name: select_publishers
SELECT p.id, p.name FROM publisher p
WHERE EXISTS (SELECT 1 FROM compiled_release c WHERE c.publisher_id = p.id)
ORDER BY p.name

-- name: select_compiled
SELECT d.body::text AS body
FROM compiled_release c
JOIN data d ON d.id = c.data_id
WHERE c.publisher_id = %(publisher_id)s
ORDER BY c.ocid
