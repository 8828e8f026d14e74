-- name: RecordBatch :many
-- PostgreSQL only: a whole group commit's notifications (the ingest pipeline, ingest.go) in one
-- statement, so that a batch costs one round trip and, with its COMMIT, one WAL flush. SQLite
-- cannot put an INSERT in a WITH clause; it runs UpsertImage and InsertEvent per notification.
-- The batch is a JSON array of objects (one parameter, no array types), one per notification,
-- with ord its position; times are RFC 3339 with microseconds, metadata an object or null. Its updates must name distinct (hostname, image) pairs: ON CONFLICT
-- cannot change one row twice in a statement, so the store sends repeats in a later statement
-- of the same transaction. Test notifications (is_check) only add an event, with no image.
-- Event ids are drawn up front so that every notification, test ones included, gets its own
-- back, in the input's order. The upsert is UpsertImage's (images.sql), with the same rules
-- for state, status and source: a notification read from Diun's API (source 'reconcile' or
-- 'backfill') is left out (the refused CTE), writes no event, and comes back with no image_id
-- when its digest is the row's, or one in the image's history (older than the row's), or when
-- the row changed after reconcile read Diun's answer (read_at: a webhook raced ahead). Its
-- created time is no reason: equal for reproducible builds, older for a rollback. That check reads the rows before the
-- statement; one image's notifications are always written by one writer (ingest.go), in order.
WITH batch AS MATERIALIZED (
    SELECT (e ->> 'ord')::integer AS ord, e ->> 'hostname' AS hostname, e ->> 'image' AS image,
           e ->> 'digest' AS digest, e ->> 'status' AS status, e ->> 'provider' AS provider,
           e ->> 'hub_link' AS hub_link, e ->> 'mime_type' AS mime_type, e ->> 'platform' AS platform,
           (e ->> 'created')::timestamptz AS created, nullif(e -> 'metadata', 'null'::jsonb) AS metadata,
           (e ->> 'seen_at')::timestamptz AS seen_at, e ->> 'diun_version' AS diun_version,
           e ->> 'raw_body' AS raw_body, (e ->> 'is_check')::boolean AS is_check,
           e ->> 'source' AS source, e ->> 'initial_state' AS initial_state,
           (e ->> 'read_at')::timestamptz AS read_at,
           nextval(pg_get_serial_sequence('events', 'id')) AS event_id
    FROM jsonb_array_elements(sqlc.arg(batch)::jsonb) AS e
), refused AS (
    SELECT b.ord FROM batch b JOIN images i ON i.hostname = b.hostname AND i.image = b.image
    WHERE NOT b.is_check AND b.source <> 'webhook'
      AND (i.digest = b.digest OR i.last_seen > b.read_at
           OR EXISTS (SELECT 1 FROM events e WHERE e.image_id = i.id AND e.digest = b.digest))
), upserted AS (
    INSERT INTO images (hostname, image, digest, status, provider, hub_link, mime_type, platform,
                        created, metadata, first_seen, last_seen, notifications, state, state_changed_at,
                        digest_changed_at)
    SELECT hostname, image, digest, status, provider, hub_link, mime_type, platform, created,
           metadata, seen_at, seen_at, 1, initial_state, seen_at, seen_at
    FROM batch
    WHERE NOT is_check AND ord NOT IN (SELECT ord FROM refused)
    -- One order of row locks for every batch, so that two concurrent batches cannot deadlock.
    ORDER BY hostname, image
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
    RETURNING id, hostname, image, state
), matched AS (
    SELECT b.ord, b.hostname, b.image, b.digest, b.status, b.provider, b.hub_link, b.mime_type,
           b.platform, b.created, b.metadata, b.seen_at, b.diun_version, b.raw_body, b.event_id,
           b.source, b.is_check, u.id AS image_id, u.state
    FROM batch b
    LEFT JOIN upserted u ON NOT b.is_check AND u.hostname = b.hostname AND u.image = b.image
), inserted AS (
    INSERT INTO events (id, image_id, received_at, diun_version, hostname, status, provider, image,
                        hub_link, mime_type, digest, created, platform, metadata, raw_body, source)
    SELECT event_id, image_id, seen_at, diun_version, hostname, status, provider, image,
           hub_link, mime_type, digest, created, platform, metadata, raw_body, source
    FROM matched
    WHERE is_check OR image_id IS NOT NULL
    ORDER BY ord
)
SELECT m.ord::bigint AS ord, m.event_id::bigint AS event_id, m.image_id, m.state
FROM matched m
ORDER BY m.ord;
