-- Red flags by compiled release (aggregator/compare/red_flags.py, redflags/delta.py): what each compiled release
-- gives Cardinal's indicators, folded alone after `prepare` with its publisher's settings, so that a refresh
-- reads, prepares and folds only the compiled releases that changed (a new body: data_id). The flags each
-- release raises alone (R003, R018, R028, R030, R035, R036) are rewritten for those releases only; the flags that
-- compare a release with its publisher's others (fences: R024, R025, R038, R048, R058), and the parties' flags,
-- are computed again from the stored contributions, without reading a body, when any release of the publisher
-- changed.
CREATE TABLE red_flag_fact (
    compiled_release_id bigint PRIMARY KEY, -- no foreign key: a deleted compiled release's facts are found, then go
    publisher text NOT NULL,                -- publisher.name, as red_flag
    ocid text NOT NULL,
    data_id bigint NOT NULL,                -- the body read
    excluded boolean NOT NULL,              -- left out by Cardinal's global exclusions
    currency text,                          -- the first currency its indicators compared
    -- json, not jsonb: written and read whole, by the application (storing as jsonb cost more server time than
    -- folding the releases did).
    own json,                               -- its process's flags: [code, value, details]
    shared json,                            -- what the fences and the parties' flags need (redflags/delta.py)
    parties json,                           -- its buyer's, procuring entity's and tenderers' ids, by role
    issues json                             -- what prepare reported: [ocid, path, indexes, value, description]
);

CREATE INDEX red_flag_fact_publisher_ocid_idx ON red_flag_fact (publisher, ocid);

-- The parties of each role in a publisher's releases (past Cardinal's exclusions), with how many releases name
-- each: the n of the parties' rates (distinct parties), kept from the changed releases' old and new parties.
CREATE TABLE red_flag_party (
    publisher text NOT NULL,
    role text NOT NULL,
    party_id text NOT NULL,
    n_releases integer NOT NULL,            -- the row goes at 0
    PRIMARY KEY (publisher, role, party_id)
);

CREATE INDEX red_flag_party_gone_idx ON red_flag_party (publisher) WHERE n_releases = 0;

-- Every publisher's red flags are computed again, the new way, by the next refresh.
DELETE FROM red_flag_run;
