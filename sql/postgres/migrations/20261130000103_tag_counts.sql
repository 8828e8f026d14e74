-- migrate:up
-- How many images carry each tag, kept by triggers as tags are put on and taken off (an
-- image's or a tag's deletion takes its links with it), in the same transaction: the
-- overview's tag list (ListTags) reads one row per tag instead of counting every link.
-- The triggers run once per statement over the transition table, in tag order. A delete only
-- updates: when a tag itself is deleted its count row is already going (ON DELETE CASCADE).
CREATE TABLE tag_counts (
    tag_id BIGINT NOT NULL PRIMARY KEY REFERENCES tags (id) ON DELETE CASCADE,
    images BIGINT NOT NULL
);

CREATE FUNCTION tag_counts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An import (server/store/copy.go) sets diundashboard.defer_counts for its transactions and
    -- recounts once at the end (AfterImport): row by row in one long transaction, the same
    -- count row would be rewritten once per row, each time past every version before it.
    IF current_setting('diundashboard.defer_counts', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tag_counts (tag_id, images)
        SELECT tag_id, count(*) FROM tag_counts_new GROUP BY 1 ORDER BY 1
        ON CONFLICT (tag_id) DO UPDATE SET images = tag_counts.images + excluded.images;
    ELSE
        UPDATE tag_counts c SET images = c.images - d.n
        FROM (SELECT tag_id, count(*) AS n FROM tag_counts_old GROUP BY 1) AS d
        WHERE c.tag_id = d.tag_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER image_tags_count_insert AFTER INSERT ON image_tags
    REFERENCING NEW TABLE AS tag_counts_new
    FOR EACH STATEMENT EXECUTE FUNCTION tag_counts_count();

CREATE TRIGGER image_tags_count_delete AFTER DELETE ON image_tags
    REFERENCING OLD TABLE AS tag_counts_old
    FOR EACH STATEMENT EXECUTE FUNCTION tag_counts_count();

-- The links stored before this migration (the triggers above already hold the table's lock).
INSERT INTO tag_counts (tag_id, images) SELECT tag_id, count(*) FROM image_tags GROUP BY 1;

-- migrate:down
DROP TRIGGER image_tags_count_delete ON image_tags;
DROP TRIGGER image_tags_count_insert ON image_tags;
DROP FUNCTION tag_counts_count();
DROP TABLE tag_counts;
