-- The normalized layer: one process per compiled release, with its awards, contracts and parties, and the
-- organizations that parties resolve to. Every row names the compiled release it comes from (and so its crawl and
-- files); published values stay beside their normalized forms (columns *_raw).
--
-- Money columns (on process for the tender's value, on award and contract for theirs): the published amount and
-- currency (amount_raw, currency_raw, as JSON text), the amount read as a number and the ISO 4217 currency, the
-- reference date and what it is (award_date, contract_date_signed, contract_period_start, tender_period_start,
-- release_date), the amount in USD and EUR with the rate used (currency units per USD, per EUR), the rate's date
-- and its source (ecb_daily, hmrc_monthly, imf_monthly, wdi_annual, imf_annual, hmrc_annual), and the amount in
-- PPP international dollars with the factor and its year. A conversion that could not be made is NULL, never 0.

CREATE TABLE process (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    compiled_release_id bigint NOT NULL UNIQUE REFERENCES compiled_release (id) ON DELETE CASCADE,
    publisher_id integer NOT NULL REFERENCES publisher (id),
    ocid text NOT NULL,
    -- A registered OCID (ocds-xxxxxx-…) is its own key, shared by every route that publishes it; any other OCID
    -- is namespaced by its publisher ("<publisher>/<ocid>").
    process_key text NOT NULL,
    ocid_scope text NOT NULL CHECK (ocid_scope IN ('global', 'publisher')),
    -- One row per process key stands for the process (the latest dated); the others are other routes to it.
    is_primary boolean NOT NULL DEFAULT true,
    country char(2) NOT NULL,       -- the publisher's
    buyer_org_key text,
    buyer_country char(2),          -- implied by the buyer's identifier scheme, where known
    title text,
    tender_status text,
    procurement_method_raw text,
    procurement_method_details_raw text,
    procurement_method text CHECK (procurement_method IN ('open', 'selective', 'limited', 'direct')),
    procedure_type text CHECK (procedure_type IN ('open', 'selective', 'limited', 'direct')),
    procedure_type_source text CHECK (procedure_type_source IN ('procurementMethod', 'procurementMethodDetails')),
    main_procurement_category text,
    number_of_tenderers integer,
    release_date timestamptz,
    release_date_raw text,
    tender_start timestamptz,
    tender_start_raw text,
    tender_end timestamptz,
    tender_end_raw text,
    amount_raw text,
    currency_raw text,
    amount numeric,
    currency char(3),
    reference_date date,
    reference_date_source text,
    amount_usd numeric,
    amount_eur numeric,
    rate_usd numeric,
    rate_eur numeric,
    rate_date date,
    rate_source text,
    amount_ppp numeric,
    ppp_factor numeric,
    ppp_year integer,
    award_count integer NOT NULL DEFAULT 0,
    contract_count integer NOT NULL DEFAULT 0,
    -- What it was made from and what it made: a compiled release compiled again is normalized again, and rows
    -- whose output did not change are not rewritten.
    source_compiled_at timestamptz NOT NULL,
    output_hash bytea NOT NULL,
    normalized_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX process_process_key_idx ON process (process_key);
CREATE INDEX process_publisher_id_idx ON process (publisher_id);

CREATE TABLE award (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    process_id bigint NOT NULL REFERENCES process (id) ON DELETE CASCADE,
    compiled_release_id bigint NOT NULL REFERENCES compiled_release (id) ON DELETE CASCADE,
    position integer NOT NULL,      -- in the compiled release's awards array
    award_id text,
    title text,
    status text,
    date timestamptz,
    date_raw text,
    supplier_org_keys text[] NOT NULL DEFAULT '{}',
    amount_raw text,
    currency_raw text,
    amount numeric,
    currency char(3),
    reference_date date,
    reference_date_source text,
    amount_usd numeric,
    amount_eur numeric,
    rate_usd numeric,
    rate_eur numeric,
    rate_date date,
    rate_source text,
    amount_ppp numeric,
    ppp_factor numeric,
    ppp_year integer,
    UNIQUE (process_id, position)
);

CREATE TABLE contract (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    process_id bigint NOT NULL REFERENCES process (id) ON DELETE CASCADE,
    compiled_release_id bigint NOT NULL REFERENCES compiled_release (id) ON DELETE CASCADE,
    position integer NOT NULL,
    contract_id text,
    award_id text,
    title text,
    status text,
    date_signed timestamptz,
    date_signed_raw text,
    period_start timestamptz,
    period_start_raw text,
    period_end timestamptz,
    period_end_raw text,
    amount_raw text,
    currency_raw text,
    amount numeric,
    currency char(3),
    reference_date date,
    reference_date_source text,
    amount_usd numeric,
    amount_eur numeric,
    rate_usd numeric,
    rate_eur numeric,
    rate_date date,
    rate_source text,
    amount_ppp numeric,
    ppp_factor numeric,
    ppp_year integer,
    UNIQUE (process_id, position)
);

-- Organizations across processes and publishers. The key is SCHEME-ID (an org-id.guide code, or a code of the
-- repository's extra schemes) when a party has a usable identifier, else "name/<country>/<normalized name>".
-- Rows are kept in step with process_party: one per key that some party resolves to.
CREATE TABLE organization (
    org_key text PRIMARY KEY,
    method text NOT NULL CHECK (method IN ('identifier', 'name_exact', 'name_normalized')),
    score numeric(3, 2) NOT NULL,
    scheme text,
    identifier text,
    country char(2),                -- implied by the scheme; for a name key, the country it is taken within
    name text,                      -- the name its parties give most often
    compiled_release_id bigint REFERENCES compiled_release (id) ON DELETE SET NULL,  -- the first it was seen in
    processes integer NOT NULL
);

-- A party of a process (from parties, or an organization referenced without a parties entry), with every role it
-- has there (its own roles and those its references give: buyer, procuringEntity, tenderer, supplier).
CREATE TABLE process_party (
    process_id bigint NOT NULL REFERENCES process (id) ON DELETE CASCADE,
    position integer NOT NULL,
    compiled_release_id bigint NOT NULL REFERENCES compiled_release (id) ON DELETE CASCADE,
    party_id text,
    name text,
    roles text[] NOT NULL DEFAULT '{}',
    org_key text NOT NULL,
    method text NOT NULL CHECK (method IN ('identifier', 'name_exact', 'name_normalized')),
    score numeric(3, 2) NOT NULL,
    scheme text,
    identifier text,
    country char(2),
    PRIMARY KEY (process_id, position)
);

CREATE INDEX process_party_org_key_idx ON process_party (org_key);

-- Every identifier a party gives (identifier, additionalIdentifiers, or an identifier read from its id), as
-- published and as cleaned; key is set when it is usable.
CREATE TABLE organization_identifier (
    process_id bigint NOT NULL,
    party_position integer NOT NULL,
    position integer NOT NULL,
    compiled_release_id bigint NOT NULL REFERENCES compiled_release (id) ON DELETE CASCADE,
    source text NOT NULL CHECK (source IN ('identifier', 'additionalIdentifiers', 'party_id')),
    scheme_raw text,
    id_raw text,
    scheme text,
    identifier text,
    key text,
    score numeric(3, 2),
    PRIMARY KEY (process_id, party_position, position),
    FOREIGN KEY (process_id, party_position) REFERENCES process_party (process_id, position) ON DELETE CASCADE
);

CREATE INDEX organization_identifier_key_idx ON organization_identifier (key);
