-- The organization keys whose parties a normalize run changed, refreshed once at the end of the run (not by each
-- batch under a lock): batches in workers add their keys here side by side.
CREATE TABLE organization_dirty (
    org_key text PRIMARY KEY
);
