-- When a publisher goes stale follows from its newest release and its update frequency, which a spider's
-- declaration can change between crawls: it is computed when read (aggregator/health.py), not stored.
ALTER TABLE publisher DROP COLUMN stale_since;
