-- Whether a crawl is accepted (it ended as it should, at most 15 % of its requests failed, it stored something;
-- else its status is 'failed' and `acceptance` says why), and the high-water mark that incremental crawls start from.
ALTER TABLE crawl ADD COLUMN error_rate real;            -- failed requests / requests; NULL before it closes
ALTER TABLE crawl ADD COLUMN acceptance jsonb;           -- {"accepted": bool, "reasons": [...], counts}
-- The latest release date a complete, accepted crawl stored: `ocds-atlas crawl --incremental` continues after it.
ALTER TABLE crawl ADD COLUMN high_water_mark timestamptz;
