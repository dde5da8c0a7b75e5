-- name: set_via
-- The route a publisher's data take when it is not the publisher itself (see 0006_publisher_health.sql).
UPDATE publisher SET via = %(via)s, via_url = %(via_url)s WHERE id = %(id)s

-- name: learn_publisher
-- What a crawl learnt about its publisher (a registry's title, source, licence, refresh frequency, country).
UPDATE publisher
SET title = coalesce(%(title)s, title),
    country = coalesce(%(country)s, country),
    url = coalesce(%(url)s, url),
    licence = coalesce(%(licence)s, licence),
    update_frequency = coalesce(%(update_frequency)s, update_frequency),
    updated_at = now()
WHERE id = %(id)s
