-- Nothing lost (issue 17): a stage's notes commit with its rows.
-- compile and normalize sum their problems up as one note per publisher and code, with a count. Each batch stores
-- its OCIDs' shares of those notes here, in the transaction that writes their rows (an OCID done again replaces its
-- rows, never adds to them); the run that finishes folds every share it finds into the notes and deletes them, in
-- one transaction. A run that died leaves its shares to the next run of its stage, so a crash then the same
-- command gives the notes of a run that never stopped. A full run (`--full`) counts every OCID and its fold
-- replaces the notes of its publishers: its shares (`full_run`) are folded only by a full run (after one that died,
-- the same command again counts every OCID once more, each in place of its share).
CREATE TABLE note_part (
    stage text NOT NULL CHECK (stage IN ('compile', 'normalize')),
    publisher_id integer NOT NULL REFERENCES publisher (id) ON DELETE CASCADE,
    ocid text NOT NULL,
    code text NOT NULL,
    level note_level NOT NULL,
    message text NOT NULL,
    value text,                             -- the offending value (normalize) or the merge warning (compile)
    data jsonb NOT NULL DEFAULT '{}',
    count integer NOT NULL,
    full_run boolean NOT NULL DEFAULT false
);

CREATE INDEX note_part_ocid_idx ON note_part (stage, publisher_id, ocid);

-- The keys of processes that several publishers may publish (global OCIDs) that a normalize batch wrote: their
-- routes are compared once the run ends (by the next run, when it died), like organization_dirty.
CREATE TABLE process_key_dirty (
    process_key text PRIMARY KEY
);
