-- The compiled releases that normalize has not seen as they now are, marked by triggers on compiled_release (a
-- compiled release inserted, or compiled again: a new compiled_at) and taken off the list by the normalize batch
-- that writes their process, in its transaction (sql/queries/normalize/normalize.sql: take_normalized). A normalize
-- after a small change then reads the marked compiled releases only. Before, it joined every compiled release with
-- its process to find the few compiled again since (select_pending: 0.4 to 0.9 s of a 1 % run at 1M releases).
--
-- A mark carries the compiled_at it was made for. A batch takes off only the marks of the compiled_at it read, and
-- a compile that marks a compiled release again while a batch normalizes it updates the mark's row: the batch's
-- delete waits for that compile and then finds another compiled_at, so the mark stays for the next run.
-- Marks of compiled releases deleted since (no compiled release has their id again) are dropped by the next run.
CREATE TABLE normalize_dirty (
    compiled_release_id bigint PRIMARY KEY,
    publisher_id integer NOT NULL,
    compiled_at timestamptz NOT NULL
);
-- No index by publisher: each compiled release written would pay for one more index entry, and the marks are read
-- whole (a run reads what it marked) or with a publisher's few.

CREATE FUNCTION mark_normalize_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO normalize_dirty (compiled_release_id, publisher_id, compiled_at)
        SELECT id, publisher_id, compiled_at FROM new_rows
        ON CONFLICT (compiled_release_id) DO UPDATE SET compiled_at = excluded.compiled_at;
    ELSE
        INSERT INTO normalize_dirty (compiled_release_id, publisher_id, compiled_at)
        SELECT n.id, n.publisher_id, n.compiled_at FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.compiled_at IS DISTINCT FROM o.compiled_at
        ON CONFLICT (compiled_release_id) DO UPDATE SET compiled_at = excluded.compiled_at;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER compiled_release_inserted_normalize_dirty AFTER INSERT ON compiled_release
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_normalize_dirty();
CREATE TRIGGER compiled_release_updated_normalize_dirty AFTER UPDATE ON compiled_release
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_normalize_dirty();

-- What is pending now, found the old way once.
INSERT INTO normalize_dirty (compiled_release_id, publisher_id, compiled_at)
SELECT c.id, c.publisher_id, c.compiled_at
FROM compiled_release c
LEFT JOIN process p ON p.compiled_release_id = c.id
WHERE p.id IS NULL OR p.source_compiled_at IS DISTINCT FROM c.compiled_at;
