-- Indicators by delta (aggregator/compare/facts.py). indicator_process (48 rows per process) gives way to one row of
-- facts per process, from which each indicator's in scope, eligible, contribution and weight are read
-- (sql/queries/compare/indicators.sql, block expand_facts). A refresh computes the facts of the processes changed
-- since the last one and adds the difference between their new and old facts to each group's sums and counts,
-- kept in indicator_value beside the value; medians, and supplier concentration, are recomputed only for the
-- groups whose members changed.
DROP TABLE indicator_process;

CREATE TABLE indicator_fact (
    process_id bigint PRIMARY KEY,          -- no foreign key: a deleted process's facts are subtracted, then deleted
    ocid text NOT NULL,
    country char(2) NOT NULL,
    publisher text NOT NULL,
    buyer_org_key text,
    year integer NOT NULL,
    procedure_type text,
    number_of_tenderers integer,
    contract_count integer NOT NULL,
    tender_days double precision,
    decision_days double precision,
    n_awards integer NOT NULL,
    n_usd_missing integer NOT NULL,
    n_no_supplier_id integer NOT NULL,
    n_no_amount integer NOT NULL,
    awards_usd double precision,
    value_usd double precision,
    n_compared integer NOT NULL,
    n_increased integer NOT NULL,
    -- Supplier concentration: the awards with a USD value and a supplier, each split evenly among its suppliers.
    valued_awards integer NOT NULL,
    suppliers text[] NOT NULL,
    supplier_values numeric[] NOT NULL,
    -- From the facts of every process of the buyer in the country and year.
    buyer_awards integer,
    hhi_awards integer,
    hhi double precision,
    hhi_weight double precision
);

CREATE INDEX indicator_fact_group_idx ON indicator_fact (country, year);
CREATE INDEX indicator_fact_buyer_idx ON indicator_fact (country, year, buyer_org_key);

-- Each group's sums and counts, from which the value is made.
ALTER TABLE indicator_value
    ADD COLUMN n_in_scope integer NOT NULL DEFAULT 0,
    ADD COLUMN n_missing integer NOT NULL DEFAULT 0,
    ADD COLUMN n_contributing integer NOT NULL DEFAULT 0,
    ADD COLUMN sum_contribution numeric,
    ADD COLUMN sum_weight numeric;

-- The processes changed since each part of the refresh last ran (indicators, red flags, quality), marked by
-- triggers on process: inserted, updated (also when it becomes or stops being primary) or deleted.
CREATE TABLE compare_dirty (
    part text NOT NULL,
    process_id bigint NOT NULL,
    PRIMARY KEY (part, process_id)
);

CREATE FUNCTION mark_compare_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO compare_dirty (part, process_id)
        SELECT part, id FROM old_rows CROSS JOIN unnest(ARRAY['indicators', 'red_flags', 'quality']) AS part
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO compare_dirty (part, process_id)
        SELECT part, id FROM new_rows CROSS JOIN unnest(ARRAY['indicators', 'red_flags', 'quality']) AS part
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER process_inserted_compare_dirty AFTER INSERT ON process
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_compare_dirty();
CREATE TRIGGER process_updated_compare_dirty AFTER UPDATE ON process
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_compare_dirty();
CREATE TRIGGER process_deleted_compare_dirty AFTER DELETE ON process
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_compare_dirty();

-- Every process is changed for a database that had processes before this migration.
INSERT INTO compare_dirty (part, process_id)
SELECT part, id FROM process CROSS JOIN unnest(ARRAY['indicators', 'red_flags', 'quality']) AS part;
DELETE FROM indicator_value;
