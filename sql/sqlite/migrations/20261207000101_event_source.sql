-- migrate:up
-- Where a notification came from: 'webhook' (Diun sent it), 'reconcile' (read from Diun's gRPC
-- API because the webhook was missed, say while the dashboard was down) or 'backfill' (what
-- Diun already knew when the dashboard first connected to it). Every older event was a webhook.
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook'
    CHECK (source IN ('webhook', 'reconcile', 'backfill'));

-- Leases of periodic jobs that several replicas share a database for (the Diun reconcile): the
-- replica that holds a name until a time runs the job; the others skip it.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    held_until  TIMESTAMP NOT NULL
);

-- migrate:down
DROP TABLE leases;
ALTER TABLE events DROP COLUMN source;
