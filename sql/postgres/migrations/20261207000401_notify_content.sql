-- migrate:up
-- What a message is about, as JSON (server/notify): the images of a message about new updates
-- and the inputs of a digest. The worker composes each row again when it sends it, for its
-- destination: escaped for that service's markup (Diun's fields are untrusted text), within
-- that service's limit, and without the images acknowledged, snoozed or ignored since. title
-- and body stay what the Notifications page shows. '' for rows written before (and test
-- messages): those are sent as they are, escaped as untrusted text.
ALTER TABLE notify_outbox ADD COLUMN content TEXT NOT NULL DEFAULT '';

-- migrate:down
ALTER TABLE notify_outbox DROP COLUMN content;
