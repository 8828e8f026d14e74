-- name: UpsertImage :one
-- Records the newest digest of a (hostname, image). A different digest reopens an acknowledged
-- image; snoozed and ignored images keep their state (their history still grows). The same
-- digest keeps its status: a Diun whose database was reset sends everything again as "new",
-- which would turn every "update" back into "new" (the event keeps what was sent).
-- Every expression in DO UPDATE reads the row as it was before the update.
-- Kept identical to SQLite's UpsertImage (the store converts between the two packages); the
-- store writes through RecordBatch (record.sql), which applies the same rules.
INSERT INTO images (hostname, image, digest, status, provider, hub_link, mime_type, platform,
                    created, metadata, first_seen, last_seen, notifications, state, state_changed_at,
                    digest_changed_at)
VALUES (sqlc.arg(hostname), sqlc.arg(image), sqlc.arg(digest), sqlc.arg(status), sqlc.arg(provider),
        sqlc.arg(hub_link), sqlc.arg(mime_type), sqlc.arg(platform), sqlc.narg(created),
        sqlc.narg(metadata), sqlc.arg(seen_at), sqlc.arg(seen_at), 1, sqlc.arg(initial_state), sqlc.arg(seen_at),
        sqlc.arg(seen_at))
ON CONFLICT (hostname, image) DO UPDATE SET
    state            = CASE WHEN images.state = 'acknowledged' AND images.digest <> excluded.digest
                            THEN 'open' ELSE images.state END,
    state_changed_at = CASE WHEN images.state = 'acknowledged' AND images.digest <> excluded.digest
                            THEN excluded.last_seen ELSE images.state_changed_at END,
    digest_changed_at = CASE WHEN images.digest <> excluded.digest
                             THEN excluded.last_seen ELSE images.digest_changed_at END,
    digest           = excluded.digest,
    status           = CASE WHEN images.digest = excluded.digest
                            THEN images.status ELSE excluded.status END,
    provider         = excluded.provider,
    hub_link         = excluded.hub_link,
    mime_type        = excluded.mime_type,
    platform         = excluded.platform,
    created          = excluded.created,
    metadata         = excluded.metadata,
    last_seen        = excluded.last_seen,
    notifications    = images.notifications + 1
RETURNING id, state;

-- name: GetImage :one
SELECT * FROM images WHERE id = sqlc.arg(id);

-- name: CountImages :many
-- One row per host and state from image_counts, which triggers keep as images come, change and
-- go (migration 20261130000102): the cost does not grow with the images.
SELECT state, hostname, images
FROM image_counts
WHERE images > 0
ORDER BY state, hostname;
