-- One index on indicator_value, led by country and year: the refresh finds each changed group by all of its key
-- (country, year, indicator, level, publisher, buyer), and readers by country and year. With two indexes, the
-- planner took the smaller (country, year) one for a group's lookup and filtered a whole country-year's groups for
-- each changed group (a 1 % change cost 12 % of a full indicators refresh at 13,618 processes). The unique index
-- is the same set of columns in another order: ON CONFLICT finds it as before.
DROP INDEX indicator_value_group_idx;
DROP INDEX indicator_value_country_year_idx;
CREATE UNIQUE INDEX indicator_value_group_idx
    ON indicator_value (country, year, indicator, level, coalesce(publisher, ''), coalesce(buyer_org_key, ''));

-- Red flags: each publisher's tallies (R025's and R038's fractions per tenderer, buyer and procuring entity),
-- summed over its releases and kept from the changed releases' old and new tallies, as red_flag_party is: they add
-- up whatever the order, so a refresh reads these sums rather than merging every release's again. A release's own
-- tallies move from red_flag_fact.shared to red_flag_fact.tallies, and its second-lowest bid ratio (R024's and
-- R058's, which every refresh reads for the fences) to columns of its own, read without JSON.
ALTER TABLE red_flag_fact
    ADD COLUMN tallies json,
    ADD COLUMN ratio double precision,      -- NaN and infinities as they are (Cardinal's divisions by zero)
    ADD COLUMN ratio_winner text,
    ADD COLUMN ratio_second text;

CREATE TABLE red_flag_tally (
    publisher text NOT NULL,
    tally text NOT NULL,                    -- r025_tenderer, r038_buyer, r038_procuring_entity, r038_tenderer
    key text NOT NULL,                      -- the party's id
    numerator bigint NOT NULL,
    denominator bigint NOT NULL,            -- the row goes at 0
    PRIMARY KEY (publisher, tally, key)
);

CREATE INDEX red_flag_tally_gone_idx ON red_flag_tally (publisher) WHERE denominator = 0;

-- Every publisher's red flags are folded again, the new way, by the next refresh.
DELETE FROM red_flag_run;
DELETE FROM red_flag_fact;
DELETE FROM red_flag_party;
