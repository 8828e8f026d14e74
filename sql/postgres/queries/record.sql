-- name: RecordNotification :one
-- PostgreSQL only: UpsertImage and InsertEvent in one statement, so that recording a
-- notification is one atomic round trip instead of four (BEGIN, upsert, insert, COMMIT).
-- SQLite cannot put an INSERT in a WITH clause; it records through its group commit instead.
-- The upsert is UpsertImage's (images.sql), with the same rules for state and status.
WITH upserted AS (
    INSERT INTO images (hostname, image, digest, status, provider, hub_link, mime_type, platform,
                        created, metadata, first_seen, last_seen, notifications, state, state_changed_at)
    VALUES (sqlc.arg(hostname), sqlc.arg(image), sqlc.arg(digest), sqlc.arg(status), sqlc.arg(provider),
            sqlc.arg(hub_link), sqlc.arg(mime_type), sqlc.arg(platform), sqlc.narg(created),
            sqlc.narg(metadata), sqlc.arg(seen_at), sqlc.arg(seen_at), 1, 'open', sqlc.arg(seen_at))
    ON CONFLICT (hostname, image) DO UPDATE SET
        state            = CASE WHEN images.state = 'acknowledged' AND images.digest <> excluded.digest
                                THEN 'open' ELSE images.state END,
        state_changed_at = CASE WHEN images.state = 'acknowledged' AND images.digest <> excluded.digest
                                THEN excluded.last_seen ELSE images.state_changed_at END,
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
    RETURNING id, state
), inserted AS (
    INSERT INTO events (image_id, received_at, diun_version, hostname, status, provider, image,
                        hub_link, mime_type, digest, created, platform, metadata, raw_body)
    SELECT upserted.id, sqlc.arg(seen_at), sqlc.arg(diun_version)::text, sqlc.arg(hostname),
           sqlc.arg(status), sqlc.arg(provider), sqlc.arg(image), sqlc.arg(hub_link),
           sqlc.arg(mime_type), sqlc.arg(digest), sqlc.narg(created), sqlc.arg(platform),
           sqlc.narg(metadata), sqlc.arg(raw_body)::text
    FROM upserted
    RETURNING id, image_id
)
SELECT inserted.id AS event_id, upserted.id AS image_id, upserted.state
FROM inserted JOIN upserted ON upserted.id = inserted.image_id;
