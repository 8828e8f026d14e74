package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
)

// The notification outbox (server/notify). Database triggers queue every image that becomes
// open, in the transaction that opens it (migration 20261130000201); ComposeQueued turns
// queued images into outbox rows in one transaction; a worker leases each row, sends it and
// marks it sent. Each row is one message to one destination, so that a destination that fails
// is retried alone and the others do not hear the message twice.

// Outbox kinds.
const (
	OutboxNew    = "new"    // images that became open
	OutboxDigest = "digest" // the scheduled summary
	OutboxTest   = "test"   // "Send a test" on the Notifications page
)

// QueuedUpdate is one queued image with what a message says about it, as it is now.
type QueuedUpdate struct {
	QueueID  int64
	ImageID  int64
	QueuedAt time.Time
	// QueuedDigest is the digest that opened it; Digest is the image's digest now.
	QueuedDigest string
	Hostname     string
	Image        string
	Digest       string
	Status       string
	State        State
	Created      *time.Time
	Platform     string
	// FirstSeen is when the dashboard first heard of the image: an image queued at its first
	// notification is new to the dashboard, whatever Diun's status says.
	FirstSeen time.Time
}

// OutboxMessage is one message to write to the outbox, once per target.
type OutboxMessage struct {
	Kind string
	// Slot names a scheduled message ("digest 2026-11-30T08:00:00+01:00"): the outbox keeps
	// one per slot and target, however many replicas write it. "" for others.
	Slot  string
	Title string
	Body  string
	// Items is how many images the message is about.
	Items int
	// Content is what the message is about, for the worker to compose it again for each
	// destination when it sends it (JSON, server/notify); "" to send Title and Body as they are.
	Content string
}

// OutboxTarget is one destination: Key identifies it in the database (a hash of its URL) and
// Label is what people see (the URL with its secrets masked).
type OutboxTarget struct {
	Key, Label string
}

// OutboxRow is one message to one destination.
type OutboxRow struct {
	ID            int64
	Kind          string
	Slot          string
	Target        string
	TargetLabel   string
	Title         string
	Body          string
	Items         int64
	CreatedAt     time.Time
	Attempts      int64
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	LastAttemptAt *time.Time
	LastError     string
	SentAt        *time.Time
	Content       string
}

// NotifyOutbox is the store side of notifications. Every method is one transaction.
type NotifyOutbox interface {
	// ComposeQueued takes the oldest limit queued images (on PostgreSQL locked, so that other
	// replicas skip them) and calls compose with them. When compose returns a message, it is
	// written to the outbox once per target and the images given to compose leave the queue,
	// in the same transaction (a message with an empty Body only empties the queue); when it
	// returns nil (not due yet, say) nothing changes. It reports whether the queue changed.
	ComposeQueued(ctx context.Context, limit int, targets []OutboxTarget, now time.Time, compose func([]QueuedUpdate) (*OutboxMessage, error)) (bool, error)
	// EnqueueOutbox writes msg once per target and returns how many rows it wrote (fewer
	// when msg.Slot is already there for a target).
	EnqueueOutbox(ctx context.Context, msg OutboxMessage, targets []OutboxTarget, now time.Time) (int64, error)
	// LeaseOutbox takes the next row due at now for one of targets (keys) until leaseUntil,
	// counting an attempt; ErrNotFound when none is due.
	LeaseOutbox(ctx context.Context, targets []string, now, leaseUntil time.Time) (OutboxRow, error)
	// MarkOutboxSent and MarkOutboxFailed end a lease: sent, or to be tried again at next.
	MarkOutboxSent(ctx context.Context, id int64, now time.Time) error
	MarkOutboxFailed(ctx context.Context, id int64, lastError string, next time.Time) error
	// ListOutbox returns the newest rows, newest first.
	ListOutbox(ctx context.Context, limit int) ([]OutboxRow, error)
	// CountOutboxUnsent counts the rows not sent yet.
	CountOutboxUnsent(ctx context.Context) (int64, error)
	// PruneOutbox deletes rows sent before cutoff, and rows made before it that were never
	// sent, in batches.
	PruneOutbox(ctx context.Context, cutoff time.Time) (int64, error)
	// DropQueuedBefore empties the queue of images queued before cutoff.
	DropQueuedBefore(ctx context.Context, cutoff time.Time) (int64, error)
	// SetNotifyQueue turns the queue on or off: off, images that become open are not queued
	// (the database's triggers read the setting NotifyQueueSetting), and nothing is written
	// for a notification service that is not running.
	SetNotifyQueue(ctx context.Context, on bool) error
	// OldestOpenImage is the open image that has waited longest; ErrNotFound when none is open.
	OldestOpenImage(ctx context.Context) (Image, error)
	// ImageStates are the states of the images of ids now; an image deleted since is absent.
	ImageStates(ctx context.Context, ids []int64) (map[int64]State, error)
}

