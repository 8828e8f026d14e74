-- Keyset pagination over images: one query per sort order, each with and without a state
-- filter, so that every one is served by the index of the same columns (see the migration).
-- The first page passes a cursor before every row (the store's sentinels).

-- name: ListImagesByLastSeen :many
SELECT * FROM images
WHERE (last_seen, id) < (sqlc.arg(after_time)::timestamptz, sqlc.arg(after_id)::bigint)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY last_seen DESC, id DESC
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListImagesByFirstSeen :many
SELECT * FROM images
WHERE (first_seen, id) < (sqlc.arg(after_time)::timestamptz, sqlc.arg(after_id)::bigint)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY first_seen DESC, id DESC
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListImagesByImage :many
SELECT * FROM images
WHERE (image, hostname) > (sqlc.arg(after_image)::text, sqlc.arg(after_hostname)::text)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY image, hostname
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListImagesByHost :many
SELECT * FROM images
WHERE (hostname, image) > (sqlc.arg(after_hostname)::text, sqlc.arg(after_image)::text)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY hostname, image
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListImagesInStateByLastSeen :many
SELECT * FROM images
WHERE state = sqlc.arg(state)::text
  AND (last_seen, id) < (sqlc.arg(after_time)::timestamptz, sqlc.arg(after_id)::bigint)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY last_seen DESC, id DESC
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListImagesInStateByFirstSeen :many
SELECT * FROM images
WHERE state = sqlc.arg(state)::text
  AND (first_seen, id) < (sqlc.arg(after_time)::timestamptz, sqlc.arg(after_id)::bigint)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY first_seen DESC, id DESC
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListImagesInStateByImage :many
SELECT * FROM images
WHERE state = sqlc.arg(state)::text
  AND (image, hostname) > (sqlc.arg(after_image)::text, sqlc.arg(after_hostname)::text)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY image, hostname
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListImagesInStateByHost :many
SELECT * FROM images
WHERE state = sqlc.arg(state)::text
  AND (hostname, image) > (sqlc.arg(after_hostname)::text, sqlc.arg(after_image)::text)
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY hostname, image
LIMIT sqlc.arg(page_size)::bigint;

