-- name: GetSetting :one
SELECT value FROM settings WHERE key = sqlc.arg(key);

-- name: PutSetting :exec
INSERT INTO settings (key, value, updated_at) VALUES (sqlc.arg(key), sqlc.arg(value), sqlc.arg(updated_at))
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: InsertSettingIfAbsent :execrows
-- For values generated once (the webhook token): the first writer wins, also across replicas.
INSERT INTO settings (key, value, updated_at) VALUES (sqlc.arg(key), sqlc.arg(value), sqlc.arg(updated_at))
ON CONFLICT (key) DO NOTHING;
