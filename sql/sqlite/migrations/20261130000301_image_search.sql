-- migrate:up
-- What the overview's search and its stack filter read besides the image reference: the names
-- Diun's metadata gives a running image (container, pod, task, job), its stack or compose
-- project and its namespace, per image, kept in step with images.metadata by the triggers
-- below (Record, import and this backfill all pass through them), so that no write path has
-- to remember it. A side table rather than a column of images: every query that reads
-- images.* keeps its shape.
--
-- stack is what the overview filters and groups on: the first of the keys `stack`,
-- `com.docker.compose.project`, `com.docker.stack.namespace` (labels a person sets with
-- diun.metadata.*), then Kubernetes' `pod_namespace` and Nomad's `job_namespace`; '' when
-- none. server/web/rowcontext.go derives the same from the metadata, in the same order.
-- names is those values and the names, lower-cased (ASCII, as lower() does on both
-- dialects), one per line, for a substring search.
CREATE TABLE image_search (
    image_id INTEGER PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
    stack    TEXT NOT NULL,
    names    TEXT NOT NULL
);
CREATE INDEX image_search_stack ON image_search (stack);

-- One definition of both values, read by the triggers. Metadata that is not valid JSON (never
-- written by the store, but an import could carry it) gives empty values, not a failed write.
CREATE VIEW image_search_source AS
SELECT id AS image_id,
       CASE WHEN json_valid(metadata) THEN coalesce(
           nullif(json_extract(metadata, '$.stack'), ''),
           nullif(json_extract(metadata, '$."com.docker.compose.project"'), ''),
           nullif(json_extract(metadata, '$."com.docker.stack.namespace"'), ''),
           nullif(json_extract(metadata, '$.pod_namespace'), ''),
           nullif(json_extract(metadata, '$.job_namespace'), ''),
           '') ELSE '' END AS stack,
       CASE WHEN json_valid(metadata) THEN lower(
           ifnull(json_extract(metadata, '$.ctn_names'), '') || char(10) ||
           ifnull(json_extract(metadata, '$.ctn_name'), '') || char(10) ||
           ifnull(json_extract(metadata, '$.pod_name'), '') || char(10) ||
           ifnull(json_extract(metadata, '$.task_name'), '') || char(10) ||
           ifnull(json_extract(metadata, '$.job_name'), '') || char(10) ||
           ifnull(json_extract(metadata, '$.stack'), '') || char(10) ||
           ifnull(json_extract(metadata, '$."com.docker.compose.project"'), '') || char(10) ||
           ifnull(json_extract(metadata, '$."com.docker.stack.namespace"'), '') || char(10) ||
           ifnull(json_extract(metadata, '$.pod_namespace'), '') || char(10) ||
           ifnull(json_extract(metadata, '$.job_namespace'), '')) ELSE '' END AS names
FROM images;

-- The update trigger deletes and inserts rather than INSERT OR REPLACE: inside a trigger the
-- outer statement's conflict policy wins, and Record's upsert would turn REPLACE into ABORT.
CREATE TRIGGER images_search_insert AFTER INSERT ON images BEGIN
    INSERT INTO image_search (image_id, stack, names)
    SELECT image_id, stack, names FROM image_search_source WHERE image_id = NEW.id;
END;

CREATE TRIGGER images_search_update AFTER UPDATE OF metadata ON images BEGIN
    DELETE FROM image_search WHERE image_id = NEW.id;
    INSERT INTO image_search (image_id, stack, names)
    SELECT image_id, stack, names FROM image_search_source WHERE image_id = NEW.id;
END;

INSERT INTO image_search (image_id, stack, names)
SELECT image_id, stack, names FROM image_search_source;

-- migrate:down
DROP TRIGGER images_search_update;
DROP TRIGGER images_search_insert;
DROP VIEW image_search_source;
DROP TABLE image_search;
