-- name: InsertEvent :one
INSERT INTO events (image_id, received_at, diun_version, hostname, status, provider, image,
                    hub_link, mime_type, digest, created, platform, metadata, raw_body, source)
VALUES (sqlc.narg(image_id), sqlc.arg(received_at), sqlc.arg(diun_version), sqlc.arg(hostname),
        sqlc.arg(status), sqlc.arg(provider), sqlc.arg(image), sqlc.arg(hub_link),
        sqlc.arg(mime_type), sqlc.arg(digest), sqlc.narg(created), sqlc.arg(platform),
        sqlc.narg(metadata), sqlc.arg(raw_body), sqlc.arg(source))
RETURNING id;

-- name: ListEvents :many
-- Newest first; keyset on id, served by events_image_id (image_id, id).
SELECT * FROM events
WHERE image_id = sqlc.arg(image_id) AND id < sqlc.arg(before_id)
ORDER BY id DESC
LIMIT sqlc.arg(page_size)::bigint;

-- name: ListChecks :many
-- Diun's test notifications (no image row), newest first; served by events_checks.
SELECT * FROM events
WHERE image_id IS NULL AND id < sqlc.arg(before_id)
ORDER BY id DESC
LIMIT sqlc.arg(page_size)::bigint;

-- name: LastUpdateTime :one
-- The newest notification about an image: test notifications (image_id IS NULL) are connection
-- checks, which Summary reports apart (ListChecks). Served by events_received_at
-- (received_at, image_id), read backwards.
SELECT received_at FROM events WHERE image_id IS NOT NULL ORDER BY received_at DESC LIMIT 1;

-- name: PruneEvents :execrows
-- Deletes at most page_size events received before the cutoff, oldest first, so that a large
-- prune runs as short transactions that never hold the writer for long.
DELETE FROM events
WHERE id IN (SELECT e.id FROM events e WHERE e.received_at < sqlc.arg(before) ORDER BY e.received_at LIMIT sqlc.arg(page_size)::bigint);

-- name: CountEventsBefore :one
SELECT count(*) FROM events WHERE received_at < sqlc.arg(before);

-- name: CountEventsPerDay :many
-- Notifications about images per UTC day from since_day (YYYY-MM-DD) on, for the overview's
-- chart: the sum of a day's (at most 8) slots in event_days, which triggers keep as events come
-- and go (migration 20261130000101), so the cost does not grow with the events in the window.
-- Test notifications are not counted there.
SELECT CAST(to_char(day, 'YYYY-MM-DD') AS TEXT) AS day, CAST(sum(events) AS BIGINT) AS events
FROM event_days
WHERE day >= to_date(sqlc.arg(since_day), 'YYYY-MM-DD')
GROUP BY event_days.day
HAVING sum(events) > 0
ORDER BY event_days.day;

-- name: LatestEventSources :many
-- The source of each image's newest event, for a page of images in one query (ids is a JSON
-- array of the page's image ids): one probe of events_image_id (image_id, id) per image. An
-- image whose events were all pruned reads as a webhook's.
SELECT i.id AS image_id,
       COALESCE((SELECT e.source FROM events e WHERE e.image_id = i.id ORDER BY e.id DESC LIMIT 1), 'webhook')::text AS source
FROM images i
WHERE i.id = ANY (ARRAY(SELECT jsonb_array_elements_text(sqlc.arg(ids)::text::jsonb)::bigint));

-- name: HostHasWebhook :one
-- Whether a webhook ever carried hostname (among the events kept): an event from the webhook
-- about one of the host's images (images by hostname, then events_image_id), or a test
-- notification (events_checks).
SELECT (EXISTS (SELECT 1 FROM images i JOIN events e ON e.image_id = i.id
                WHERE i.hostname = sqlc.arg(hostname) AND e.source = 'webhook')
     OR EXISTS (SELECT 1 FROM events c WHERE c.image_id IS NULL AND c.hostname = sqlc.arg(hostname)))::int::bigint AS has;

-- name: EventStored :one
-- PostgreSQL only: whether the event of a notification is stored (received_at,
-- then the rest), asked after a connection died under a batch: the batch is written again only
-- when it is not there (postgres.go, writeBatch).
SELECT EXISTS (SELECT 1 FROM events
               WHERE received_at = sqlc.arg(received_at) AND hostname = sqlc.arg(hostname)
                 AND image = sqlc.arg(image) AND digest = sqlc.arg(digest)) AS stored;
