-- A queued OCID and a compiled release no longer check their publisher row by row.
--
-- Each check locked the publisher's row (FOR KEY SHARE) once for every row written: 80,000 look-ups for a first
-- load of 204 MB (40,000 OCIDs queued, then compiled as they were loaded), through a trigger each. Measured on that
-- load, four runs each of the schema before and after, taken in turn: the server's CPU 11.3 to 12.7 s before, 10.2 to
-- 11.7 s after (0.4 to 1.1 s less in every pair; note_part's check, kept here, was dropped too in that measurement,
-- 3,144 of its 83,144 checks).
--
-- What the checks guarded is a publisher removed while rows of it were being written:
-- * A file's transaction (which queues OCIDs and compiles those whose bodies it holds) holds its file's row until
--   it commits: the removal deletes the crawls first, waiting for those rows, then the publisher's queued OCIDs and
--   compiled releases (sql/queries/operate/removal.sql), that file's included.
-- * The queueing of an interrupted crawl's OCIDs updates the crawl's row first (sql/queries/raw/liveness.sql), which
--   the removal's deletion of the crawls waits for, or which waits for it and then finds no row.
-- * A compile batch locks its publisher's row to share it (sql/queries/compile/compile.sql: lock_publisher), and
--   the removal locks it first, before it deletes anything (sql/queries/operate/removal.sql: lock_publisher): the
--   removal waits for the batches under way, and a batch that starts meanwhile waits for the removal, then finds no
--   publisher and writes nothing.
ALTER TABLE compile_queue DROP CONSTRAINT compile_queue_publisher_id_fkey;
ALTER TABLE compiled_release DROP CONSTRAINT compiled_release_publisher_id_fkey;
