-- name: select_running_crawl
-- The spider's crawl under way (the newest running one of its publishers).
SELECT c.id
FROM crawl c
JOIN publisher p ON p.id = c.publisher_id
WHERE c.kind = 'crawl' AND c.status = 'running' AND (p.spider = %(spider)s OR p.name = %(spider)s)
ORDER BY c.id DESC
LIMIT 1

-- name: select_latest_crawl
-- The spider's newest crawl, whatever its status (for the line said when it has closed).
SELECT c.id
FROM crawl c
JOIN publisher p ON p.id = c.publisher_id
WHERE c.kind = 'crawl' AND (p.spider = %(spider)s OR p.name = %(spider)s)
ORDER BY c.id DESC
LIMIT 1

-- name: select_crawl_progress
-- What a crawl has fetched and stored so far: responses (pages), files loaded, releases and records.
SELECT count(*) AS pages,
       count(*) FILTER (WHERE loaded_at IS NOT NULL) AS files,
       coalesce(sum(releases), 0) AS releases,
       coalesce(sum(records), 0) AS records
FROM crawl_file
WHERE crawl_id = %(crawl_id)s
