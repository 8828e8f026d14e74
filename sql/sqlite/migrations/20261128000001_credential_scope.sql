-- migrate:up
-- What an API token may do: 'read' (API reads, the live stream, the feed) or 'write' (also
-- triage). Managing credentials needs a person, never a token. Tokens made before scopes
-- existed could triage, so they keep 'write'; new tokens name their scope.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'read' CHECK (scope IN ('read', 'write'));
UPDATE api_tokens SET scope = 'write';

-- A fingerprint of the credential (user and password hash) a session was signed in with: a
-- changed password ends every session made with the old one. Sessions from before this
-- column have none and end, so everyone signs in once more after the upgrade.
ALTER TABLE sessions ADD COLUMN credential TEXT NOT NULL DEFAULT '';

-- migrate:down
ALTER TABLE sessions DROP COLUMN credential;
ALTER TABLE api_tokens DROP COLUMN scope;