// notifyQueries are the queries of sql/<dialect>/queries/notify.sql, in the SQLite package's
// types; pgNotifyQueries converts.
type notifyQueries interface {
	NotifyQueued(ctx context.Context, pageSize int64) ([]sqlitedb.NotifyQueuedRow, error)
	DeleteNotifyQueued(ctx context.Context, ids string) (int64, error)
	DeleteNotifyQueuedBefore(ctx context.Context, before time.Time) (int64, error)
	InsertNotifyOutbox(ctx context.Context, arg sqlitedb.InsertNotifyOutboxParams) (int64, error)
	LeaseNotifyOutbox(ctx context.Context, arg sqlitedb.LeaseNotifyOutboxParams) (sqlitedb.NotifyOutbox, error)
	MarkNotifySent(ctx context.Context, arg sqlitedb.MarkNotifySentParams) (int64, error)
	MarkNotifyFailed(ctx context.Context, arg sqlitedb.MarkNotifyFailedParams) (int64, error)
	ListNotifyOutbox(ctx context.Context, pageSize int64) ([]sqlitedb.NotifyOutbox, error)
	CountNotifyUnsent(ctx context.Context) (int64, error)
	PruneNotifyOutbox(ctx context.Context, arg sqlitedb.PruneNotifyOutboxParams) (int64, error)
	OldestOpenImage(ctx context.Context) (sqlitedb.Image, error)
	NotifyImageStates(ctx context.Context, ids string) ([]sqlitedb.NotifyImageStatesRow, error)
}

var _ notifyQueries = (*sqlitedb.Queries)(nil)

type pgNotifyQueries struct{ q *postgresdb.Queries }

func (p pgNotifyQueries) NotifyQueued(ctx context.Context, pageSize int64) ([]sqlitedb.NotifyQueuedRow, error) {
	rows, err := p.q.NotifyQueued(ctx, int32(pageSize))
	out := make([]sqlitedb.NotifyQueuedRow, len(rows))
	for i, r := range rows {
		out[i] = sqlitedb.NotifyQueuedRow(r)
	}
	return out, err
}

func (p pgNotifyQueries) DeleteNotifyQueued(ctx context.Context, ids string) (int64, error) {
	return p.q.DeleteNotifyQueued(ctx, ids)
}

func (p pgNotifyQueries) DeleteNotifyQueuedBefore(ctx context.Context, before time.Time) (int64, error) {
	return p.q.DeleteNotifyQueuedBefore(ctx, before)
}

func (p pgNotifyQueries) InsertNotifyOutbox(ctx context.Context, arg sqlitedb.InsertNotifyOutboxParams) (int64, error) {
	return p.q.InsertNotifyOutbox(ctx, postgresdb.InsertNotifyOutboxParams(arg))
}

func (p pgNotifyQueries) LeaseNotifyOutbox(ctx context.Context, arg sqlitedb.LeaseNotifyOutboxParams) (sqlitedb.NotifyOutbox, error) {
	r, err := p.q.LeaseNotifyOutbox(ctx, postgresdb.LeaseNotifyOutboxParams(arg))
	return sqlitedb.NotifyOutbox(r), err
}

func (p pgNotifyQueries) MarkNotifySent(ctx context.Context, arg sqlitedb.MarkNotifySentParams) (int64, error) {
	return p.q.MarkNotifySent(ctx, postgresdb.MarkNotifySentParams(arg))
}

func (p pgNotifyQueries) MarkNotifyFailed(ctx context.Context, arg sqlitedb.MarkNotifyFailedParams) (int64, error) {
	return p.q.MarkNotifyFailed(ctx, postgresdb.MarkNotifyFailedParams(arg))
}

func (p pgNotifyQueries) ListNotifyOutbox(ctx context.Context, pageSize int64) ([]sqlitedb.NotifyOutbox, error) {
	rows, err := p.q.ListNotifyOutbox(ctx, int32(pageSize))
	out := make([]sqlitedb.NotifyOutbox, len(rows))
	for i, r := range rows {
		out[i] = sqlitedb.NotifyOutbox(r)
	}
	return out, err
}

