-- name: select_footprint
-- What removing a publisher deletes, counted (for the confirmation).
SELECT p.id, p.name, p.title, p.country,
       (SELECT count(*) FROM crawl c WHERE c.publisher_id = p.id) AS crawls,
       (SELECT count(*) FROM crawl_file f JOIN crawl c ON c.id = f.crawl_id WHERE c.publisher_id = p.id) AS files,
       (SELECT count(*) FROM release r WHERE r.publisher_id = p.id) AS releases,
       (SELECT count(*) FROM record r WHERE r.publisher_id = p.id) AS records,
       (SELECT count(*) FROM compiled_release c WHERE c.publisher_id = p.id) AS compiled_releases,
       (SELECT count(*) FROM process x WHERE x.publisher_id = p.id) AS processes,
       (SELECT count(*) FROM note n WHERE n.publisher_id = p.id) AS notes
FROM publisher p
WHERE p.name = %(name)s

-- name: select_crawl_directories
-- The files-store folders of the publisher's crawls (loads' files are the user's own, and stay).
SELECT files_path FROM crawl WHERE publisher_id = %(id)s AND kind = 'crawl' AND files_path IS NOT NULL

-- name: select_shared_keys
-- The organizations and process keys that the publisher's processes share with other rows.
SELECT ARRAY(SELECT DISTINCT pp.org_key FROM process_party pp JOIN process p ON p.id = pp.process_id
             WHERE p.publisher_id = %(id)s) AS org_keys,
       ARRAY(SELECT DISTINCT process_key FROM process WHERE publisher_id = %(id)s AND ocid_scope = 'global')
           AS process_keys

-- name: delete_derived
-- Rows keyed by the publisher's name rather than its id. Its processes' indicator facts are subtracted from their
-- country's values by the next refresh (the triggers on process mark them), then deleted.
WITH v AS (DELETE FROM indicator_value WHERE publisher = %(name)s),
     c AS (DELETE FROM field_coverage WHERE publisher = %(name)s),
     f AS (DELETE FROM red_flag WHERE publisher = %(name)s),
     r AS (DELETE FROM red_flag_run WHERE publisher = %(name)s),
     x AS (DELETE FROM red_flag_fact WHERE publisher = %(name)s),
     y AS (DELETE FROM red_flag_party WHERE publisher = %(name)s),
     t AS (DELETE FROM red_flag_tally WHERE publisher = %(name)s)
DELETE FROM quality_check WHERE publisher = %(name)s

-- name: lock_publisher
-- First in a removal: compile batches under way (which lock the publisher to share it: sql/queries/compile/compile.sql)
-- are waited for, and those that start meanwhile wait for the removal, then find no publisher. Not FOR UPDATE: the
-- foreign keys that remain (notes, processes) lock it FOR KEY SHARE in a file's transaction, which the removal waits
-- for later (delete_crawls) and which must not wait for the removal.
SELECT id FROM publisher WHERE id = %(id)s FOR NO KEY UPDATE

-- name: delete_processes
-- Awards, contracts, parties and identifiers go with them (ON DELETE CASCADE).
DELETE FROM process WHERE publisher_id = %(id)s

-- name: delete_raw
-- By the publisher's index, after delete_crawls, so that it sees what the files being stored then added (no foreign
-- key makes a release or record go with its crawl file: migration 0038).
WITH r AS (DELETE FROM release WHERE publisher_id = %(id)s),
     d AS (DELETE FROM record WHERE publisher_id = %(id)s),
     q AS (DELETE FROM compile_queue WHERE publisher_id = %(id)s),
     n AS (DELETE FROM note WHERE publisher_id = %(id)s),
     s AS (DELETE FROM note_part WHERE publisher_id = %(id)s)
DELETE FROM compiled_release WHERE publisher_id = %(id)s

-- name: delete_crawls
-- Their files and the files' notes go with them (ON DELETE CASCADE). A file being stored holds its row until its
-- transaction commits (claim_file): this waits for it, and what it stored is deleted by delete_raw, run after this.
-- A file whose transaction starts later finds its row gone, and stores nothing.
DELETE FROM crawl WHERE publisher_id = %(id)s

-- name: delete_publisher
-- The marks its compiled releases left when they went (red_flag_dirty, normalize_dirty) go with it.
WITH m AS (DELETE FROM red_flag_dirty WHERE publisher_id = %(id)s),
n AS (DELETE FROM normalize_dirty WHERE publisher_id = %(id)s)
DELETE FROM publisher WHERE id = %(id)s
