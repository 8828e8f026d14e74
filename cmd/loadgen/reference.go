package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"diundashboard/gen/sqlitedb"
	"diundashboard/internal/dbtype"
	"diundashboard/server/store"
)

// runReference is the yardstick of SQLite ingest: the simplest fast writer of the same rows
// on the same schema (triggers included), with nothing of the server around it — one
// goroutine, one connection, the store's prepared upsert and event insert, batch
// notifications per transaction. Each notification's latency is its batch's. bare drops the
// schema's upkeep triggers first (counts, search, notification queue), to price them.
func runReference(ctx context.Context, notes []store.Notification, batch int, bare bool) (result, error) {
	dir, err := os.MkdirTemp("", "loadgen-ref")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	dbURL := "sqlite:" + filepath.Join(dir, "ref.db")
	if err := store.Migrate(ctx, dbURL); err != nil {
		return result{}, err
	}
	t, err := store.ParseURL(dbURL)
	if err != nil {
		return result{}, err
	}
	db, err := sql.Open("sqlite", t.SQLiteDSN(false))
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// As the binary runs by default: notifications off, so nothing is queued for them.
	if _, err := db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, 'off', ?)`, store.NotifyQueueSetting, time.Now().UTC()); err != nil {
		return result{}, err
	}
	if bare {
		if err := dropUpkeepTriggers(ctx, db); err != nil {
			return result{}, err
		}
	}
	q, err := sqlitedb.Prepare(ctx, db)
	if err != nil {
		return result{}, err
	}
	defer q.Close()

	res := result{failures: map[string]int{}, latencies: make([]time.Duration, 0, len(notes))}
	start := time.Now()
	for from := 0; from < len(notes); from += batch {
		part := notes[from:min(from+batch, len(notes))]
		t0 := time.Now()
		if err := referenceBatch(ctx, db, q, part); err != nil {
			res.failures[err.Error()] += len(part)
			continue
		}
		d := time.Since(t0)
		for range part {
			res.latencies = append(res.latencies, d)
		}
	}
	res.elapsed = time.Since(start)
	res.n = len(res.latencies)
	slices.Sort(res.latencies)
	return res, nil
}

func referenceBatch(ctx context.Context, db *sql.DB, q *sqlitedb.Queries, notes []store.Notification) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	qtx := q.WithTx(tx)
	for _, n := range notes {
		now := time.Now().UTC().Truncate(time.Microsecond)
		var meta dbtype.JSON
		if n.Metadata != nil {
			if meta, err = json.Marshal(n.Metadata); err != nil {
				return err
			}
		}
		// The store's statements: the upsert that leaves state alone, the full one when the
		// notification reopens the image (see UpsertImageKeepState).
		p := sqlitedb.UpsertImageParams{
			Hostname: n.Hostname, Image: n.Image, Digest: n.Digest, Status: n.Status, Provider: n.Provider,
			HubLink: n.HubLink, MimeType: n.MimeType, Platform: n.Platform, Created: n.Created,
			Metadata: meta, SeenAt: now, InitialState: "open",
		}
		row, err := qtx.UpsertImageKeepState(ctx, sqlitedb.UpsertImageKeepStateParams(p))
		if errors.Is(err, sql.ErrNoRows) {
			var full sqlitedb.UpsertImageRow
			full, err = qtx.UpsertImage(ctx, p)
			row = sqlitedb.UpsertImageKeepStateRow(full)
		}
		if err != nil {
			return fmt.Errorf("upsert: %w", err)
		}
		if _, err := qtx.InsertEvent(ctx, sqlitedb.InsertEventParams{
			ImageID: &row.ID, ReceivedAt: now, DiunVersion: n.DiunVersion, Hostname: n.Hostname,
			Status: n.Status, Provider: n.Provider, Image: n.Image, HubLink: n.HubLink, MimeType: n.MimeType,
			Digest: n.Digest, Created: n.Created, Platform: n.Platform, Metadata: meta, RawBody: string(n.RawBody),
			Source: "webhook",
		}); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
	}
	return tx.Commit()
}

// dropUpkeepTriggers drops the triggers that keep derived tables (image_counts, tag_counts,
// event_days, image_search, notify_queue) as rows change; the audit trigger stays, as it
// records what happened rather than a figure that could be recounted.
func dropUpkeepTriggers(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'trigger'
		AND (name LIKE '%count%' OR name LIKE '%search%' OR name LIKE 'notify_queue%')`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if len(names) == 0 {
		return fmt.Errorf("no upkeep triggers found: the schema changed, update dropUpkeepTriggers")
	}
	for _, name := range names {
		if _, err := db.ExecContext(ctx, "DROP TRIGGER "+name); err != nil {
			return err
		}
	}
	return nil
}
