-- migrate:up
-- One row per (hostname, image reference): the newest digest Diun reported and its triage state.
CREATE TABLE images (
    id               INTEGER PRIMARY KEY,
    hostname         TEXT      NOT NULL,
    image            TEXT      NOT NULL,
    digest           TEXT      NOT NULL,
    status           TEXT      NOT NULL,
    provider         TEXT      NOT NULL,
    hub_link         TEXT      NOT NULL,
    mime_type        TEXT      NOT NULL,
    platform         TEXT      NOT NULL,
    created          TIMESTAMP,
    metadata         TEXT,
    first_seen       TIMESTAMP NOT NULL,
    last_seen        TIMESTAMP NOT NULL,
    notifications    INTEGER   NOT NULL DEFAULT 1,
    state            TEXT      NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'acknowledged', 'snoozed', 'ignored')),
    state_changed_at TIMESTAMP NOT NULL,
    snoozed_until    TIMESTAMP,
    UNIQUE (hostname, image)
);

-- Keyset pagination: one index per sort order, with and without the state filter.
-- (hostname, image) is already covered by the UNIQUE constraint.
CREATE INDEX images_last_seen        ON images (last_seen, id);
CREATE INDEX images_first_seen       ON images (first_seen, id);
CREATE INDEX images_image_host       ON images (image, hostname);
CREATE INDEX images_state_last_seen  ON images (state, last_seen, id);
CREATE INDEX images_state_first_seen ON images (state, first_seen, id);
CREATE INDEX images_state_image      ON images (state, image, hostname);
CREATE INDEX images_state_host       ON images (state, hostname, image);
CREATE INDEX images_snoozed_until    ON images (snoozed_until) WHERE state = 'snoozed';

-- Every notification, append-only. image_id is NULL for Diun's test notification,
-- which proves the connection and is never an update.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    image_id     INTEGER REFERENCES images (id) ON DELETE CASCADE,
    received_at  TIMESTAMP NOT NULL,
    diun_version TEXT      NOT NULL,
    hostname     TEXT      NOT NULL,
    status       TEXT      NOT NULL,
    provider     TEXT      NOT NULL,
    image        TEXT      NOT NULL,
    hub_link     TEXT      NOT NULL,
    mime_type    TEXT      NOT NULL,
    digest       TEXT      NOT NULL,
    created      TIMESTAMP,
    platform     TEXT      NOT NULL,
    metadata     TEXT,
    raw_body     TEXT      NOT NULL
);

CREATE INDEX events_image_id    ON events (image_id, id);
CREATE INDEX events_received_at ON events (received_at);

-- Diun's test notifications, newest first (ListChecks). SQLite could use events_image_id, but
-- PostgreSQL cannot take the order from it under "image_id IS NULL"; both schemas keep it.
CREATE INDEX events_checks ON events (id) WHERE image_id IS NULL;

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    name       TEXT      NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE image_tags (
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    tag_id   INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (image_id, tag_id)
);

CREATE INDEX image_tags_tag ON image_tags (tag_id, image_id);

-- Small server-wide values, such as the generated webhook token.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT      NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- migrate:down
DROP TABLE settings;
DROP TABLE image_tags;
DROP TABLE tags;
DROP TABLE events;
DROP TABLE images;
