-- A release's or record's crawl file, and a compiled release's bodies, are no longer checked row by row.
--
-- * `data` is append-only, as `raw_data` and `package_data` are (migration 0012): a body is stored once, under the
--   hash of its content, and nothing updates or deletes it. The check of a compiled release's bodies guarded nothing
--   that can happen, and locked the body's row (FOR KEY SHARE) for every compiled release written, which writes to
--   its page and to the write-ahead log.
-- * A file's rows are stored by the transaction that claimed the file (sql/queries/raw/load.sql: claim_file), which
--   holds the file's row until it commits: the check of each row's crawl file only found the row the transaction
--   holds. Its ON DELETE CASCADE served the removal of a publisher only, which now deletes the publisher's crawls
--   (waiting for the files being stored), then its releases and records by the publisher's index, those that a
--   file's transaction stored while the removal waited included (sql/queries/operate/removal.sql).
--
-- Measured on a load of 204 MB (146,977 releases, 40,000 compiled as they were loaded; PostgreSQL 15), four runs
-- each, taken in turn: the server's CPU fell from 4.7 to 5.3 s to 4.25 to 4.75 s, with the load's and the server's
-- together from 16.1 to 18.3 s to 15.5 to 16.4 s. tests/raw/test_load.py checks that every release and record finds
-- its crawl file and bodies, and every compiled release its bodies.
ALTER TABLE release DROP CONSTRAINT release_crawl_file_id_fkey;
ALTER TABLE record DROP CONSTRAINT record_crawl_file_id_fkey;
ALTER TABLE compiled_release
    DROP CONSTRAINT compiled_release_data_id_fkey,
    DROP CONSTRAINT compiled_release_versioned_data_id_fkey;
