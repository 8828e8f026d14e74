package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"diundashboard/gen/sqlitedb"
)

// TakeLease claims the lease name for holder until until, or extends it when holder has it
// already; it reports false when another holder has it beyond now. Replicas that share a
// PostgreSQL database use it so that a periodic job (the Diun reconcile) runs once per interval.
func (d *db) TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	var taken bool
	err := d.writeTx(ctx, func(q queries) error {
		if err := q.DeleteExpiredLease(ctx, sqlitedb.DeleteExpiredLeaseParams{Name: name, Now: dbTime(now)}); err != nil {
			return err
		}
		n, err := q.TakeLease(ctx, sqlitedb.TakeLeaseParams{Name: name, Holder: holder, HeldUntil: dbTime(until)})
		taken = n > 0
		return err
	})
	return taken, err
}

func (d *db) LiveLease(ctx context.Context, pattern string, now time.Time) (string, time.Time, error) {
	row, err := d.read.LiveLease(ctx, sqlitedb.LiveLeaseParams{Pattern: pattern, Now: dbTime(now)})
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("lease %q: %w", pattern, ErrNotFound)
	}
	return row.Name, row.HeldUntil, err
}

func (d *db) DeleteExpiredLeases(ctx context.Context, pattern string, now time.Time) (int64, error) {
	return d.write.DeleteExpiredLeases(ctx, sqlitedb.DeleteExpiredLeasesParams{Pattern: pattern, Now: dbTime(now)})
}
