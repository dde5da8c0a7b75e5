-- Indicators and data quality by delta, at a cost proportional to what changed (aggregator/compare/facts.py,
-- buyers.py, medians.py, quality.py; sql/queries/compare/indicators.sql, quality.sql).
--
-- Supplier concentration no longer lives in each process's facts (a change to one process of a buyer rewrote the
-- facts of all its processes): each buyer, in a country and year, keeps its sums, updated from the changed
-- processes' old and new facts. Its HHI is squares / total², where total is the sum of its suppliers' values and
-- squares the sum of their squares; both change only by the pairs (buyer, supplier) whose value changed.
ALTER TABLE indicator_fact
    DROP COLUMN buyer_awards,
    DROP COLUMN hhi_awards,
    DROP COLUMN hhi,
    DROP COLUMN hhi_weight;

DROP INDEX indicator_fact_buyer_idx;

CREATE TABLE indicator_buyer (
    country char(2) NOT NULL,
    year integer NOT NULL,
    buyer_org_key text NOT NULL,
    n_processes integer NOT NULL,           -- its counted processes (the row goes at 0)
    n_with_awards integer NOT NULL,         -- those with awards
    awards bigint NOT NULL,                 -- their awards
    valued_awards bigint NOT NULL,          -- their awards with a USD value and a supplier
    total numeric NOT NULL,                 -- the sum of its suppliers' values (USD)
    squares numeric NOT NULL,               -- the sum of their squares
    hhi double precision,                   -- squares / total², where total > 0
    PRIMARY KEY (country, year, buyer_org_key)
);

-- Each supplier's value (USD) of a buyer's awards: an award's value split evenly among its suppliers.
CREATE TABLE indicator_buyer_supplier (
    country char(2) NOT NULL,
    year integer NOT NULL,
    buyer_org_key text NOT NULL,
    supplier text NOT NULL,
    value numeric NOT NULL,
    n_processes integer NOT NULL,           -- the processes that add to it (the row goes at 0)
    PRIMARY KEY (country, year, buyer_org_key, supplier)
);

-- A buyer's processes in each publisher: a publisher's supplier concentration is the median over its buyers.
CREATE TABLE indicator_buyer_publisher (
    country char(2) NOT NULL,
    year integer NOT NULL,
    buyer_org_key text NOT NULL,
    publisher text NOT NULL,
    n_processes integer NOT NULL,
    n_with_awards integer NOT NULL,
    PRIMARY KEY (country, year, buyer_org_key, publisher)
);

-- Medians kept by rank: each median group remembers the member at rank floor((n - 1) / 2) of its eligible
-- members ordered by (contribution, process id), a key that no two members share. After a change, the new median
-- is found from it by counting the changed members below it and stepping through the index below, as far as the
-- changes moved it, not by sorting the group again.
ALTER TABLE indicator_value
    ADD COLUMN median_value double precision,
    ADD COLUMN median_process_id bigint;

-- Rows updated in place by every refresh: room on their page lets an update skip the indexes (HOT).
ALTER TABLE indicator_value SET (fillfactor = 70);
ALTER TABLE indicator_buyer SET (fillfactor = 70);
ALTER TABLE indicator_buyer_publisher SET (fillfactor = 70);
ALTER TABLE indicator_buyer_supplier SET (fillfactor = 80);

CREATE INDEX indicator_fact_submission_country_idx ON indicator_fact (country, year, tender_days, process_id)
    WHERE procedure_type = 'open' AND tender_days >= 0;
CREATE INDEX indicator_fact_submission_publisher_idx
    ON indicator_fact (country, publisher, year, tender_days, process_id)
    WHERE procedure_type = 'open' AND tender_days >= 0;
CREATE INDEX indicator_fact_submission_buyer_idx
    ON indicator_fact (country, year, buyer_org_key, tender_days, process_id)
    WHERE procedure_type = 'open' AND tender_days >= 0;
CREATE INDEX indicator_fact_decision_country_idx ON indicator_fact (country, year, decision_days, process_id)
    WHERE n_awards > 0 AND procedure_type <> 'direct' AND decision_days >= 0;
CREATE INDEX indicator_fact_decision_publisher_idx
    ON indicator_fact (country, publisher, year, decision_days, process_id)
    WHERE n_awards > 0 AND procedure_type <> 'direct' AND decision_days >= 0;
CREATE INDEX indicator_fact_decision_buyer_idx
    ON indicator_fact (country, year, buyer_org_key, decision_days, process_id)
    WHERE n_awards > 0 AND procedure_type <> 'direct' AND decision_days >= 0;

-- Data quality per process: bit i of applicable says that field or check i (block expand_quality, in its order)
-- applies to the process, bit i of ok that the field is present or the check passed. field_coverage and
-- quality_check are kept from them by delta; n_processes counts the publisher's processes (the row goes at 0).
CREATE TABLE quality_fact (
    process_id bigint PRIMARY KEY,          -- no foreign key: a deleted process's facts are subtracted, then deleted
    publisher text NOT NULL,
    ocid text NOT NULL,
    applicable bigint NOT NULL,
    ok bigint NOT NULL
);

-- A check's examples are the first failing OCIDs: found, when the changes leave too few, by this index.
CREATE INDEX quality_fact_publisher_ocid_idx ON quality_fact (publisher, ocid) INCLUDE (applicable, ok);

ALTER TABLE field_coverage ADD COLUMN n_processes integer NOT NULL DEFAULT 0;
ALTER TABLE quality_check ADD COLUMN n_processes integer NOT NULL DEFAULT 0;

-- A publisher renamed, or given other OCID prefixes: its processes' facts change.
CREATE FUNCTION mark_publisher_compare_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO compare_dirty (part, process_id)
    SELECT part, p.id FROM process p CROSS JOIN unnest(ARRAY['indicators', 'red_flags', 'quality']) AS part
    WHERE p.publisher_id = NEW.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER publisher_updated_compare_dirty AFTER UPDATE OF name, ocid_prefixes ON publisher
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.ocid_prefixes IS DISTINCT FROM NEW.ocid_prefixes)
    EXECUTE FUNCTION mark_publisher_compare_dirty();

-- Everything is computed again, the new way, by the next refresh.
TRUNCATE indicator_fact, field_coverage, quality_check;
DELETE FROM indicator_value;
INSERT INTO compare_dirty (part, process_id)
SELECT part, id FROM process CROSS JOIN unnest(ARRAY['indicators', 'quality']) AS part
ON CONFLICT DO NOTHING;
