-- When `ocds-atlas prune` deleted a crawl's files from the files store (its rows stay; a note says what went).
ALTER TABLE crawl ADD COLUMN files_pruned_at timestamptz;
