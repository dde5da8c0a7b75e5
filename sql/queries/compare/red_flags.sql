-- Red flags per process (aggregator/indicators/red_flags.py), after Cardinal's. Bids come from the compiled
-- release's bids.details (the bids extension): the normalized layer does not keep them. A bid counts when its
-- status is not disqualified or withdrawn (valid, pending, invited, or none), and its amount is a JSON number.

-- name: delete_red_flags
-- Of the processes in the refresh's temporary table changed (aggregator/compare/refresh.py).
DELETE FROM red_flag WHERE %(full)s OR process_id IN (SELECT process_id FROM changed)

-- name: insert_red_flags
WITH target AS (
    SELECT p.id, p.procedure_type, p.number_of_tenderers, p.award_count, d.body,
           extract(epoch FROM p.tender_end - p.tender_start) / 86400 AS tender_days
    FROM process p
    JOIN compiled_release c ON c.id = p.compiled_release_id
    JOIN data d ON d.id = c.data_id
    WHERE p.is_primary AND p.id IN (SELECT process_id FROM changed)
),
bid AS (
    SELECT t.id AS process_id, b.value ->> 'id' AS bid_id, b.value ->> 'status' AS status,
           CASE WHEN jsonb_typeof(b.value -> 'value' -> 'amount') = 'number'
                THEN (b.value -> 'value' ->> 'amount')::numeric END AS amount,
           b.value -> 'value' ->> 'currency' AS currency,
           ARRAY(SELECT x ->> 'id' FROM jsonb_array_elements(
               CASE WHEN jsonb_typeof(b.value -> 'tenderers') = 'array' THEN b.value -> 'tenderers' ELSE '[]' END
           ) x) AS tenderers,
           coalesce(b.value ->> 'status', '') NOT IN ('disqualified', 'withdrawn') AS counted,
           ARRAY(SELECT jsonb_path_query(t.body, '$.awards[*].suppliers[*].id') #>> '{}') && ARRAY(
               SELECT x ->> 'id' FROM jsonb_array_elements(
                   CASE WHEN jsonb_typeof(b.value -> 'tenderers') = 'array' THEN b.value -> 'tenderers' ELSE '[]' END
               ) x) AS won
    FROM target t
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(t.body -> 'bids' -> 'details') = 'array' THEN t.body -> 'bids' -> 'details'
             ELSE '[]' END
    ) AS b (value)
),
-- R003: an open procedure's tender period under 15 days, a selective one's under 10.
r003 AS (
    SELECT id, 'R003', jsonb_build_object('tender_days', round(tender_days::numeric, 2), 'procedure_type',
                                          procedure_type)
    FROM target
    WHERE tender_days >= 0 AND ((procedure_type = 'open' AND tender_days < 15)
                                OR (procedure_type = 'selective' AND tender_days < 10))
),
-- Joins, not lateral subqueries or nested loops, on the CTEs: a CTE has no index, so each of those scanned a whole
-- CTE for each process (40,000 processes with bids: three minutes, where joins take seconds).
bid_count AS (
    SELECT process_id, count(*) FILTER (WHERE counted) AS bids, count(*) AS all_bids FROM bid GROUP BY process_id
),
-- R018: a competitive procedure with one tenderer (numberOfTenderers, else the bids that count).
r018 AS (
    SELECT t.id, 'R018', jsonb_build_object('number_of_tenderers', t.number_of_tenderers, 'bids', coalesce(n.bids, 0))
    FROM target t
    LEFT JOIN bid_count n ON n.process_id = t.id
    WHERE t.procedure_type IN ('open', 'selective')
      AND coalesce(t.number_of_tenderers, CASE WHEN n.all_bids > 0 THEN n.bids END) = 1
),
ranked AS (
    SELECT b.*, row_number() OVER (PARTITION BY process_id, currency ORDER BY amount, bid_id) AS rank
    FROM bid b WHERE b.counted AND b.amount IS NOT NULL
),
-- R024: the second-lowest counted bid is within 1 percent of the winning bid (a counted bid of an award's supplier).
r024 AS (
    SELECT process_id, 'R024', jsonb_build_object('winning_bid', winning_bid, 'winning_amount', winning_amount,
                                                  'second_bid', second_bid, 'second_amount', second_amount)
    FROM (
        -- Each process's winning bid, and the other bid in its currency closest to it.
        SELECT DISTINCT ON (w.process_id) w.process_id, w.bid_id AS winning_bid, w.amount AS winning_amount,
               s.bid_id AS second_bid, s.amount AS second_amount
        FROM (SELECT DISTINCT ON (process_id) * FROM ranked WHERE won ORDER BY process_id, amount) w
        JOIN ranked s
          ON s.process_id = w.process_id AND s.currency IS NOT DISTINCT FROM w.currency AND s.bid_id <> w.bid_id
        ORDER BY w.process_id, abs(s.amount - w.amount), s.bid_id
    ) closest
    WHERE winning_amount > 0 AND abs(second_amount - winning_amount) / winning_amount <= 0.01
),
-- R028: bids of different tenderers with identical prices (same amount and currency).
r028 AS (
    SELECT process_id, 'R028', jsonb_build_object('prices', jsonb_agg(jsonb_build_object(
        'amount', amount, 'currency', currency, 'bids', bids)))
    FROM (
        SELECT process_id, amount, currency, array_agg(bid_id ORDER BY bid_id) AS bids
        FROM bid
        WHERE amount IS NOT NULL AND coalesce(status, '') <> 'withdrawn'
        GROUP BY process_id, amount, currency
        HAVING count(DISTINCT tenderers) > 1
    ) same
    GROUP BY process_id
),
-- R036: the lowest bid (not withdrawn) was disqualified, and the process has awards.
r036 AS (
    SELECT l.process_id, 'R036', jsonb_build_object('lowest_bid', l.bid_id, 'amount', l.amount)
    FROM (
        SELECT DISTINCT ON (process_id) *
        FROM bid WHERE amount IS NOT NULL AND coalesce(status, '') <> 'withdrawn'
        ORDER BY process_id, amount, status = 'disqualified' DESC
    ) l
    JOIN process p ON p.id = l.process_id  -- every bid is of a target process; the table has an index, target not
    WHERE l.status = 'disqualified' AND p.award_count > 0
)
INSERT INTO red_flag (process_id, flag, details)
SELECT * FROM r003 UNION ALL SELECT * FROM r018 UNION ALL SELECT * FROM r024
UNION ALL SELECT * FROM r028 UNION ALL SELECT * FROM r036

-- name: select_flag_counts
-- Flags per country and year (the year of the process, as for indicators), beside the processes of the group.
WITH grouped AS (
    SELECT p.id, p.country::text AS country,
           extract(year FROM coalesce(p.tender_start, p.release_date) AT TIME ZONE 'UTC')::int AS year
    FROM process p
    WHERE p.is_primary AND coalesce(p.tender_start, p.release_date) IS NOT NULL
),
totals AS (SELECT country, year, count(*) AS of_processes FROM grouped GROUP BY country, year)
SELECT g.country, g.year, f.flag, count(*) AS processes, t.of_processes
FROM red_flag f
JOIN grouped g ON g.id = f.process_id
JOIN totals t ON (t.country, t.year) = (g.country, g.year)
WHERE (%(country)s::text IS NULL OR g.country = %(country)s::text) AND (%(year)s::int IS NULL OR g.year = %(year)s::int)
GROUP BY g.country, g.year, f.flag, t.of_processes
ORDER BY g.country, g.year, f.flag
