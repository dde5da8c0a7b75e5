-- Where a publisher's data come from, and its health: what the crawls' outcomes say, updated when each crawl closes
-- (aggregator/health.py). The status itself (active, failing, stale, never crawled) depends on the time it is read,
-- so it is computed from these columns then, not stored.

-- NULL when the data come from the publisher itself; 'data_registry' for a publication of the OCP Data Registry.
ALTER TABLE publisher ADD COLUMN via text;
-- Where the publication is on that route (the registry's publication page).
ALTER TABLE publisher ADD COLUMN via_url text;

-- When its latest crawl closed, and its latest accepted one.
ALTER TABLE publisher ADD COLUMN last_crawl_at timestamptz;
ALTER TABLE publisher ADD COLUMN last_success_at timestamptz;
-- When the first crawl of the current run of failed crawls closed; NULL once a crawl is accepted.
ALTER TABLE publisher ADD COLUMN failing_since timestamptz;
-- The latest release date the accepted crawls stored (never later than the crawl that stored it).
ALTER TABLE publisher ADD COLUMN newest_release_at timestamptz;
-- When the publisher goes stale: the newest release date plus what its update frequency allows; NULL when its
-- frequency sets no limit (never, irregular, unknown) or no release is dated.
ALTER TABLE publisher ADD COLUMN stale_since timestamptz;
