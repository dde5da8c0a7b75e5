-- name: insert_note
INSERT INTO note (publisher_id, crawl_id, crawl_file_id, ocid, stage, level, code, message, data, count)
VALUES (%(publisher_id)s, %(crawl_id)s, %(crawl_file_id)s, %(ocid)s, %(stage)s, %(level)s, %(code)s, %(message)s,
        %(data)s::jsonb, %(count)s)

-- name: delete_parts
-- The waiting shares of these (publisher, OCID) pairs, replaced by the batch that counts them again.
DELETE FROM note_part
WHERE stage = %(stage)s
  AND (publisher_id, ocid) IN (SELECT * FROM unnest(%(publisher_ids)s::int[], %(ocids)s::text[]))

-- name: copy_parts
-- aggregator/notes.py replace_parts gives the rows in this column order.
COPY note_part (stage, publisher_id, ocid, code, level, message, value, data, count, full_run) FROM STDIN

-- name: take_parts
-- The waiting shares of the stage's notes, taken off the table for the run's fold (in the same transaction): those
-- of runs over what changed; and, for a full run, those of full runs over its publishers.
CREATE TEMP TABLE taken_part ON COMMIT DROP AS
WITH taken AS (
    DELETE FROM note_part
    WHERE stage = %(stage)s
      AND (NOT full_run
           OR %(full)s AND (%(publisher_ids)s::int[] IS NULL OR publisher_id = ANY(%(publisher_ids)s::int[])))
    RETURNING *
)
SELECT * FROM taken

-- name: delete_summaries
-- A stage's notes that sum it up per publisher and code (those without an OCID, of a publisher): what the fold of a
-- run over every OCID of the publishers writes again.
DELETE FROM note
WHERE stage = %(stage)s AND ocid IS NULL AND crawl_id IS NULL AND publisher_id IS NOT NULL
  AND (%(publisher_ids)s::int[] IS NULL OR publisher_id = ANY(%(publisher_ids)s::int[]))
