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
