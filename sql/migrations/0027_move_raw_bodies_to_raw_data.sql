-- The bodies of releases and records as published move to `raw_data`, as bytes that the application compresses
-- (zstd, one frame per body: aggregator/raw/bodies.py). They are only ever read back whole, by Python, and jsonb
-- stored them at 1.7 times their text; zstd stores the bench's releases at 0.42 times. `data` keeps compiled and
-- versioned releases as jsonb (quality checks and red flags query them).
--
-- The ids come from `data`'s sequence, so that `release.data_id` and `record.data_id` keep their values, and a
-- query that still looks them up in `data` finds nothing rather than another body. Rows moved here become their
-- jsonb text, uncompressed (SQL has no zstd); aggregator.raw.bodies.unpack reads both forms.
CREATE TABLE raw_data (
    id bigint PRIMARY KEY DEFAULT nextval('data_id_seq'),
    hash bytea NOT NULL UNIQUE,
    body bytea NOT NULL
);
-- Compressed already: PostgreSQL is not to try again.
ALTER TABLE raw_data ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE raw_data SET (toast_tuple_target = 8160);

INSERT INTO raw_data (id, hash, body)
SELECT d.id, d.hash, convert_to(d.body::text, 'UTF8')
FROM data d
WHERE d.id IN (SELECT data_id FROM release UNION SELECT data_id FROM record);

DELETE FROM data d
WHERE d.id IN (SELECT id FROM raw_data)
  AND d.id NOT IN (SELECT data_id FROM compiled_release)
  AND d.id NOT IN (SELECT versioned_data_id FROM compiled_release WHERE versioned_data_id IS NOT NULL);
