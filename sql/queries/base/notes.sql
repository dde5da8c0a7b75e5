-- name: insert_note
INSERT INTO note (publisher_id, crawl_id, crawl_file_id, ocid, stage, level, code, message, data, count)
VALUES (%(publisher_id)s, %(crawl_id)s, %(crawl_file_id)s, %(ocid)s, %(stage)s, %(level)s, %(code)s, %(message)s,
        %(data)s::jsonb, %(count)s)
