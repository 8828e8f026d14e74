-- name: CountImagesMatching :many
-- One row per host and state of the images a filtered view matches, for the overview's tabs,
-- host headings and pager in a view filtered on more than host and state (an unfiltered view
-- reads image_counts instead). The filters are ListImages' (list_images.sql), without the
-- state: the tabs count every state of the view. Across hosts it reads every image once, as
-- the filtered list's pages do together; the text, stack and tag filters read image_search
-- and image_tags once per query.
SELECT state, hostname, count(*) AS images
FROM images
WHERE (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
GROUP BY state, hostname
ORDER BY state, hostname;

-- name: CountImagesMatchingOnHost :one
-- CountImagesMatching within one host (hostname matched even when empty, the "(no hostname)"
-- group): that host's rows, by the (hostname, image) index. One row with a count per state,
-- not a GROUP BY state: grouping makes PostgreSQL's generic plan walk an index that starts
-- with state, over every host.
SELECT count(*) FILTER (WHERE state = 'open') AS open,
       count(*) FILTER (WHERE state = 'acknowledged') AS acknowledged,
       count(*) FILTER (WHERE state = 'snoozed') AS snoozed,
       count(*) FILTER (WHERE state = 'ignored') AS ignored
FROM images
WHERE hostname = sqlc.arg(hostname)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (strpos(lower(image), lower(sqlc.narg(q)::text COLLATE "C")) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE strpos(image_search.names, lower(sqlc.narg(q)::text COLLATE "C")) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)::text) OR sqlc.narg(stack)::text IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL);
