-- The compiled releases whose red flag facts are out of date, marked by triggers on compiled_release (inserted,
-- updated or deleted) and taken off the list by the red flags' refresh, in its transaction
-- (sql/queries/compare/red_flags.sql: select_changed_releases). A refresh after a small change then reads the
-- changed compiled releases only. Before, it joined every compiled release of the publisher with every fact, to
-- find the few that differ: 0.27 to 0.33 s of a 1 % refresh's 1.2 s of server CPU at 1M releases.
CREATE TABLE red_flag_dirty (
    publisher_id integer NOT NULL,
    compiled_release_id bigint NOT NULL,
    PRIMARY KEY (publisher_id, compiled_release_id)
);

CREATE FUNCTION mark_red_flag_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO red_flag_dirty (publisher_id, compiled_release_id)
        SELECT publisher_id, id FROM old_rows
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO red_flag_dirty (publisher_id, compiled_release_id)
        SELECT publisher_id, id FROM new_rows
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER compiled_release_inserted_red_flag_dirty AFTER INSERT ON compiled_release
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_red_flag_dirty();
CREATE TRIGGER compiled_release_updated_red_flag_dirty AFTER UPDATE ON compiled_release
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_red_flag_dirty();
CREATE TRIGGER compiled_release_deleted_red_flag_dirty AFTER DELETE ON compiled_release
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_red_flag_dirty();

-- What changed since the last refresh, found the old way once: compiled releases without facts or with another
-- body than their facts read, and facts whose compiled release is gone (of a publisher that is still there; the
-- others' go with their runs: delete_orphans).
INSERT INTO red_flag_dirty (publisher_id, compiled_release_id)
SELECT coalesce(c.publisher_id, p.id), coalesce(c.id, f.compiled_release_id)
FROM red_flag_fact f
FULL JOIN compiled_release c ON c.id = f.compiled_release_id
LEFT JOIN publisher p ON p.name = f.publisher
WHERE (c.id IS NULL OR f.compiled_release_id IS NULL OR f.data_id <> c.data_id)
  AND coalesce(c.publisher_id, p.id) IS NOT NULL
ON CONFLICT DO NOTHING;

-- The red flags no longer take the processes changed (they follow compiled releases): the triggers on process and
-- publisher mark the indicators' and quality's only.
CREATE OR REPLACE FUNCTION mark_compare_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO compare_dirty (part, process_id)
        SELECT part, id FROM old_rows CROSS JOIN unnest(ARRAY['indicators', 'quality']) AS part
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO compare_dirty (part, process_id)
        SELECT part, id FROM new_rows CROSS JOIN unnest(ARRAY['indicators', 'quality']) AS part
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION mark_publisher_compare_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO compare_dirty (part, process_id)
    SELECT part, p.id FROM process p CROSS JOIN unnest(ARRAY['indicators', 'quality']) AS part
    WHERE p.publisher_id = NEW.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

DELETE FROM compare_dirty WHERE part = 'red_flags';
