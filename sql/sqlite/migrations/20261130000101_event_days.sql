-- migrate:up
-- Notifications about images per UTC day, kept by triggers as events are inserted and deleted,
-- in the same transaction: the overview's chart reads at most 90 rows instead of counting every
-- event of its window on each render (CountEventsPerDay), whatever the history's size.
-- Diun's test notifications (image_id IS NULL) are connection checks and are not counted.
-- A deleted event (prune, a deleted image's cascade, an import that empties the tables) is
-- taken off its day, so the chart always shows the events that are stored, as it did when it
-- counted them. Events are append-only: nothing updates received_at or image_id.
CREATE TABLE event_days (
    day    TEXT    NOT NULL PRIMARY KEY, -- YYYY-MM-DD, UTC
    events INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER events_count_day AFTER INSERT ON events
WHEN NEW.image_id IS NOT NULL
BEGIN
    INSERT INTO event_days (day, events) VALUES (date(NEW.received_at), 1)
    ON CONFLICT (day) DO UPDATE SET events = events + 1;
END;

CREATE TRIGGER events_uncount_day AFTER DELETE ON events
WHEN OLD.image_id IS NOT NULL
BEGIN
    UPDATE event_days SET events = events - 1 WHERE day = date(OLD.received_at);
END;

-- The events stored before this migration.
INSERT INTO event_days (day, events)
SELECT date(received_at), count(*) FROM events WHERE image_id IS NOT NULL GROUP BY date(received_at);

-- migrate:down
DROP TRIGGER events_uncount_day;
DROP TRIGGER events_count_day;
DROP TABLE event_days;
