-- name: UpsertImage :one
-- Records the newest digest of a (hostname, image). A different digest reopens an acknowledged
-- image; snoozed and ignored images keep their state (their history still grows). The same
-- digest keeps its status: a Diun whose database was reset sends everything again as "new",
-- which would turn every "update" back into "new" (the event keeps what was sent).
-- Every expression in DO UPDATE reads the row as it was before the update.
-- A new row starts in initial_state: 'open', or 'acknowledged' for what a backfill found (known,
-- not news).
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

-- name: UpsertImageKeepState :one
-- UpsertImage for a row whose state the notification does not change, which is nearly every
-- row: SQLite rewrites the entries of every index holding a column that an UPDATE sets, even
-- to the same value, so UpsertImage's "state = CASE ..." dirties the three images_state_*
-- indexes' pages in each commit (3 of the 15 WAL pages of a notification). This statement
-- leaves state and state_changed_at out and refuses, returning no row, the one case that
-- changes them (an acknowledged image with another digest): the store then runs UpsertImage.
-- digest_changed_at is in no index: setting it costs no index page.
INSERT INTO images (hostname, image, digest, status, provider, hub_link, mime_type, platform,
                    created, metadata, first_seen, last_seen, notifications, state, state_changed_at,
                    digest_changed_at)
VALUES (sqlc.arg(hostname), sqlc.arg(image), sqlc.arg(digest), sqlc.arg(status), sqlc.arg(provider),
        sqlc.arg(hub_link), sqlc.arg(mime_type), sqlc.arg(platform), sqlc.narg(created),
        sqlc.narg(metadata), sqlc.arg(seen_at), sqlc.arg(seen_at), 1, sqlc.arg(initial_state), sqlc.arg(seen_at),
        sqlc.arg(seen_at))
ON CONFLICT (hostname, image) DO UPDATE SET
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
WHERE NOT (images.state = 'acknowledged' AND images.digest <> excluded.digest)
RETURNING id, state;

-- name: UpsertImageIfNewer :one
-- UpsertImage for a notification read from Diun's API (source 'reconcile' or 'backfill'). Diun
-- keeps only the current digest of each tag, so a digest it holds that the image's history has
-- never had is the current one, whatever its created time (equal for reproducible builds, older
-- for a rollback). It changes a row only to a digest that is not in the image's history (one the
-- dashboard saw before is older than the row's) and only when the row has not changed since
-- reconcile read Diun's answer (ImageChangedSince, asked first in the same transaction: a webhook
-- raced ahead, the next reconcile sees Diun's newer state). Refused, it returns no row and the
-- store writes no event. SQLite only: PostgreSQL's RecordBatch applies the same rule (record.sql).
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
WHERE images.digest <> excluded.digest
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.image_id = images.id AND e.digest = excluded.digest)
RETURNING id, state;

-- name: ImageChangedSince :one
-- Whether (hostname, image) changed after read_at (see UpsertImageIfNewer).
SELECT EXISTS (SELECT 1 FROM images
               WHERE hostname = sqlc.arg(hostname) AND image = sqlc.arg(image)
                 AND last_seen > sqlc.arg(read_at)) AS changed;

-- name: GetImage :one
SELECT * FROM images WHERE id = sqlc.arg(id);

-- name: CountImages :many
-- One row per host and state from image_counts, which triggers keep as images come, change and
-- go (migration 20261130000102): the cost does not grow with the images.
SELECT state, hostname, images
FROM image_counts
WHERE images > 0
ORDER BY state, hostname;
