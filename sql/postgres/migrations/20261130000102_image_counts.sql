-- migrate:up
-- How many images each host has in each state, kept by triggers as images are inserted,
-- change state or host, and are deleted, in the same transaction: the summary, the overview's
-- counts and /metrics read one row per host and state instead of every image (CountImages,
-- which PostgreSQL served with a sequential scan of images).
-- A (host, state) whose images are all gone keeps a row of 0, which CountImages leaves out.
--
-- The triggers run once per statement over its transition tables, and upsert in key order: a
-- bulk triage action over thousands of images costs one upsert per host and state, and two
-- statements never take the same rows in opposite orders (no deadlock). An UPDATE that leaves
-- host and state alone (every notification's upsert) nets to nothing and writes nothing.
CREATE TABLE image_counts (
    hostname TEXT COLLATE "C" NOT NULL,
    state    TEXT   NOT NULL,
    images   BIGINT NOT NULL,
    PRIMARY KEY (state, hostname)
);

CREATE FUNCTION image_counts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An import (server/store/copy.go) sets diundashboard.defer_counts for its transactions and
    -- recounts once at the end (AfterImport): row by row in one long transaction, the same
    -- count row would be rewritten once per row, each time past every version before it.
    IF current_setting('diundashboard.defer_counts', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO image_counts (hostname, state, images)
        SELECT hostname, state, count(*) FROM image_counts_new GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (state, hostname) DO UPDATE SET images = image_counts.images + excluded.images;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO image_counts (hostname, state, images)
        SELECT hostname, state, -count(*) FROM image_counts_old GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (state, hostname) DO UPDATE SET images = image_counts.images + excluded.images;
    ELSE
        INSERT INTO image_counts (hostname, state, images)
        SELECT hostname, state, sum(d) FROM (
            SELECT hostname, state, -1 AS d FROM image_counts_old
            UNION ALL
            SELECT hostname, state, 1 FROM image_counts_new) AS delta
        GROUP BY 1, 2 HAVING sum(d) <> 0 ORDER BY 1, 2
        ON CONFLICT (state, hostname) DO UPDATE SET images = image_counts.images + excluded.images;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER images_count_insert AFTER INSERT ON images
    REFERENCING NEW TABLE AS image_counts_new
    FOR EACH STATEMENT EXECUTE FUNCTION image_counts_count();

CREATE TRIGGER images_count_delete AFTER DELETE ON images
    REFERENCING OLD TABLE AS image_counts_old
    FOR EACH STATEMENT EXECUTE FUNCTION image_counts_count();

CREATE TRIGGER images_count_update AFTER UPDATE ON images
    REFERENCING OLD TABLE AS image_counts_old NEW TABLE AS image_counts_new
    FOR EACH STATEMENT EXECUTE FUNCTION image_counts_count();

-- The images stored before this migration (the triggers above already hold the table's lock).
INSERT INTO image_counts (hostname, state, images)
SELECT hostname, state, count(*) FROM images GROUP BY 1, 2;

-- migrate:down
DROP TRIGGER images_count_update ON images;
DROP TRIGGER images_count_delete ON images;
DROP TRIGGER images_count_insert ON images;
DROP FUNCTION image_counts_count();
DROP TABLE image_counts;