func (p pgNotifyQueries) CountNotifyUnsent(ctx context.Context) (int64, error) {
	return p.q.CountNotifyUnsent(ctx)
}

func (p pgNotifyQueries) PruneNotifyOutbox(ctx context.Context, arg sqlitedb.PruneNotifyOutboxParams) (int64, error) {
	return p.q.PruneNotifyOutbox(ctx, postgresdb.PruneNotifyOutboxParams{Before: arg.Before, PageSize: int32(arg.PageSize)})
}

func (p pgNotifyQueries) NotifyImageStates(ctx context.Context, ids string) ([]sqlitedb.NotifyImageStatesRow, error) {
	rows, err := p.q.NotifyImageStates(ctx, ids)
	return convertRows(rows, func(r postgresdb.NotifyImageStatesRow) sqlitedb.NotifyImageStatesRow {
		return sqlitedb.NotifyImageStatesRow(r)
	}), err
}

func (p pgNotifyQueries) OldestOpenImage(ctx context.Context) (sqlitedb.Image, error) {
	r, err := p.q.OldestOpenImage(ctx)
	return sqlitedb.Image(r), err
}

// notifyOn runs the notify queries on a pool or a transaction, in the store's dialect (set by
// sqlite.go and postgres.go).
func (d *db) notifyOn(tx sqlitedb.DBTX) notifyQueries { return d.notifyQueries(tx) }

func (d *db) ComposeQueued(ctx context.Context, limit int, targets []OutboxTarget, now time.Time, compose func([]QueuedUpdate) (*OutboxMessage, error)) (bool, error) {
	if limit <= 0 {
		return false, fmt.Errorf("%w: limit %d", ErrInvalid, limit)
	}
	for attempt := 0; ; attempt++ {
		wrote, err := d.composeQueuedOnce(ctx, limit, targets, now, compose)
		if !isTransient(err) || attempt == 2 {
			return wrote, err
		}
	}
}

