-- The one write path of triage (server/store/triage.go): every change of state goes through
-- RecordStateChanges, then SetImagesState, in one transaction. ids is a JSON array of image ids.

-- name: RecordStateChanges :many
-- The audit rows of moving the images in ids to to_state/to_until, for those not there
-- already. What it returns is what the change moves: each image with its prior state. With
-- if_state (and if_until), only the images still in that state move: an undo changes back
-- only what is still as its action left it (compare and set).
INSERT INTO state_changes (image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until, cause)
SELECT id, sqlc.arg(changed_at), sqlc.arg(actor), digest, state, snoozed_until, sqlc.arg(to_state), sqlc.narg(to_until), sqlc.arg(cause)
FROM images
WHERE id IN (SELECT value FROM json_each(CAST(sqlc.arg(ids) AS TEXT)))
  AND (state <> sqlc.arg(to_state) OR snoozed_until IS NOT sqlc.narg(to_until))
  AND (CAST(sqlc.narg(if_state) AS TEXT) IS NULL OR (state = CAST(sqlc.narg(if_state) AS TEXT) AND snoozed_until IS sqlc.narg(if_until)))
ORDER BY id
RETURNING *;

-- name: SetImagesState :execrows
-- opened_by is why a move to open happens ('snooze', 'person'); other moves keep it.
UPDATE images
SET state = sqlc.arg(state), snoozed_until = sqlc.narg(snoozed_until), state_changed_at = sqlc.arg(changed_at),
    opened_by = CASE WHEN sqlc.arg(state) = 'open' THEN CAST(sqlc.arg(opened_by) AS TEXT) ELSE opened_by END
WHERE id IN (SELECT value FROM json_each(CAST(sqlc.arg(ids) AS TEXT)));

-- name: ImageIDsOfHost :many
-- Every image of one host that a filter of the overview matches, across all its pages: what
-- the host's "Acknowledge all" acts on. hostname is matched even when empty (the
-- "(no hostname)" group). Served by the (hostname, image) index.
SELECT id FROM images
WHERE hostname = sqlc.arg(hostname)
  AND (state = sqlc.narg(state) OR sqlc.narg(state) IS NULL)
  AND (provider = sqlc.narg(provider) OR sqlc.narg(provider) IS NULL)
  AND (instr(lower(image), lower(CAST(sqlc.narg(q) AS TEXT))) > 0
       OR images.id IN (SELECT image_search.image_id FROM image_search WHERE instr(image_search.names, lower(CAST(sqlc.narg(q) AS TEXT))) > 0)
       OR sqlc.narg(q) IS NULL)
  AND (images.id IN (SELECT image_search.image_id FROM image_search WHERE image_search.stack = sqlc.narg(stack)) OR sqlc.narg(stack) IS NULL)
  AND (EXISTS (SELECT 1 FROM image_tags it JOIN tags t ON t.id = it.tag_id
               WHERE it.image_id = images.id AND t.name = sqlc.narg(tag)) OR sqlc.narg(tag) IS NULL)
ORDER BY image;

-- name: SnoozedDue :many
-- Snoozed images whose time has come. Served by images_snoozed_until.
SELECT id FROM images WHERE state = 'snoozed' AND snoozed_until <= sqlc.arg(now) ORDER BY snoozed_until;

-- name: DeleteImages :execrows
DELETE FROM images WHERE id IN (SELECT value FROM json_each(CAST(sqlc.arg(ids) AS TEXT)));

-- name: TagImages :many
-- Returns the images it tagged: those that did not have the tag yet.
INSERT INTO image_tags (image_id, tag_id)
SELECT id, sqlc.arg(tag_id) FROM images
WHERE id IN (SELECT value FROM json_each(CAST(sqlc.arg(ids) AS TEXT)))
ON CONFLICT DO NOTHING
RETURNING image_id;

-- name: UntagImages :many
-- Returns the images it untagged: those that had the tag.
DELETE FROM image_tags
WHERE tag_id = sqlc.arg(tag_id) AND image_id IN (SELECT value FROM json_each(CAST(sqlc.arg(ids) AS TEXT)))
RETURNING image_id;

-- name: ListStateChanges :many
-- The newest triage changes of one image, for its timeline. Served by state_changes_image.
SELECT * FROM state_changes WHERE image_id = sqlc.arg(image_id) ORDER BY id DESC LIMIT sqlc.arg(page_size);

-- name: PruneStateChanges :execrows
-- The audit trail ages with the events (EVENT_RETENTION): at most page_size changes made
-- before the cutoff, oldest first. Served by state_changes_changed_at.
DELETE FROM state_changes
WHERE id IN (SELECT c.id FROM state_changes c WHERE c.changed_at < sqlc.arg(before) ORDER BY c.changed_at LIMIT sqlc.arg(page_size));
