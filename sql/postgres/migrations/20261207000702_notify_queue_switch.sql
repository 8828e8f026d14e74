-- migrate:up
-- The notification queue is filled only while notifications of new updates are on: the
-- setting notify_queue ('on' or 'off') is written by the server at start from NOTIFY_URLS and
-- NOTIFY_NEW. Off (the default install), a webhook no longer writes a queue row that the
-- server then deletes unread. On without the setting, so that nothing changes until a server
-- says otherwise.
CREATE OR REPLACE FUNCTION notify_queue_opened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM settings WHERE key = 'notify_queue' AND value = 'off') THEN
        INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
    END IF;
    RETURN NULL;
END
$$;

-- migrate:down
CREATE OR REPLACE FUNCTION notify_queue_opened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_queue (image_id, digest, queued_at) VALUES (NEW.id, NEW.digest, NEW.last_seen);
    RETURN NULL;
END
$$;

