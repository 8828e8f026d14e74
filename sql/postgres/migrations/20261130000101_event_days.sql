-- migrate:up
-- Notifications about images per UTC day, kept by triggers as events are inserted and deleted,
-- in the same transaction: the overview's chart reads at most 90 × 8 rows instead of counting
-- every event of its window on each render (CountEventsPerDay), whatever the history's size.
-- Diun's test notifications (image_id IS NULL) are connection checks and are not counted.
-- A deleted event (prune, a deleted image's cascade, an import that empties the tables) is
-- taken off its day, so the chart always shows the events that are stored, as it did when it
-- counted them. Events are append-only: nothing updates received_at or image_id.
--
-- A day has up to 8 rows (slot = the backend's pid mod 8) whose sum is the day's count: one
-- row per day would be locked by every recording transaction until it commits, so concurrent
-- ingest would queue behind each other's WAL flush. A slot may go negative (a delete takes its
-- events off the deleting backend's slot); only the sum means anything.
-- The triggers run once per statement over its transition table, so a batch of notifications
-- inserted in one statement, or a prune's delete of a thousand events, costs one upsert per day.
CREATE TABLE event_days (
    day    DATE     NOT NULL, -- UTC
    slot   SMALLINT NOT NULL,
    events BIGINT   NOT NULL,
    PRIMARY KEY (day, slot)
);

CREATE FUNCTION event_days_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- An import (server/store/copy.go) sets diundashboard.defer_counts for its transactions and
    -- recounts once at the end (AfterImport): row by row in one long transaction, the same
    -- count row would be rewritten once per row, each time past every version before it.
    IF current_setting('diundashboard.defer_counts', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO event_days (day, slot, events)
        SELECT (received_at AT TIME ZONE 'UTC')::date, pg_backend_pid() % 8, count(*)
        FROM event_days_new WHERE image_id IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1
        ON CONFLICT (day, slot) DO UPDATE SET events = event_days.events + excluded.events;
    ELSE
        INSERT INTO event_days (day, slot, events)
        SELECT (received_at AT TIME ZONE 'UTC')::date, pg_backend_pid() % 8, -count(*)
        FROM event_days_old WHERE image_id IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1
        ON CONFLICT (day, slot) DO UPDATE SET events = event_days.events + excluded.events;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_count_day AFTER INSERT ON events
    REFERENCING NEW TABLE AS event_days_new
    FOR EACH STATEMENT EXECUTE FUNCTION event_days_count();

CREATE TRIGGER events_uncount_day AFTER DELETE ON events
    REFERENCING OLD TABLE AS event_days_old
    FOR EACH STATEMENT EXECUTE FUNCTION event_days_count();

-- The events stored before this migration (the trigger above already holds the table's lock,
-- so no insert slips between the count and the trigger).
INSERT INTO event_days (day, slot, events)
SELECT (received_at AT TIME ZONE 'UTC')::date, 0, count(*)
FROM events WHERE image_id IS NOT NULL GROUP BY 1;

-- migrate:down
DROP TRIGGER events_uncount_day ON events;
DROP TRIGGER events_count_day ON events;
DROP FUNCTION event_days_count();
DROP TABLE event_days;
