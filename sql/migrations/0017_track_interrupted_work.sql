-- Nothing lost, nothing stuck (issue 17).
-- A crawl or load that is running says so every few seconds (`heartbeat_at`); one whose heartbeat stopped died, and
-- is closed as 'interrupted' by the next command that looks (its rows are kept, but not compiled). A crawl that
-- knows something is missing (a next page that failed, a date window lost, a crawl stopped with requests pending) is
-- 'incomplete': never accepted, never a high-water mark; `missing` says what, and `ocds-atlas crawl NAME --resume`
-- fetches it.
ALTER TABLE crawl ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE crawl DROP CONSTRAINT crawl_status_check;
ALTER TABLE crawl ADD CONSTRAINT crawl_status_check
    CHECK (status IN ('running', 'finished', 'failed', 'incomplete', 'interrupted'));
ALTER TABLE crawl ADD COLUMN missing jsonb;
CREATE INDEX crawl_running_idx ON crawl (heartbeat_at) WHERE status = 'running';

-- A file whose content the publisher already has, stored whole and read the same way (`content_key`: the SHA-256 of
-- the publisher, the file's own SHA-256 and the reading options), is not stored again: its row points to the file
-- that holds its rows (`stored_as`) and counts the releases and records found there.
ALTER TABLE crawl_file ADD COLUMN content_key bytea;
ALTER TABLE crawl_file ADD COLUMN stored_as bigint REFERENCES crawl_file (id) ON DELETE SET NULL;
CREATE INDEX crawl_file_content_key_idx ON crawl_file (content_key) WHERE content_key IS NOT NULL;
CREATE INDEX crawl_file_stored_as_idx ON crawl_file (stored_as) WHERE stored_as IS NOT NULL;
