package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"diundashboard/internal/textutil"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
)

// The notifications' state in a copy or an export: the queue of images still to announce and
// the outbox of messages sent or to send. Without them a copy's first start announced again
// every image its import queued (each imported open image fires the queue's trigger) and sent
// the day's digest a second time (its slot was not in the new outbox).

// NotifyCopyTables are the tables that exports from before they were copied lack: an import
// of such a file starts with them empty.
var NotifyCopyTables = []string{"notify_queue", "notify_outbox"}

type (
	notifyQueueCols struct {
		ID       int64     `json:"id"`
		ImageID  int64     `json:"image_id"`
		Digest   string    `json:"digest"`
		QueuedAt time.Time `json:"queued_at"`
	}
	notifyOutboxCols struct {
		ID            int64      `json:"id"`
		Kind          string     `json:"kind"`
		Slot          *string    `json:"slot"`
		Target        string     `json:"target"`
		TargetLabel   string     `json:"target_label"`
		Title         string     `json:"title"`
		Body          string     `json:"body"`
		Items         int64      `json:"items"`
		CreatedAt     time.Time  `json:"created_at"`
		Attempts      int64      `json:"attempts"`
		NextAttemptAt time.Time  `json:"next_attempt_at"`
		LeaseUntil    *time.Time `json:"lease_until"`
		LastAttemptAt *time.Time `json:"last_attempt_at"`
		LastError     string     `json:"last_error"`
		SentAt        *time.Time `json:"sent_at"`
		Content       string     `json:"content"`
	}
	notifyQueueRecord struct {
		Table string `json:"table"`
		notifyQueueCols
	}
	notifyOutboxRecord struct {
		Table string `json:"table"`
		notifyOutboxCols
	}
)

func (r *notifyQueueRecord) normalise() {
	r.Table = "notify_queue"
	normTime(&r.QueuedAt)
}

func (r *notifyOutboxRecord) normalise() {
	r.Table = "notify_outbox"
	normTime(&r.CreatedAt)
	normTime(&r.NextAttemptAt)
	normTimePtr(&r.LeaseUntil)
	normTimePtr(&r.LastAttemptAt)
	normTimePtr(&r.SentAt)
}

func (r *notifyQueueRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportNotifyQueue(ctx, sqlitedb.ImportNotifyQueueParams(r.notifyQueueCols))
}

func (r *notifyOutboxRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportNotifyOutbox(ctx, sqlitedb.ImportNotifyOutboxParams(r.notifyOutboxCols))
}

// exportNotifyRows is ExportRows for the notification tables.
func exportNotifyRows(ctx context.Context, q copyQueries, table string, after RowKey, n int64) ([]Row, RowKey, error) {
	if table == "notify_queue" {
		rows, err := q.ExportNotifyQueue(ctx, sqlitedb.ExportNotifyQueueParams{AfterID: after.ID, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.NotifyQueue) record {
			return &notifyQueueRecord{notifyQueueCols: notifyQueueCols(m)}
		}, func(m sqlitedb.NotifyQueue) RowKey { return RowKey{ID: m.ID} })
	}
	rows, err := q.ExportNotifyOutbox(ctx, sqlitedb.ExportNotifyOutboxParams{AfterID: after.ID, PageSize: n})
	if err != nil {
		return nil, after, err
	}
	return exportPage(table, rows, func(m sqlitedb.NotifyOutbox) record {
		return &notifyOutboxRecord{notifyOutboxCols: notifyOutboxCols(m)}
	}, func(m sqlitedb.NotifyOutbox) RowKey { return RowKey{ID: m.ID} })
}

func (p pgCopyQueries) ExportNotifyQueue(ctx context.Context, arg sqlitedb.ExportNotifyQueueParams) ([]sqlitedb.NotifyQueue, error) {
	rows, err := p.q.ExportNotifyQueue(ctx, postgresdb.ExportNotifyQueueParams(arg))
	return convertRows(rows, func(r postgresdb.NotifyQueue) sqlitedb.NotifyQueue { return sqlitedb.NotifyQueue(r) }), err
}

func (p pgCopyQueries) ExportNotifyOutbox(ctx context.Context, arg sqlitedb.ExportNotifyOutboxParams) ([]sqlitedb.NotifyOutbox, error) {
	rows, err := p.q.ExportNotifyOutbox(ctx, postgresdb.ExportNotifyOutboxParams(arg))
	return convertRows(rows, func(r postgresdb.NotifyOutbox) sqlitedb.NotifyOutbox { return sqlitedb.NotifyOutbox(r) }), err
}

func (p pgCopyQueries) UnqueueImportedImage(ctx context.Context, imageID int64) error {
	return p.q.UnqueueImportedImage(ctx, imageID)
}

func (p pgCopyQueries) ImportNotifyQueue(ctx context.Context, arg sqlitedb.ImportNotifyQueueParams) error {
	return p.q.ImportNotifyQueue(ctx, postgresdb.ImportNotifyQueueParams(arg))
}

func (p pgCopyQueries) ImportNotifyOutbox(ctx context.Context, arg sqlitedb.ImportNotifyOutboxParams) error {
	return p.q.ImportNotifyOutbox(ctx, postgresdb.ImportNotifyOutboxParams(arg))
}

// Limits of an imported outbox row: what the dashboard writes is far below them (a message fits
// the largest destination's 64 KiB; its content lists at most the images of one message).
const (
	maxOutboxText    = 64 << 10
	maxOutboxContent = 1 << 20
)

func (r *notifyQueueRecord) validate() error {
	if err := checkID("notify_queue", "id", r.ID); err != nil {
		return err
	}
	if err := checkID("notify_queue", "image_id", r.ImageID); err != nil {
		return err
	}
	return checkLine("notify_queue", "digest", r.Digest, MaxFieldLen)
}

// validate checks an outbox row as the dashboard writes them: a message is re-composed from its
// content when it is sent, so the content must be the JSON the dashboard wrote, and the rest
// plain bounded text.
func (r *notifyOutboxRecord) validate() error {
	const table = "notify_outbox"
	if err := checkID(table, "id", r.ID); err != nil {
		return err
	}
	switch r.Kind {
	case OutboxNew, OutboxDigest, OutboxTest:
	default:
		return invalidRow(table, "kind %q is not new, digest or test", textutil.Truncate(r.Kind, 40))
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"target", r.Target, MaxFieldLen}, {"target_label", r.TargetLabel, MaxFieldLen}, {"title", r.Title, MaxFieldLen}} {
		if err := checkLine(table, f.name, f.value, f.max); err != nil {
			return err
		}
	}
	if r.Slot != nil {
		if err := checkLine(table, "slot", *r.Slot, MaxFieldLen); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, value string }{{"body", r.Body}, {"last_error", r.LastError}} {
		if err := checkText(f.name, f.value, maxOutboxText); err != nil {
			return fmt.Errorf("table %s: %w", table, err)
		}
	}
	if len(r.Content) > maxOutboxContent || r.Content != "" && !json.Valid([]byte(r.Content)) {
		return invalidRow(table, "content is not the JSON the dashboard writes (at most %d bytes)", maxOutboxContent)
	}
	if r.Items < 0 || r.Attempts < 0 {
		return invalidRow(table, "items %d or attempts %d is negative", r.Items, r.Attempts)
	}
	return nil
}
