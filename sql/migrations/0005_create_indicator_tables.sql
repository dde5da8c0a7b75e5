-- Indicators, red flags and data quality, computed from the normalized layer (aggregator/indicators/).
--
-- indicator_value: one row per indicator and group: a country, a publisher or a buyer, and a year (the year of a
-- process is its tender period's start, else its release date). value is NULL when nothing is eligible; a value
-- is suppressed when more than 30 % of the processes in the indicator's scope miss what it needs, or fewer than
-- the indicator's minimum sample (30) are eligible. The catalogue (aggregator/indicators/catalogue.py) says how
-- each is computed.
CREATE TABLE indicator_value (
    indicator text NOT NULL,
    level text NOT NULL CHECK (level IN ('country', 'publisher', 'buyer')),
    country char(2) NOT NULL,
    publisher text,                 -- publisher.name at level 'publisher', else NULL
    buyer_org_key text,             -- at level 'buyer', else NULL
    year integer NOT NULL,
    value double precision,
    n_eligible integer NOT NULL,
    n_total integer NOT NULL,
    missing_share double precision,
    suppressed boolean NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX indicator_value_group_idx
    ON indicator_value (indicator, level, country, coalesce(publisher, ''), coalesce(buyer_org_key, ''), year);
CREATE INDEX indicator_value_country_year_idx ON indicator_value (country, year);

-- What each value was computed from: every process of the group, whether it is in the indicator's scope and
-- eligible, and what it contributed (contribution, weighted by weight where the method is a ratio).
CREATE TABLE indicator_process (
    indicator text NOT NULL,
    level text NOT NULL CHECK (level IN ('country', 'publisher', 'buyer')),
    country char(2) NOT NULL,
    publisher text,
    buyer_org_key text,
    year integer NOT NULL,
    process_id bigint NOT NULL REFERENCES process (id) ON DELETE CASCADE,
    ocid text NOT NULL,
    in_scope boolean NOT NULL,
    eligible boolean NOT NULL,
    contribution double precision,
    weight double precision
);

CREATE INDEX indicator_process_group_idx ON indicator_process (indicator, country, year);
CREATE INDEX indicator_process_country_year_idx ON indicator_process (country, year);

-- Red flags per process (Cardinal's ids: R003, R018, R024, R028, R036), with what raised them.
CREATE TABLE red_flag (
    process_id bigint NOT NULL REFERENCES process (id) ON DELETE CASCADE,
    flag text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (process_id, flag)
);

-- Per publisher: the share of processes (of those the field applies to) that publish each key field.
CREATE TABLE field_coverage (
    publisher text NOT NULL,
    field text NOT NULL,
    n_applicable integer NOT NULL,
    n_present integer NOT NULL,
    share double precision,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher, field)
);

-- Per publisher: consistency checks with pass and fail counts and a few OCIDs that fail.
CREATE TABLE quality_check (
    publisher text NOT NULL,
    check_id text NOT NULL,
    n_checked integer NOT NULL,
    n_passed integer NOT NULL,
    n_failed integer NOT NULL,
    examples text[] NOT NULL DEFAULT '{}',
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher, check_id)
);
