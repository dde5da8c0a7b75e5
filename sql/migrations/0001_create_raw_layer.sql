-- Publishers, crawls and their files, notes, and the raw layer (releases and records, bodies deduplicated by hash).

CREATE TYPE note_level AS ENUM ('info', 'warning', 'error');

CREATE TABLE publisher (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The key used everywhere else: a spider's name, or the name given to `ocds-atlas load --publisher`.
    name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.-]*$'),
    spider text,
    title text NOT NULL,
    country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region text,
    level text CHECK (level IN ('national', 'regional', 'city')),
    url text,
    licence text,
    ocds_version text,
    data_type text,
    update_frequency text,
    ocid_prefixes text[] NOT NULL DEFAULT '{}',
    is_sandbox boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A crawl by a spider, or a load of files from disk: every stored row names the crawl it came from.
CREATE TABLE crawl (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publisher_id integer NOT NULL REFERENCES publisher (id),
    kind text NOT NULL CHECK (kind IN ('crawl', 'load')),
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    arguments jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
    close_reason text,
    stats jsonb NOT NULL DEFAULT '{}',
    files_path text
);

CREATE INDEX crawl_publisher_id_idx ON crawl (publisher_id, started_at);

CREATE TABLE crawl_file (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    crawl_id bigint NOT NULL REFERENCES crawl (id) ON DELETE CASCADE,
    url text,                       -- where it was fetched; NULL for a file loaded from disk
    path text,                      -- where it is kept (files store, or the path given to `load`); NULL if none
    size bigint,
    sha256 text,
    http_status integer,
    error text,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    loaded_at timestamptz,
    releases integer NOT NULL DEFAULT 0,
    records integer NOT NULL DEFAULT 0
);

CREATE INDEX crawl_file_crawl_id_idx ON crawl_file (crawl_id);

-- Every handled problem. Repeated problems of one kind may be aggregated into one row with a count.
CREATE TABLE note (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publisher_id integer REFERENCES publisher (id),
    crawl_id bigint REFERENCES crawl (id) ON DELETE CASCADE,
    crawl_file_id bigint REFERENCES crawl_file (id) ON DELETE CASCADE,
    ocid text,
    stage text NOT NULL CHECK (stage IN ('crawl', 'load', 'compile', 'normalize', 'export')),
    level note_level NOT NULL,
    code text NOT NULL,
    message text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    count integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX note_crawl_id_idx ON note (crawl_id);
CREATE INDEX note_publisher_ocid_idx ON note (publisher_id, ocid);

-- JSON bodies, deduplicated by the SHA-256 of their canonical form (sorted keys, no whitespace).
CREATE TABLE data (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash bytea NOT NULL UNIQUE,
    body jsonb NOT NULL
);

-- Package metadata (the envelope without its releases or records), kept apart and deduplicated the same way.
CREATE TABLE package_data (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash bytea NOT NULL UNIQUE,
    body jsonb NOT NULL
);

CREATE TABLE record (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publisher_id integer NOT NULL REFERENCES publisher (id),
    crawl_id bigint NOT NULL REFERENCES crawl (id) ON DELETE CASCADE,
    crawl_file_id bigint NOT NULL REFERENCES crawl_file (id) ON DELETE CASCADE,
    member text,                    -- the archive member, or NULL for a plain file
    ordinal integer NOT NULL,       -- position in the file: load order
    ocid text NOT NULL,
    ocds_version text NOT NULL,
    data_id bigint NOT NULL REFERENCES data (id),
    package_data_id bigint REFERENCES package_data (id)
);

CREATE INDEX record_publisher_ocid_idx ON record (publisher_id, ocid);
CREATE INDEX record_crawl_id_idx ON record (crawl_id);

CREATE TABLE release (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publisher_id integer NOT NULL REFERENCES publisher (id),
    crawl_id bigint NOT NULL REFERENCES crawl (id) ON DELETE CASCADE,
    crawl_file_id bigint NOT NULL REFERENCES crawl_file (id) ON DELETE CASCADE,
    member text,
    ordinal integer NOT NULL,
    ocid text NOT NULL,
    release_id text,                -- the release's own `id`, as text whatever its JSON type
    date timestamptz,               -- NULL when absent or unparseable (see date_text and the notes)
    date_text text,
    ocds_version text NOT NULL,
    record_id bigint REFERENCES record (id) ON DELETE CASCADE,  -- set for releases embedded in a record
    data_id bigint NOT NULL REFERENCES data (id),
    package_data_id bigint REFERENCES package_data (id)
);

CREATE INDEX release_publisher_ocid_idx ON release (publisher_id, ocid);
CREATE INDEX release_crawl_id_idx ON release (crawl_id);

-- OCIDs whose releases or records changed since they were last compiled.
CREATE TABLE compile_queue (
    publisher_id integer NOT NULL REFERENCES publisher (id),
    ocid text NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publisher_id, ocid)
);

CREATE TABLE compiled_release (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    publisher_id integer NOT NULL REFERENCES publisher (id),
    ocid text NOT NULL,
    data_id bigint NOT NULL REFERENCES data (id),
    method text NOT NULL CHECK (method IN ('merged', 'single_release', 'publisher_compiled')),
    release_count integer NOT NULL,
    first_date timestamptz,
    last_date timestamptz,
    ocds_version text NOT NULL,
    rules text NOT NULL,            -- which schema gave the merge rules, e.g. "1__1__5"
    warnings jsonb NOT NULL DEFAULT '{}',
    input_hash bytea NOT NULL,      -- of the inputs in merge order: an unchanged input is not recompiled
    compiled_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (publisher_id, ocid)
);
