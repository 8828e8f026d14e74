-- name: CreateTag :one
INSERT INTO tags (name, created_at) VALUES (sqlc.arg(name), sqlc.arg(created_at)) RETURNING *;

-- name: RenameTag :one
UPDATE tags SET name = sqlc.arg(name) WHERE id = sqlc.arg(id) RETURNING *;

-- name: DeleteTag :execrows
DELETE FROM tags WHERE id = sqlc.arg(id);

-- name: ListTags :many
-- Every tag with how many images carry it, from tag_counts, which triggers keep as tags are
-- put on and taken off (migration 20261130000103): one row per tag, however many images.
SELECT t.id, t.name, t.created_at, CAST(coalesce(c.images, 0) AS BIGINT) AS images
FROM tags t
LEFT JOIN tag_counts c ON c.tag_id = t.id
ORDER BY t.name;

-- name: GetTag :one
SELECT * FROM tags WHERE id = sqlc.arg(id);

-- name: ListImageTags :many
-- Tags of a page of images, in one query (ids is a JSON array of the page's image ids).
-- "= ANY (ARRAY(…))" rather than "IN (SELECT …)": the planner then probes image_tags_pkey for
-- each id instead of hashing the ids and scanning all of image_tags.
SELECT it.image_id, t.id, t.name
FROM image_tags it JOIN tags t ON t.id = it.tag_id
WHERE it.image_id = ANY (ARRAY(SELECT jsonb_array_elements_text(sqlc.arg(ids)::text::jsonb)::bigint))
ORDER BY it.image_id, t.name;