func (d *db) composeQueuedOnce(ctx context.Context, limit int, targets []OutboxTarget, now time.Time, compose func([]QueuedUpdate) (*OutboxMessage, error)) (bool, error) {
	tx, err := d.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()
	q := d.notifyOn(tx)
	rows, err := q.NotifyQueued(ctx, int64(limit))
	if err != nil || len(rows) == 0 {
		return false, err
	}
	items := make([]QueuedUpdate, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		items[i] = QueuedUpdate{QueueID: r.ID, ImageID: r.ImageID, QueuedAt: r.QueuedAt.UTC(), QueuedDigest: r.QueuedDigest,
			Hostname: r.Hostname, Image: r.Image, Digest: r.Digest, Status: r.Status, State: State(r.State),
			Created: utcPtr(r.Created), Platform: r.Platform, FirstSeen: r.FirstSeen.UTC()}
	}
	msg, err := compose(items)
	if err != nil || msg == nil {
		return false, err
	}
	// A message without a body (nothing left to say: acknowledged meanwhile) only takes the
	// items off the queue.
	if msg.Body != "" {
		if err := insertOutbox(ctx, q, *msg, targets, now); err != nil {
			return false, err
		}
	}
	list, _ := json.Marshal(ids) // a slice of numbers always encodes
	if _, err := q.DeleteNotifyQueued(ctx, string(list)); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

func insertOutbox(ctx context.Context, q notifyQueries, msg OutboxMessage, targets []OutboxTarget, now time.Time) error {
	_, err := insertOutboxCount(ctx, q, msg, targets, now)
	return err
}

func insertOutboxCount(ctx context.Context, q notifyQueries, msg OutboxMessage, targets []OutboxTarget, now time.Time) (int64, error) {
	var wrote int64
	for _, t := range targets {
		n, err := q.InsertNotifyOutbox(ctx, sqlitedb.InsertNotifyOutboxParams{
			Kind: msg.Kind, Slot: nilIfEmpty(msg.Slot), Target: t.Key, TargetLabel: t.Label,
			Title: msg.Title, Body: msg.Body, Items: int64(msg.Items), CreatedAt: dbTime(now), Content: msg.Content,
		})
		if err != nil {
			return wrote, fmt.Errorf("writing the %s message for %s to the outbox: %w", msg.Kind, t.Label, err)
		}
		wrote += n
	}
	return wrote, nil
}

func (d *db) EnqueueOutbox(ctx context.Context, msg OutboxMessage, targets []OutboxTarget, now time.Time) (int64, error) {
	tx, err := d.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	n, err := insertOutboxCount(ctx, d.notifyOn(tx), msg, targets, now)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

func (d *db) LeaseOutbox(ctx context.Context, targets []string, now, leaseUntil time.Time) (OutboxRow, error) {
	if targets == nil {
		targets = []string{}
	}
	list, _ := json.Marshal(targets) // strings always encode
	r, err := d.notifyOn(d.writeDB).LeaseNotifyOutbox(ctx, sqlitedb.LeaseNotifyOutboxParams{
		LeaseUntil: dbTimePtr(&leaseUntil), Now: dbTimePtr(&now), Targets: string(list),
	})
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxRow{}, ErrNotFound
	}
	if err != nil {
		return OutboxRow{}, err
	}
	return outboxFromRow(r), nil
}

func (d *db) MarkOutboxSent(ctx context.Context, id int64, now time.Time) error {
	_, err := d.notifyOn(d.writeDB).MarkNotifySent(ctx, sqlitedb.MarkNotifySentParams{ID: id, Now: dbTimePtr(&now)})
	return err
}

func (d *db) MarkOutboxFailed(ctx context.Context, id int64, lastError string, next time.Time) error {
	_, err := d.notifyOn(d.writeDB).MarkNotifyFailed(ctx, sqlitedb.MarkNotifyFailedParams{ID: id, LastError: lastError, NextAttemptAt: dbTime(next)})
	return err
}

func (d *db) ListOutbox(ctx context.Context, limit int) ([]OutboxRow, error) {
	rows, err := d.notifyOn(d.readDB).ListNotifyOutbox(ctx, int64(pageSize(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]OutboxRow, len(rows))
	for i, r := range rows {
		out[i] = outboxFromRow(r)
	}
	return out, nil
}

func (d *db) CountOutboxUnsent(ctx context.Context) (int64, error) {
	return d.notifyOn(d.readDB).CountNotifyUnsent(ctx)
}

func (d *db) PruneOutbox(ctx context.Context, cutoff time.Time) (int64, error) {
	q := d.notifyOn(d.writeDB)
	before := dbTime(cutoff)
	return pruneInBatches(ctx, func() (int64, error) {
		return q.PruneNotifyOutbox(ctx, sqlitedb.PruneNotifyOutboxParams{Before: &before, PageSize: pruneBatch})
	})
}

// NotifyQueueSetting is the setting the triggers of notify_queue read ('on' or 'off'; on in a
// database no server has set it in: migration 20261207000702).
const NotifyQueueSetting = "notify_queue"

func (d *db) SetNotifyQueue(ctx context.Context, on bool) error {
	value := "off"
	if on {
		value = "on"
	}
	return d.PutSetting(ctx, NotifyQueueSetting, value)
}

func (d *db) DropQueuedBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	return d.notifyOn(d.writeDB).DeleteNotifyQueuedBefore(ctx, dbTime(cutoff))
}

func (d *db) OldestOpenImage(ctx context.Context) (Image, error) {
	r, err := d.notifyOn(d.readDB).OldestOpenImage(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, ErrNotFound
	}
	if err != nil {
		return Image{}, err
	}
	return imageFromRow(r), nil
}

func (d *db) ImageStates(ctx context.Context, ids []int64) (map[int64]State, error) {
	out := make(map[int64]State, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, _ := json.Marshal(ids) // numbers always encode
	rows, err := d.notifyOn(d.readDB).NotifyImageStates(ctx, string(list))
	for _, r := range rows {
		out[r.ID] = State(r.State)
	}
	return out, err
}

func outboxFromRow(r sqlitedb.NotifyOutbox) OutboxRow {
	slot := ""
	if r.Slot != nil {
		slot = *r.Slot
	}
	return OutboxRow{ID: r.ID, Kind: r.Kind, Slot: slot, Target: r.Target, TargetLabel: r.TargetLabel,
		Title: r.Title, Body: r.Body, Items: r.Items, CreatedAt: r.CreatedAt.UTC(), Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(), LeaseUntil: utcPtr(r.LeaseUntil), LastAttemptAt: utcPtr(r.LastAttemptAt),
		LastError: r.LastError, SentAt: utcPtr(r.SentAt), Content: r.Content}
}
