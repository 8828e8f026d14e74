-- Keyset pagination over images: one query per sort order, each with and without a state
-- filter, so that every one is served by the index of the same columns (see the migration).
-- The first page passes a cursor before every row (the store's sentinels).

-- name: ListImagesByLastSeen :many
SELECT * FROM images
WHERE (last_seen, id) < (sqlc.arg(after_time), CAST(sqlc.arg(after_id) AS INTEGER))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY last_seen DESC, id DESC
LIMIT sqlc.arg(page_size);

-- name: ListImagesByFirstSeen :many
SELECT * FROM images
WHERE (first_seen, id) < (sqlc.arg(after_time), CAST(sqlc.arg(after_id) AS INTEGER))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY first_seen DESC, id DESC
LIMIT sqlc.arg(page_size);

-- name: ListImagesByImage :many
SELECT * FROM images
WHERE (image, hostname) > (sqlc.arg(after_image), sqlc.arg(after_hostname))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY image, hostname
LIMIT sqlc.arg(page_size);

-- name: ListImagesByHost :many
SELECT * FROM images
WHERE (hostname, image) > (sqlc.arg(after_hostname), sqlc.arg(after_image))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY hostname, image
LIMIT sqlc.arg(page_size);

-- name: ListImagesInStateByLastSeen :many
SELECT * FROM images
WHERE state = sqlc.arg(state)
  AND (last_seen, id) < (sqlc.arg(after_time), CAST(sqlc.arg(after_id) AS INTEGER))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY last_seen DESC, id DESC
LIMIT sqlc.arg(page_size);

-- name: ListImagesInStateByFirstSeen :many
SELECT * FROM images
WHERE state = sqlc.arg(state)
  AND (first_seen, id) < (sqlc.arg(after_time), CAST(sqlc.arg(after_id) AS INTEGER))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY first_seen DESC, id DESC
LIMIT sqlc.arg(page_size);

-- name: ListImagesInStateByImage :many
SELECT * FROM images
WHERE state = sqlc.arg(state)
  AND (image, hostname) > (sqlc.arg(after_image), sqlc.arg(after_hostname))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY image, hostname
LIMIT sqlc.arg(page_size);

-- name: ListImagesInStateByHost :many
SELECT * FROM images
WHERE state = sqlc.arg(state)
  AND (hostname, image) > (sqlc.arg(after_hostname), sqlc.arg(after_image))
  AND (hostname = sqlc.narg(hostname) OR sqlc.narg(hostname) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY hostname, image
LIMIT sqlc.arg(page_size);

