-- migrate:up
-- Notifications (server/notify). An image that becomes open is queued by a trigger, in the
-- same transaction as the change, so that no write path can forget it and no crash can lose
-- it: a new image that is open, or an open image whose digest changed (new, or reopened or
-- updated by a newer digest). A person's reopen and a snooze ending keep the digest and do
-- not notify; snoozed and ignored images are not open and never notify; Diun's test image has
-- no images row. queued_at is the notification's time (last_seen), so the burst's clock is
-- the one the webhook used. Rows restored by import or copy are queued too; the notifier drops
-- queued rows older than a day, so a restore announces at most its last day.
-- A later migration that rebuilds images (SQLite's create-copy-drop-rename) drops these
-- triggers with the old table: it must create them again.
CREATE TABLE notify_queue (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id  INTEGER   NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    digest    TEXT      NOT NULL,
    queued_at TIMESTAMP NOT NULL
);

CREATE INDEX notify_queue_image ON notify_queue (image_id);

CREATE TRIGGER notify_queue_new AFTER INSERT ON images
WHEN NEW.state = 'open'
BEGIN
    INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
END;

CREATE TRIGGER notify_queue_digest AFTER UPDATE OF digest, state ON images
WHEN NEW.state = 'open' AND OLD.digest <> NEW.digest
BEGIN
    INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
END;

-- The outbox: one row per message and destination (target is the SHA-256 of the destination's
-- URL, never the URL, which holds secrets; target_label is the URL with its secrets masked).
-- A worker takes a row by setting lease_until, sends, then sets sent_at; a failure sets
-- last_error and pushes next_attempt_at back. slot names a scheduled digest
-- ("2026-11-30T08:00:00+01:00"), so that only one replica writes it.
CREATE TABLE notify_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT      NOT NULL CHECK (kind IN ('new', 'digest', 'test')),
    slot            TEXT,
    target          TEXT      NOT NULL,
    target_label    TEXT      NOT NULL,
    title           TEXT      NOT NULL,
    body            TEXT      NOT NULL,
    items           INTEGER   NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until     TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_error      TEXT      NOT NULL DEFAULT '',
    sent_at         TIMESTAMP
);

CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt_at, id) WHERE sent_at IS NULL;
CREATE INDEX notify_outbox_sent ON notify_outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE UNIQUE INDEX notify_outbox_slot ON notify_outbox (slot, target) WHERE slot IS NOT NULL;

-- migrate:down
DROP TABLE notify_outbox;
DROP TRIGGER notify_queue_digest;
DROP TRIGGER notify_queue_new;
DROP TABLE notify_queue;
