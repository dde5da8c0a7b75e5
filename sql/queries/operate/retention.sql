-- name: select_prunable_crawls
-- Crawls older than the %(keep)s latest successful crawls of their publisher whose files are still kept, with
-- whether a release or record of theirs is still the newest of its OCID (the latest crawl that stored the OCID).
-- Running crawls and loads (whose files are the user's own) are never candidates.
WITH successful AS (
    SELECT publisher_id, id, row_number() OVER (PARTITION BY publisher_id ORDER BY id DESC) AS n
    FROM crawl
    WHERE kind = 'crawl' AND status = 'finished'
),
cutoff AS (
    SELECT s.publisher_id, s.id AS oldest_kept
    FROM successful s
    JOIN publisher p ON p.id = s.publisher_id
    WHERE s.n = %(keep)s AND (%(publishers)s::text[] IS NULL OR p.name = ANY(%(publishers)s::text[]))
),
candidate AS (
    SELECT c.*
    FROM crawl c
    JOIN cutoff k ON k.publisher_id = c.publisher_id
    WHERE c.kind = 'crawl' AND c.status <> 'running' AND c.id < k.oldest_kept
      AND c.files_path IS NOT NULL AND c.files_pruned_at IS NULL
),
newest AS (
    SELECT max(crawl_id) AS crawl_id FROM release
    WHERE publisher_id IN (SELECT publisher_id FROM candidate)
    GROUP BY publisher_id, ocid
    UNION
    SELECT max(crawl_id) FROM record
    WHERE publisher_id IN (SELECT publisher_id FROM candidate)
    GROUP BY publisher_id, ocid
)
SELECT c.id, p.name AS publisher, p.spider, c.status, c.started_at, c.files_path,
       c.id IN (SELECT crawl_id FROM newest) AS still_newest
FROM candidate c
JOIN publisher p ON p.id = c.publisher_id
ORDER BY p.name, c.id

-- name: mark_crawl_files_pruned
UPDATE crawl SET files_pruned_at = now() WHERE id = %(id)s AND files_pruned_at IS NULL
RETURNING publisher_id
