-- migrate:up
-- A swarm service's stack, derived: Diun sends no key naming it (its metadata keys must match
-- ^[a-zA-Z0-9_]+$, so no com.docker.* label passes through), but `docker stack deploy` names
-- each service "<stack>_<service>", which Diun's swarm provider sends as ctn_name. It comes
-- after the labels a person sets and before the namespaces, as store.StackOf has it. The view
-- is the one of 20261130000301_image_search with that step added; its triggers read it by
-- name.
DROP VIEW image_search_source;
CREATE VIEW image_search_source AS
SELECT id AS image_id,
       CASE WHEN json_valid(metadata) THEN coalesce(
           nullif(json_extract(metadata, '$.stack'), ''),
           nullif(json_extract(metadata, '$."com.docker.compose.project"'), ''),
           nullif(json_extract(metadata, '$."com.docker.stack.namespace"'), ''),
           CASE WHEN provider = 'swarm' AND instr(json_extract(metadata, '$.ctn_name'), '_') > 1
                THEN substr(json_extract(metadata, '$.ctn_name'), 1, instr(json_extract(metadata, '$.ctn_name'), '_') - 1) END,
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

UPDATE image_search SET stack = (SELECT s.stack FROM image_search_source s WHERE s.image_id = image_search.image_id)
WHERE image_id IN (SELECT id FROM images WHERE provider = 'swarm');

-- migrate:down
DROP VIEW image_search_source;
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
UPDATE image_search SET stack = (SELECT s.stack FROM image_search_source s WHERE s.image_id = image_search.image_id)
WHERE image_id IN (SELECT id FROM images WHERE provider = 'swarm');
