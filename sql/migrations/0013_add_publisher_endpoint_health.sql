-- Whether a publisher's endpoint answers as its spider expects, from the probes `ocds-atlas update` (and
-- `ocds-atlas probe --record`) make before crawling (aggregator/operate/probe.py).

-- When it was last probed.
ALTER TABLE publisher ADD COLUMN endpoint_checked_at timestamptz;
-- When the first probe of the current run of failed probes was made; NULL once a probe answers as expected.
ALTER TABLE publisher ADD COLUMN endpoint_failing_since timestamptz;
-- What the last failed probe found (HTTP status, seconds, what the body was); NULL once a probe answers.
ALTER TABLE publisher ADD COLUMN endpoint_problem text;
