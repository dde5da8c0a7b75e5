-- Red flags as Cardinal 0.0.8 computes them (aggregator/compare/redflags/), replacing the five SQL flags of 0005:
-- computed from each publisher's compiled releases after Cardinal's `prepare`, with the publisher's settings, the
-- outlier fences computed over the publisher's compiled releases (as Cardinal computes them over one file).
--
-- red_flag: one row per flag: a contracting process (ocid set, party_role and party_id NULL) or a party
-- (ocid NULL; party_role buyer, procuringEntity or tenderer, as Cardinal's groups Buyer, ProcuringEntity and
-- Tenderer; party_id the id as published, after `prepare`). value is Cardinal's value; details what raised it.
DROP TABLE red_flag;

CREATE TABLE red_flag (
    publisher text NOT NULL,        -- publisher.name
    ocid text,
    code text NOT NULL,
    party_role text CHECK (party_role IN ('buyer', 'procuringEntity', 'tenderer')),
    party_id text,
    value double precision,
    details jsonb NOT NULL DEFAULT '{}',
    CHECK ((ocid IS NULL) = (party_role IS NOT NULL) AND (party_role IS NULL) = (party_id IS NULL))
);

CREATE INDEX red_flag_publisher_code_idx ON red_flag (publisher, code);
CREATE INDEX red_flag_ocid_idx ON red_flag (ocid);

-- One row per publisher whose red flags were computed: when, with which settings, over how many compiled
-- releases (those the indicators read, after Cardinal's exclusions) and parties of each role: the n of each rate.
CREATE TABLE red_flag_run (
    publisher text PRIMARY KEY,
    computed_at timestamptz NOT NULL DEFAULT now(),
    settings_file text NOT NULL,
    settings_hash text NOT NULL,
    compiled_releases integer NOT NULL,
    processes integer NOT NULL,
    parties jsonb NOT NULL DEFAULT '{}',
    meta jsonb NOT NULL DEFAULT '{}'
);

-- Red flags write notes too (what Cardinal's `prepare` reports and cannot correct).
ALTER TABLE note DROP CONSTRAINT note_stage_check;
ALTER TABLE note ADD CONSTRAINT note_stage_check
    CHECK (stage IN ('crawl', 'load', 'compile', 'normalize', 'compare', 'export'));
