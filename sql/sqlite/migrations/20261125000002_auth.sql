-- migrate:up
-- Signed-in browser sessions. The cookie carries a random id; only its SHA-256 is stored, so a
-- copy of the database does not let anyone sign in.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    username     TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- API tokens for machine clients (Authorization: Bearer). Only the SHA-256 of a token is kept;
-- prefix is its first characters, shown so that a person can tell tokens apart.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT      NOT NULL,
    token_hash   TEXT      NOT NULL UNIQUE,
    prefix       TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);

-- migrate:down
DROP TABLE api_tokens;
DROP TABLE sessions;
