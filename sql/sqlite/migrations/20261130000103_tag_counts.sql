-- migrate:up
-- How many images carry each tag, kept by triggers as tags are put on and taken off (an
-- image's or a tag's deletion takes its links with it), in the same transaction: the
-- overview's tag list (ListTags) reads one row per tag instead of counting every link.
CREATE TABLE tag_counts (
    tag_id INTEGER NOT NULL PRIMARY KEY REFERENCES tags (id) ON DELETE CASCADE,
    images INTEGER NOT NULL
);

CREATE TRIGGER image_tags_count_insert AFTER INSERT ON image_tags
BEGIN
    INSERT INTO tag_counts (tag_id, images) VALUES (NEW.tag_id, 1)
    ON CONFLICT (tag_id) DO UPDATE SET images = images + 1;
END;

CREATE TRIGGER image_tags_count_delete AFTER DELETE ON image_tags
BEGIN
    UPDATE tag_counts SET images = images - 1 WHERE tag_id = OLD.tag_id;
END;

-- The links stored before this migration.
INSERT INTO tag_counts (tag_id, images) SELECT tag_id, count(*) FROM image_tags GROUP BY tag_id;

-- migrate:down
DROP TRIGGER image_tags_count_delete;
DROP TRIGGER image_tags_count_insert;
DROP TABLE tag_counts;
