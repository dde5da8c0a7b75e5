-- One index on indicator_value, led by country and year: the refresh finds each changed group by all of its key
-- (country, year, indicator, level, publisher, buyer), and readers by country and year. With two indexes, the
-- planner took the smaller (country, year) one for a group's lookup and filtered a whole country-year's groups for
-- each changed group (a 1 % change cost 12 % of a full indicators refresh at 13,618 processes). The unique index
-- is the same set of columns in another order: ON CONFLICT finds it as before.
DROP INDEX indicator_value_group_idx;
DROP INDEX indicator_value_country_year_idx;
CREATE UNIQUE INDEX indicator_value_group_idx
    ON indicator_value (country, year, indicator, level, coalesce(publisher, ''), coalesce(buyer_org_key, ''));
