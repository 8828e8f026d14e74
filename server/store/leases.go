package store

import (
	"context"
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
