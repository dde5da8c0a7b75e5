-- name: select_publisher
SELECT * FROM publisher WHERE name = %(name)s

-- name: upsert_publisher
INSERT INTO publisher (name, title, country, spider, region, level, url, licence, ocds_version, data_type,
                       update_frequency, ocid_prefixes, is_sandbox)
VALUES (%(name)s, %(title)s, %(country)s, %(spider)s, %(region)s, %(level)s, %(url)s, %(licence)s,
        %(ocds_version)s, %(data_type)s, %(update_frequency)s, %(ocid_prefixes)s, %(is_sandbox)s)
ON CONFLICT (name) DO UPDATE SET
    title = excluded.title,
    spider = coalesce(excluded.spider, publisher.spider),
    region = coalesce(excluded.region, publisher.region),
    level = coalesce(excluded.level, publisher.level),
    url = coalesce(excluded.url, publisher.url),
    licence = coalesce(excluded.licence, publisher.licence),
    ocds_version = coalesce(excluded.ocds_version, publisher.ocds_version),
    data_type = coalesce(excluded.data_type, publisher.data_type),
    update_frequency = coalesce(excluded.update_frequency, publisher.update_frequency),
    ocid_prefixes = CASE WHEN cardinality(excluded.ocid_prefixes) > 0 THEN excluded.ocid_prefixes
                         ELSE publisher.ocid_prefixes END,
    is_sandbox = excluded.is_sandbox,
    updated_at = now()
RETURNING id

-- name: insert_crawl
INSERT INTO crawl (publisher_id, kind, arguments, files_path, heartbeat_at)
VALUES (%(publisher_id)s, %(kind)s, %(arguments)s::jsonb, %(files_path)s, now())
RETURNING id

-- name: close_crawl
UPDATE crawl
SET status = %(status)s, close_reason = %(close_reason)s, stats = %(stats)s::jsonb, ended_at = now()
WHERE id = %(id)s

-- name: select_last_crawl
SELECT c.* FROM crawl c JOIN publisher p ON p.id = c.publisher_id
WHERE p.name = %(name)s
ORDER BY c.id DESC
LIMIT 1

-- name: reopen_crawl
-- A crawl that resumes (from Scrapy's job directory) continues its row.
UPDATE crawl SET status = 'running', ended_at = NULL, heartbeat_at = now()
WHERE id = %(id)s AND publisher_id = %(publisher_id)s AND kind = 'crawl'
RETURNING stats

-- name: select_crawl_counts
-- A failed request fetched later in the same crawl (it resumed) is not failed any more. A file whose content the
-- publisher had (stored_as) counts the releases and records found there, and their dates. A stored file not loaded
-- (its loader died, and the crawl could not load it either) is counted apart: the crawl lacks what it holds.
SELECT count(*) AS requests,
       count(*) FILTER (WHERE f.error IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM crawl_file g
           WHERE g.crawl_id = f.crawl_id AND g.url = f.url AND g.error IS NULL AND g.id > f.id
       )) AS failed,
       count(*) FILTER (WHERE f.path IS NOT NULL AND f.error IS NULL AND f.loaded_at IS NULL) AS unloaded,
       coalesce(sum(f.releases), 0)::bigint AS releases,
       coalesce(sum(f.records), 0)::bigint AS records,
       greatest(
           (SELECT max(date) FROM release WHERE crawl_id = %(id)s),
           (SELECT max(r.date) FROM release r
            WHERE r.crawl_id IN (SELECT o.crawl_id FROM crawl_file d JOIN crawl_file o ON o.id = d.stored_as
                                 WHERE d.crawl_id = %(id)s)
              AND r.crawl_file_id IN (SELECT d.stored_as FROM crawl_file d WHERE d.crawl_id = %(id)s))
       ) AS last_release_date
FROM crawl_file f
WHERE f.crawl_id = %(id)s

-- name: accept_crawl
UPDATE crawl
SET error_rate = %(error_rate)s, acceptance = %(acceptance)s::jsonb, high_water_mark = %(high_water_mark)s,
    missing = %(missing)s::jsonb
WHERE id = %(id)s

-- name: select_high_water_mark
-- Where an incremental crawl of a spider starts: the latest mark of its accepted crawls.
SELECT max(c.high_water_mark) AS high_water_mark
FROM crawl c JOIN publisher p ON p.id = c.publisher_id
WHERE p.name = %(name)s AND c.kind = 'crawl' AND c.status = 'finished'

-- name: select_crawl
SELECT * FROM crawl WHERE id = %(id)s
