-- migrate:up
-- The audit trail of triage: every change of an image's state, who made it ("admin",
-- "token:widget", "snooze ended"), when, from what to what, and the digest it was about. The
-- image timeline shows it beside the notifications; undo reads the from_ columns.
CREATE TABLE state_changes (
    id          INTEGER PRIMARY KEY,
    image_id    INTEGER   NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    changed_at  TIMESTAMP NOT NULL,
    actor       TEXT      NOT NULL,
    digest      TEXT      NOT NULL,
    from_state  TEXT      NOT NULL,
    from_until  TIMESTAMP,
    to_state    TEXT      NOT NULL,
    to_until    TIMESTAMP
);

CREATE INDEX state_changes_image ON state_changes (image_id, id);
CREATE INDEX state_changes_changed_at ON state_changes (changed_at);

-- migrate:down
DROP TABLE state_changes;
