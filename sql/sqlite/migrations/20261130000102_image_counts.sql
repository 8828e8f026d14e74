-- migrate:up
-- How many images each host has in each state, kept by triggers as images are inserted,
-- change state or host, and are deleted, in the same transaction: the summary, the overview's
-- counts and /metrics read one row per host and state instead of every image (CountImages).
-- A (host, state) whose images are all gone keeps a row of 0, which CountImages leaves out.
CREATE TABLE image_counts (
    hostname TEXT    NOT NULL,
    state    TEXT    NOT NULL,
    images   INTEGER NOT NULL,
    PRIMARY KEY (state, hostname)
) WITHOUT ROWID;

CREATE TRIGGER images_count_insert AFTER INSERT ON images
BEGIN
    INSERT INTO image_counts (hostname, state, images) VALUES (NEW.hostname, NEW.state, 1)
    ON CONFLICT (state, hostname) DO UPDATE SET images = images + 1;
END;

CREATE TRIGGER images_count_delete AFTER DELETE ON images
BEGIN
    UPDATE image_counts SET images = images - 1 WHERE hostname = OLD.hostname AND state = OLD.state;
END;

CREATE TRIGGER images_count_update AFTER UPDATE OF hostname, state ON images
WHEN OLD.hostname IS NOT NEW.hostname OR OLD.state IS NOT NEW.state
BEGIN
    UPDATE image_counts SET images = images - 1 WHERE hostname = OLD.hostname AND state = OLD.state;
    INSERT INTO image_counts (hostname, state, images) VALUES (NEW.hostname, NEW.state, 1)
    ON CONFLICT (state, hostname) DO UPDATE SET images = images + 1;
END;

-- The images stored before this migration.
INSERT INTO image_counts (hostname, state, images)
SELECT hostname, state, count(*) FROM images GROUP BY hostname, state;

-- migrate:down
DROP TRIGGER images_count_update;
DROP TRIGGER images_count_delete;
DROP TRIGGER images_count_insert;
DROP TABLE image_counts;
