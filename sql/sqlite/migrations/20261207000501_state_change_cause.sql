-- migrate:up
-- Why a state changed, beside who changed it: '' for a decision (acknowledge, snooze, ignore,
-- reopen), 'undo' for the undo of one, 'new digest' when Diun reported a new digest of an
-- acknowledged image and so reopened it. The image timeline says it; without it an undo read
-- as a new decision and a reopening by Diun was missing from the trail altogether.
ALTER TABLE state_changes ADD COLUMN cause TEXT NOT NULL DEFAULT '';

-- Record's upsert reopens an acknowledged image whose digest changed (UpsertImage); this
-- writes its audit row, dated as the notification, for both the upsert and any later path
-- that does the same. A triage action never changes the digest, so it never fires here.
CREATE TRIGGER images_reopened_by_digest AFTER UPDATE OF state ON images
WHEN OLD.state = 'acknowledged' AND NEW.state = 'open' AND OLD.digest <> NEW.digest
BEGIN
    INSERT INTO state_changes (image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until, cause)
    VALUES (NEW.id, NEW.state_changed_at, 'Diun', NEW.digest, OLD.state, OLD.snoozed_until, NEW.state, NEW.snoozed_until, 'new digest');
END;

-- migrate:down
DROP TRIGGER images_reopened_by_digest;
ALTER TABLE state_changes DROP COLUMN cause;
