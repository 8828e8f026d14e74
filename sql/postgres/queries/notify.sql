-- Notifications (server/notify, server/store/notify_outbox.go). The triggers of migration
-- 20261130000201 fill notify_queue; the worker turns queued images into outbox rows (one
-- transaction), then sends each outbox row once.

-- name: NotifyQueued :many
-- The oldest queued images with what a message says about them, locked: another replica
-- skips them while this transaction composes its message.
SELECT q.id, q.image_id, q.digest AS queued_digest, q.queued_at,
       i.hostname, i.image, i.digest, i.status, i.state, i.created, i.platform, i.first_seen
FROM notify_queue q JOIN images i ON i.id = q.image_id
ORDER BY q.id
LIMIT sqlc.arg(page_size)
FOR UPDATE OF q SKIP LOCKED;

-- name: DeleteNotifyQueued :execrows
DELETE FROM notify_queue WHERE id IN (SELECT jsonb_array_elements_text(sqlc.arg(ids)::text::jsonb)::bigint);

-- name: DeleteNotifyQueuedBefore :execrows
-- Queued images older than before: with NOTIFY_NEW off nobody takes them, and an import's
-- images come with their old times.
DELETE FROM notify_queue WHERE queued_at < sqlc.arg(before);

-- name: InsertNotifyOutbox :execrows
-- A digest names its slot: a second replica's insert of the same slot and target does nothing.
INSERT INTO notify_outbox (kind, slot, target, target_label, title, body, items, created_at, next_attempt_at, content)
VALUES (sqlc.arg(kind), sqlc.narg(slot), sqlc.arg(target), sqlc.arg(target_label), sqlc.arg(title),
        sqlc.arg(body), sqlc.arg(items), sqlc.arg(created_at), sqlc.arg(created_at), sqlc.arg(content))
ON CONFLICT (slot, target) WHERE slot IS NOT NULL DO NOTHING;

-- name: LeaseNotifyOutbox :one
-- Takes the next due row for one of the configured targets (a JSON array) until lease_until:
-- a worker that dies while sending leaves it to be sent again once the lease ends.
UPDATE notify_outbox
SET lease_until = sqlc.arg(lease_until), attempts = attempts + 1, last_attempt_at = sqlc.arg(now)
WHERE id = (SELECT o.id FROM notify_outbox o
            WHERE o.sent_at IS NULL AND o.next_attempt_at <= sqlc.arg(now)
              AND (o.lease_until IS NULL OR o.lease_until <= sqlc.arg(now))
              AND o.target IN (SELECT jsonb_array_elements_text(sqlc.arg(targets)::text::jsonb))
            ORDER BY o.next_attempt_at, o.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: MarkNotifySent :execrows
UPDATE notify_outbox SET sent_at = sqlc.arg(now), lease_until = NULL, last_error = ''
WHERE id = sqlc.arg(id) AND sent_at IS NULL;

-- name: MarkNotifyFailed :execrows
UPDATE notify_outbox SET lease_until = NULL, last_error = sqlc.arg(last_error), next_attempt_at = sqlc.arg(next_attempt_at)
WHERE id = sqlc.arg(id) AND sent_at IS NULL;

-- name: ListNotifyOutbox :many
-- The newest outbox rows, for the Notifications page.
SELECT * FROM notify_outbox ORDER BY id DESC LIMIT sqlc.arg(page_size);

-- name: CountNotifyUnsent :one
SELECT count(*) FROM notify_outbox WHERE sent_at IS NULL;

-- name: PruneNotifyOutbox :execrows
-- Rows sent before the cutoff, and rows made before it that were never sent (a target that
-- was removed from NOTIFY_URLS): at most page_size at a time.
DELETE FROM notify_outbox
WHERE id IN (SELECT o.id FROM notify_outbox o
             WHERE o.sent_at < sqlc.arg(before) OR (o.sent_at IS NULL AND o.created_at < sqlc.arg(before))
             ORDER BY o.id LIMIT sqlc.arg(page_size));

-- name: OldestOpenImage :one
-- The update that has waited longest, for the digest.
SELECT * FROM images WHERE state = 'open' ORDER BY state_changed_at, id LIMIT 1;

-- name: NotifyImageStates :many
-- The states of a message's images when it is sent: those no longer open are left out.
SELECT id, state FROM images WHERE id = ANY (ARRAY(SELECT jsonb_array_elements_text(sqlc.arg(ids)::text::jsonb)::bigint));
