-- Every row of every table, in primary key order and in pages, and inserts that keep the ids:
-- `diundashboard copy`, `export` and `import` (server/store/copy.go). Text keys are compared
-- byte by byte (SQLite's default BINARY collation) so that both databases list rows in the same order.

-- name: ExportImages :many
SELECT * FROM images WHERE id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(page_size);

-- name: ExportEvents :many
SELECT * FROM events WHERE id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(page_size);

-- name: ExportTags :many
SELECT * FROM tags WHERE id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(page_size);

-- name: ExportImageTags :many
SELECT * FROM image_tags
WHERE image_id > sqlc.arg(after_image_id) OR (image_id = sqlc.arg(after_image_id) AND tag_id > sqlc.arg(after_tag_id))
ORDER BY image_id, tag_id LIMIT sqlc.arg(page_size);

-- name: ExportSettings :many
SELECT * FROM settings WHERE key > sqlc.arg(after_key) ORDER BY key LIMIT sqlc.arg(page_size);

-- name: ExportSessions :many
SELECT * FROM sessions WHERE id_hash > sqlc.arg(after_id_hash) ORDER BY id_hash LIMIT sqlc.arg(page_size);

-- name: ExportStateChanges :many
SELECT * FROM state_changes WHERE id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(page_size);

-- name: ExportAPITokens :many
SELECT * FROM api_tokens WHERE id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(page_size);

-- name: ImportImage :exec
INSERT INTO images (id, hostname, image, digest, status, provider, hub_link, mime_type, platform,
                    created, metadata, first_seen, last_seen, notifications, state,
                    state_changed_at, snoozed_until, digest_changed_at, opened_by)
VALUES (sqlc.arg(id), sqlc.arg(hostname), sqlc.arg(image), sqlc.arg(digest), sqlc.arg(status),
        sqlc.arg(provider), sqlc.arg(hub_link), sqlc.arg(mime_type), sqlc.arg(platform),
        sqlc.narg(created), sqlc.narg(metadata), sqlc.arg(first_seen), sqlc.arg(last_seen),
        sqlc.arg(notifications), sqlc.arg(state), sqlc.arg(state_changed_at), sqlc.narg(snoozed_until),
        sqlc.arg(digest_changed_at), sqlc.arg(opened_by));

-- name: ImportEvent :exec
INSERT INTO events (id, image_id, received_at, diun_version, hostname, status, provider, image,
                    hub_link, mime_type, digest, created, platform, metadata, raw_body, source)
VALUES (sqlc.arg(id), sqlc.narg(image_id), sqlc.arg(received_at), sqlc.arg(diun_version),
        sqlc.arg(hostname), sqlc.arg(status), sqlc.arg(provider), sqlc.arg(image),
        sqlc.arg(hub_link), sqlc.arg(mime_type), sqlc.arg(digest), sqlc.narg(created),
        sqlc.arg(platform), sqlc.narg(metadata), sqlc.arg(raw_body), sqlc.arg(source));

-- name: ImportTag :exec
INSERT INTO tags (id, name, created_at) VALUES (sqlc.arg(id), sqlc.arg(name), sqlc.arg(created_at));

-- name: ImportImageTag :exec
INSERT INTO image_tags (image_id, tag_id) VALUES (sqlc.arg(image_id), sqlc.arg(tag_id));

-- name: ImportSetting :exec
INSERT INTO settings (key, value, updated_at) VALUES (sqlc.arg(key), sqlc.arg(value), sqlc.arg(updated_at));

-- name: ImportSession :exec
-- Columns in table order: the params convert to and from the row type (server/store/copy.go).
INSERT INTO sessions (id_hash, username, created_at, last_seen_at, expires_at, credential)
VALUES (sqlc.arg(id_hash), sqlc.arg(username), sqlc.arg(created_at), sqlc.arg(last_seen_at), sqlc.arg(expires_at), sqlc.arg(credential));

-- name: ImportAPIToken :exec
INSERT INTO api_tokens (id, name, token_hash, prefix, created_at, last_used_at, scope)
VALUES (sqlc.arg(id), sqlc.arg(name), sqlc.arg(token_hash), sqlc.arg(prefix), sqlc.arg(created_at), sqlc.narg(last_used_at), sqlc.arg(scope));

-- name: ImportStateChange :exec
INSERT INTO state_changes (id, image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until, cause)
VALUES (sqlc.arg(id), sqlc.arg(image_id), sqlc.arg(changed_at), sqlc.arg(actor), sqlc.arg(digest), sqlc.arg(from_state),
        sqlc.narg(from_until), sqlc.arg(to_state), sqlc.narg(to_until), sqlc.arg(cause));

-- The notifications' state travels with the data: what is still to announce (notify_queue)
-- and what was sent or is still to send (notify_outbox, whose digest slots keep a copy's first
-- start from sending the day's digest again).

-- name: ExportNotifyQueue :many
SELECT * FROM notify_queue WHERE id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(page_size);

-- name: ExportNotifyOutbox :many
SELECT * FROM notify_outbox WHERE id > sqlc.arg(after_id) ORDER BY id LIMIT sqlc.arg(page_size);

-- name: UnqueueImportedImage :exec
-- An imported image was announced (or is queued) in its source, not here: the row its insert
-- queued goes; the source's queue follows as notify_queue's rows.
DELETE FROM notify_queue WHERE image_id = sqlc.arg(image_id);

-- name: ImportNotifyQueue :exec
INSERT INTO notify_queue (id, image_id, digest, queued_at)
VALUES (sqlc.arg(id), sqlc.arg(image_id), sqlc.arg(digest), sqlc.arg(queued_at));

-- name: ImportNotifyOutbox :exec
INSERT INTO notify_outbox (id, kind, slot, target, target_label, title, body, items, created_at, attempts,
                           next_attempt_at, lease_until, last_attempt_at, last_error, sent_at, content)
VALUES (sqlc.arg(id), sqlc.arg(kind), sqlc.narg(slot), sqlc.arg(target), sqlc.arg(target_label), sqlc.arg(title),
        sqlc.arg(body), sqlc.arg(items), sqlc.arg(created_at), sqlc.arg(attempts), sqlc.arg(next_attempt_at),
        sqlc.narg(lease_until), sqlc.narg(last_attempt_at), sqlc.arg(last_error), sqlc.narg(sent_at), sqlc.arg(content));
