-- name: CreateSession :exec
INSERT INTO sessions (id_hash, username, credential, created_at, last_seen_at, expires_at)
VALUES (sqlc.arg(id_hash), sqlc.arg(username), sqlc.arg(credential), sqlc.arg(created_at), sqlc.arg(last_seen_at), sqlc.arg(expires_at));

-- name: GetSession :one
SELECT * FROM sessions WHERE id_hash = sqlc.arg(id_hash);

-- name: TouchSession :execrows
UPDATE sessions SET last_seen_at = sqlc.arg(last_seen_at), expires_at = sqlc.arg(expires_at)
WHERE id_hash = sqlc.arg(id_hash);

-- name: DeleteSession :execrows
DELETE FROM sessions WHERE id_hash = sqlc.arg(id_hash);

-- name: DeleteAllSessions :execrows
-- Signs everybody out everywhere: after a password change or a lost device.
DELETE FROM sessions;

-- name: DeleteExpiredSessions :execrows
-- Served by sessions_expires_at.
DELETE FROM sessions WHERE expires_at <= sqlc.arg(now);

-- name: CreateAPIToken :one
INSERT INTO api_tokens (name, token_hash, prefix, scope, created_at)
VALUES (sqlc.arg(name), sqlc.arg(token_hash), sqlc.arg(prefix), sqlc.arg(scope), sqlc.arg(created_at))
RETURNING *;

-- name: ListAPITokens :many
SELECT * FROM api_tokens ORDER BY created_at DESC, id DESC;

-- name: GetAPITokenByHash :one
SELECT * FROM api_tokens WHERE token_hash = sqlc.arg(token_hash);

-- name: TouchAPIToken :execrows
UPDATE api_tokens SET last_used_at = sqlc.arg(last_used_at) WHERE id = sqlc.arg(id);

-- name: DeleteAPIToken :execrows
DELETE FROM api_tokens WHERE id = sqlc.arg(id);
