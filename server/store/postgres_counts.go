package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The counts that triggers keep beside the data (event_days, image_counts, tag_counts: see
// the migrations 20261130000101-103) are derived: an import on PostgreSQL defers them and
// rebuilds them once it is done. SQLite needs neither.

// deferCounts makes PostgreSQL's count triggers skip the rest of tx (recountAll rebuilds the
// counts after the import): Postgres's db.startImport. An import inserts row by row in one
// long transaction: each statement's trigger would rewrite the same count row, and each
// rewrite walks past every version the transaction left before it (measured: an import slowed
// by 60% at 30,000 events, quadratic beyond). SQLite updates its count rows in place and keeps
// its triggers.
func deferCounts(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SET LOCAL diundashboard.defer_counts = 'on'`)
	return err
}

// recountStatements rebuild every count from the data, as the migrations' backfills do.
var recountStatements = []string{
	// Writers wait until the counts are rebuilt, so that none is counted twice or missed.
	`LOCK TABLE events, images, image_tags IN SHARE MODE`,
	`DELETE FROM event_days`,
	`INSERT INTO event_days (day, slot, events)
	 SELECT (received_at AT TIME ZONE 'UTC')::date, 0, count(*) FROM events WHERE image_id IS NOT NULL GROUP BY 1`,
	`DELETE FROM image_counts`,
	`INSERT INTO image_counts (hostname, state, images) SELECT hostname, state, count(*) FROM images GROUP BY 1, 2`,
	`DELETE FROM tag_counts`,
	`INSERT INTO tag_counts (tag_id, images) SELECT tag_id, count(*) FROM image_tags GROUP BY 1`,
}

// recountAll rebuilds PostgreSQL's counts after an import, in one transaction.
func (p *Postgres) recountAll(ctx context.Context) error {
	tx, err := p.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for _, q := range recountStatements {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rebuilding the counts after the import: %w", err)
		}
	}
	return tx.Commit()
}
