-- migrate:up
-- Ids are never given twice (AUTOINCREMENT): with a plain INTEGER PRIMARY KEY, SQLite gives a
-- new row the largest id + 1, so deleting the newest image handed its id to the next one, and
-- a bookmarked /images/{id}, an API client's tag or token id, or an event cursor reached
-- another row. PostgreSQL's identity columns never reuse an id; this makes SQLite agree.
--
-- SQLite cannot add AUTOINCREMENT to a table, so each table is rebuilt as
-- https://www.sqlite.org/lang_altertable.html ("making other kinds of table schema changes")
-- says: create the new table, copy the rows, drop the old one, rename the new one, recreate
-- the indexes. The migrator runs with foreign keys off, as that procedure requires (DROP TABLE
-- would otherwise delete every row that references the table), and checks them
-- (PRAGMA foreign_key_check) before this migration commits. The tables that reference these
-- ones name them, not the old tables, so their foreign keys hold the rebuilt ones. Columns keep
-- their order and definitions; AUTOINCREMENT's counter starts at the largest id kept.

CREATE TABLE images_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO images_new (id, hostname, image, digest, status, provider, hub_link, mime_type, platform,
                        created, metadata, first_seen, last_seen, notifications, state,
                        state_changed_at, snoozed_until)
SELECT id, hostname, image, digest, status, provider, hub_link, mime_type, platform,
       created, metadata, first_seen, last_seen, notifications, state,
       state_changed_at, snoozed_until
FROM images;
DROP TABLE images;
ALTER TABLE images_new RENAME TO images;
CREATE INDEX images_last_seen        ON images (last_seen, id);
CREATE INDEX images_first_seen       ON images (first_seen, id);
CREATE INDEX images_image_host       ON images (image, hostname);
CREATE INDEX images_state_last_seen  ON images (state, last_seen, id);
CREATE INDEX images_state_first_seen ON images (state, first_seen, id);
CREATE INDEX images_state_image      ON images (state, image, hostname);
CREATE INDEX images_state_host       ON images (state, hostname, image);
CREATE INDEX images_snoozed_until    ON images (snoozed_until) WHERE state = 'snoozed';

CREATE TABLE events_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO events_new (id, image_id, received_at, diun_version, hostname, status, provider, image,
                        hub_link, mime_type, digest, created, platform, metadata, raw_body)
SELECT id, image_id, received_at, diun_version, hostname, status, provider, image,
       hub_link, mime_type, digest, created, platform, metadata, raw_body
FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_image_id    ON events (image_id, id);
CREATE INDEX events_received_at ON events (received_at);
CREATE INDEX events_checks      ON events (id) WHERE image_id IS NULL;

CREATE TABLE tags_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT      NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO tags_new (id, name, created_at) SELECT id, name, created_at FROM tags;
DROP TABLE tags;
ALTER TABLE tags_new RENAME TO tags;

CREATE TABLE state_changes_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id    INTEGER   NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    changed_at  TIMESTAMP NOT NULL,
    actor       TEXT      NOT NULL,
    digest      TEXT      NOT NULL,
    from_state  TEXT      NOT NULL,
    from_until  TIMESTAMP,
    to_state    TEXT      NOT NULL,
    to_until    TIMESTAMP
);
INSERT INTO state_changes_new (id, image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until)
SELECT id, image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until
FROM state_changes;
DROP TABLE state_changes;
ALTER TABLE state_changes_new RENAME TO state_changes;
CREATE INDEX state_changes_image      ON state_changes (image_id, id);
CREATE INDEX state_changes_changed_at ON state_changes (changed_at);

CREATE TABLE api_tokens_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT      NOT NULL,
    token_hash   TEXT      NOT NULL UNIQUE,
    prefix       TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    scope        TEXT      NOT NULL DEFAULT 'read' CHECK (scope IN ('read', 'write'))
);
INSERT INTO api_tokens_new (id, name, token_hash, prefix, created_at, last_used_at, scope)
SELECT id, name, token_hash, prefix, created_at, last_used_at, scope
FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

-- migrate:down
-- The same rebuild without AUTOINCREMENT; ids may then be reused again.
CREATE TABLE images_old (
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
INSERT INTO images_old SELECT * FROM images;
DROP TABLE images;
ALTER TABLE images_old RENAME TO images;
CREATE INDEX images_last_seen        ON images (last_seen, id);
CREATE INDEX images_first_seen       ON images (first_seen, id);
CREATE INDEX images_image_host       ON images (image, hostname);
CREATE INDEX images_state_last_seen  ON images (state, last_seen, id);
CREATE INDEX images_state_first_seen ON images (state, first_seen, id);
CREATE INDEX images_state_image      ON images (state, image, hostname);
CREATE INDEX images_state_host       ON images (state, hostname, image);
CREATE INDEX images_snoozed_until    ON images (snoozed_until) WHERE state = 'snoozed';

CREATE TABLE events_old (
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
INSERT INTO events_old SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE INDEX events_image_id    ON events (image_id, id);
CREATE INDEX events_received_at ON events (received_at);
CREATE INDEX events_checks      ON events (id) WHERE image_id IS NULL;

CREATE TABLE tags_old (
    id         INTEGER PRIMARY KEY,
    name       TEXT      NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO tags_old SELECT * FROM tags;
DROP TABLE tags;
ALTER TABLE tags_old RENAME TO tags;

CREATE TABLE state_changes_old (
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
INSERT INTO state_changes_old SELECT * FROM state_changes;
DROP TABLE state_changes;
ALTER TABLE state_changes_old RENAME TO state_changes;
CREATE INDEX state_changes_image      ON state_changes (image_id, id);
CREATE INDEX state_changes_changed_at ON state_changes (changed_at);

CREATE TABLE api_tokens_old (
    id           INTEGER PRIMARY KEY,
    name         TEXT      NOT NULL,
    token_hash   TEXT      NOT NULL UNIQUE,
    prefix       TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    scope        TEXT      NOT NULL DEFAULT 'read' CHECK (scope IN ('read', 'write'))
);
INSERT INTO api_tokens_old SELECT * FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_old RENAME TO api_tokens;
