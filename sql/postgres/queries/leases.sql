-- name: DeleteExpiredLease :exec
-- A lease whose time is over is free: TakeLease's insert may then claim it.
DELETE FROM leases WHERE name = sqlc.arg(name) AND held_until <= sqlc.arg(now);

-- name: TakeLease :execrows
-- Claims a free lease, or extends one this holder has; 0 rows when another holder has it. Run in
-- the same transaction as DeleteExpiredLease. On PostgreSQL a concurrent claim waits on the
-- primary key, then finds the row and changes nothing.
INSERT INTO leases (name, holder, held_until) VALUES (sqlc.arg(name), sqlc.arg(holder), sqlc.arg(held_until))
ON CONFLICT (name) DO UPDATE SET held_until = excluded.held_until
WHERE leases.holder = excluded.holder;

-- name: LiveLease :one
-- The lease matching pattern (a LIKE pattern, such as 'server:%') that is held longest beyond
-- now: a running server holds one of its own (server.CheckNotRunning).
SELECT name, held_until FROM leases
WHERE name LIKE sqlc.arg(pattern) AND held_until > sqlc.arg(now)
ORDER BY held_until DESC
LIMIT 1;

-- name: DeleteExpiredLeases :execrows
-- Forgets the leases matching pattern whose time is over: each start of a server takes a lease
-- of a new name (server.noteRunning), so a stopped or crashed one's would stay.
DELETE FROM leases WHERE name LIKE sqlc.arg(pattern) AND held_until <= sqlc.arg(now);
