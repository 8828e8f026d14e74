-- migrate:up
-- What the overview marks in an open row (server/web/overview.go, withMark): since when the
-- row holds its digest, and why it last became open. Without them a row that came back from
-- a snooze, or got another new digest while it stayed open, looked like a person's reopening.

-- When the row's current digest arrived: its first notification, then the notification of each
-- new digest (UpsertImage and UpsertImageKeepState, whatever the state). The default only
-- serves the ALTER: every row is filled below and every insert names it. Filled with the first
-- event of the current digest after the last event of another one (the events keep what came;
-- pruned ones fall back to first_seen), within first_seen and last_seen as the store keeps it.
ALTER TABLE images ADD COLUMN digest_changed_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00+00:00';

-- Why the row last became open: '' since Diun first reported it, 'digest' when a new digest
-- reopened it once acknowledged, 'snooze' when its snooze ended, 'person' when someone (a
-- person, an API token, MQTT) reopened it or undid the change that had closed it.
ALTER TABLE images ADD COLUMN opened_by TEXT NOT NULL DEFAULT ''
    CHECK (opened_by IN ('', 'digest', 'snooze', 'person'));

UPDATE images SET digest_changed_at = max(first_seen, min(last_seen, coalesce(
    (SELECT min(e.received_at) FROM events e
     WHERE e.image_id = images.id AND e.digest = images.digest
       AND e.id > coalesce((SELECT max(x.id) FROM events x WHERE x.image_id = images.id AND x.digest <> images.digest), 0)),
    first_seen)));

-- The last change into open in the audit trail says why; before the trail recorded reopenings
-- by Diun (20261207000501), a row reopened then carries the time of that notification, as the
-- overview read it so far.
UPDATE images SET opened_by = CASE
    WHEN state = 'open' AND state_changed_at > first_seen AND state_changed_at = last_seen THEN 'digest'
    ELSE coalesce((SELECT CASE WHEN c.cause = 'new digest' THEN 'digest'
                               WHEN c.actor = 'snooze ended' THEN 'snooze'
                               ELSE 'person' END
                   FROM state_changes c WHERE c.image_id = images.id AND c.to_state = 'open'
                   ORDER BY c.id DESC LIMIT 1), '') END;

-- The reopening by a new digest (UpsertImage's state) says so in opened_by too: here rather
-- than in the upsert, which runs for every notification, while this runs only for the rare
-- ones that reopen something. The trigger is 20261207000501's with that one statement added.
DROP TRIGGER images_reopened_by_digest;
CREATE TRIGGER images_reopened_by_digest AFTER UPDATE OF state ON images
WHEN OLD.state = 'acknowledged' AND NEW.state = 'open' AND OLD.digest <> NEW.digest
BEGIN
    INSERT INTO state_changes (image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until, cause)
    VALUES (NEW.id, NEW.state_changed_at, 'Diun', NEW.digest, OLD.state, OLD.snoozed_until, NEW.state, NEW.snoozed_until, 'new digest');
    UPDATE images SET opened_by = 'digest' WHERE id = NEW.id;
END;

-- migrate:down
DROP TRIGGER images_reopened_by_digest;
CREATE TRIGGER images_reopened_by_digest AFTER UPDATE OF state ON images
WHEN OLD.state = 'acknowledged' AND NEW.state = 'open' AND OLD.digest <> NEW.digest
BEGIN
    INSERT INTO state_changes (image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until, cause)
    VALUES (NEW.id, NEW.state_changed_at, 'Diun', NEW.digest, OLD.state, OLD.snoozed_until, NEW.state, NEW.snoozed_until, 'new digest');
END;
ALTER TABLE images DROP COLUMN opened_by;
ALTER TABLE images DROP COLUMN digest_changed_at;
