-- migrate:up
-- The notification queue is filled only while notifications of new updates are on: the
-- setting notify_queue ('on' or 'off') is written by the server at start from NOTIFY_URLS and
-- NOTIFY_NEW. Off (the default install), a webhook no longer writes a queue row (two of the
-- twelve WAL pages of a notification's commit) that the server then deletes unread. On
-- without the setting, so that nothing changes until a server says otherwise.
DROP TRIGGER notify_queue_new;
CREATE TRIGGER notify_queue_new AFTER INSERT ON images
WHEN NEW.state = 'open' AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'notify_queue' AND value = 'off')
BEGIN
    INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
END;

DROP TRIGGER notify_queue_digest;
CREATE TRIGGER notify_queue_digest AFTER UPDATE OF digest, state ON images
WHEN NEW.state = 'open' AND OLD.digest <> NEW.digest
 AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'notify_queue' AND value = 'off')
BEGIN
    INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
END;

-- migrate:down
DROP TRIGGER notify_queue_digest;
CREATE TRIGGER notify_queue_digest AFTER UPDATE OF digest, state ON images
WHEN NEW.state = 'open' AND OLD.digest <> NEW.digest
BEGIN
    INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
END;

DROP TRIGGER notify_queue_new;
CREATE TRIGGER notify_queue_new AFTER INSERT ON images
WHEN NEW.state = 'open'
BEGIN
    INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
END;

