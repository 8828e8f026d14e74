-- migrate:up
-- The chart (CountEventsPerDay) and the summary's last notification (LastUpdateTime) leave out
-- Diun's test notifications (image_id IS NULL), which are connection checks, not updates.
-- With image_id beside received_at the index still serves every range and order on
-- received_at (prune, its count) and answers the new filter without reading the rows.
DROP INDEX events_received_at;
CREATE INDEX events_received_at ON events (received_at, image_id);

-- migrate:down
DROP INDEX events_received_at;
CREATE INDEX events_received_at ON events (received_at);
