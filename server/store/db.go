package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"diundashboard/gen/sqlitedb"
)

// db implements Store over the queries of either dialect. The dialects differ only in how they
// connect, how Record reaches the writer and what the functions below return: each dialect's
// file (sqlite.go, postgres.go) sets them, so that no shared code asks which dialect it runs on.
type db struct {
	dialect Dialect
	readDB  *sql.DB
	writeDB *sql.DB
	// read runs queries on the read pool, write single statements on the writer.
	read, write queries
	// inTx binds the writer's queries to a transaction.
	inTx func(*sql.Tx) queries
	// copyQueries runs the copy queries (copy.go) on a pool or a transaction.
	copyQueries func(sqlitedb.DBTX) copyQueries
	// snapshotTx begins the read transaction of Copier.Snapshot.
	snapshotTx *sql.TxOptions
	// notifyQueries runs the notification queries (notify_outbox.go) on a pool or a
	// transaction: PostgreSQL's lock what they take, SQLite's single writer needs no lock.
	notifyQueries func(sqlitedb.DBTX) notifyQueries
	// startImport, when set, prepares the transaction of an import (PostgreSQL defers its
	// count triggers: postgres_counts.go).
	startImport func(context.Context, *sql.Tx) error
}

// close closes both pools (the same one twice on PostgreSQL is harmless).
func (d *db) close() error {
	werr := d.writeDB.Close()
	rerr := d.readDB.Close()
	if werr != nil {
		return werr
	}
	return rerr
}

// scanStrings reads a one-column result of text and closes rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// writeTx runs fn in one transaction on the writer: committed when fn returns nil, rolled
// back otherwise. A transaction that lost a race (isTransient) runs again, up to three times
// in all, so fn must not keep anything from an attempt that failed.
func (d *db) writeTx(ctx context.Context, fn func(q queries) error) error {
	var err error
	for range 3 {
		if err = d.writeTxOnce(ctx, fn); !isTransient(err) {
			return err
		}
	}
	return err
}

func (d *db) writeTxOnce(ctx context.Context, fn func(q queries) error) error {
	tx, err := d.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(d.inTx(tx)); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (d *db) Dialect() Dialect { return d.dialect }

func (d *db) ListImages(ctx context.Context, f ImageFilter, s Sort, p PageRequest) (ImagePage, error) {
	if s == "" {
		s = SortLastSeen
	}
	if !s.Valid() {
		return ImagePage{}, fmt.Errorf("%w: sort %q is not one of last_seen, first_seen, image, host", ErrInvalid, s)
	}
	if err := f.validate(); err != nil {
		return ImagePage{}, err
	}
	c, err := decodeCursor(s, p.Cursor)
	if err != nil {
		return ImagePage{}, err
	}
	limit := pageSize(p.Limit)
	rows, err := d.listImages(ctx, f, c, int64(limit)+1)
	if err != nil {
		return ImagePage{}, err
	}
	page := ImagePage{Images: make([]Image, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			page.NextCursor = cursorAfter(s, page.Images[limit-1]).encode()
			break
		}
		page.Images = append(page.Images, imageFromRow(r))
	}
	if err := d.attachTags(ctx, page.Images); err != nil {
		return ImagePage{}, err
	}
	return page, nil
}

// listImages picks the query whose index serves this sort and filter (see list_images.sql).
func (d *db) listImages(ctx context.Context, f ImageFilter, c cursor, limit int64) ([]sqlitedb.Image, error) {
	host, provider, q, tag, stack := f.host(), nilIfEmpty(f.Provider), nilIfEmpty(f.Query), nilIfEmpty(f.Tag), nilIfEmpty(f.Stack)
	state := string(f.State)
	switch {
	case c.Sort == SortLastSeen && state == "":
		return d.read.ListImagesByLastSeen(ctx, sqlitedb.ListImagesByLastSeenParams{AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	case c.Sort == SortLastSeen:
		return d.read.ListImagesInStateByLastSeen(ctx, sqlitedb.ListImagesInStateByLastSeenParams{State: state, AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	case c.Sort == SortFirstSeen && state == "":
		return d.read.ListImagesByFirstSeen(ctx, sqlitedb.ListImagesByFirstSeenParams{AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	case c.Sort == SortFirstSeen:
		return d.read.ListImagesInStateByFirstSeen(ctx, sqlitedb.ListImagesInStateByFirstSeenParams{State: state, AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	case c.Sort == SortImage && state == "":
		return d.read.ListImagesByImage(ctx, sqlitedb.ListImagesByImageParams{AfterImage: c.Image, AfterHostname: c.Hostname, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	case c.Sort == SortImage:
		return d.read.ListImagesInStateByImage(ctx, sqlitedb.ListImagesInStateByImageParams{State: state, AfterImage: c.Image, AfterHostname: c.Hostname, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	case state == "":
		return d.read.ListImagesByHost(ctx, sqlitedb.ListImagesByHostParams{AfterHostname: c.Hostname, AfterImage: c.Image, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	default:
		return d.read.ListImagesInStateByHost(ctx, sqlitedb.ListImagesInStateByHostParams{State: state, AfterHostname: c.Hostname, AfterImage: c.Image, Hostname: host, Provider: provider, Q: q, Tag: tag, Stack: stack, PageSize: limit})
	}
}

// attachTags loads the tags of a page of images in one query.
func (d *db) attachTags(ctx context.Context, images []Image) error {
	if len(images) == 0 {
		return nil
	}
	ids := make([]int64, len(images))
	index := make(map[int64]int, len(images))
	for i, img := range images {
		ids[i] = img.ID
		index[img.ID] = i
	}
	idsJSON, _ := json.Marshal(ids)
	rows, err := d.read.ListImageTags(ctx, string(idsJSON))
	if err != nil {
		return err
	}
	for _, r := range rows {
		i := index[r.ImageID]
		images[i].Tags = append(images[i].Tags, Tag{ID: r.ID, Name: r.Name})
	}
	return nil
}

func (d *db) GetImage(ctx context.Context, id int64) (Image, error) {
	return d.getImage(ctx, d.read, id)
}

func (d *db) getImage(ctx context.Context, q queries, id int64) (Image, error) {
	row, err := q.GetImage(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, fmt.Errorf("image %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Image{}, err
	}
	imgs := []Image{imageFromRow(row)}
	if err := d.attachTags(ctx, imgs); err != nil {
		return Image{}, err
	}
	return imgs[0], nil
}

func (t Transition) validate() error {
	if !t.State.Valid() {
		return fmt.Errorf("%w: state %q is not one of open, acknowledged, snoozed, ignored", ErrInvalid, t.State)
	}
	if t.State == StateSnoozed && t.SnoozedUntil == nil {
		return fmt.Errorf("%w: snoozing needs a time until which to snooze", ErrInvalid)
	}
	if t.State != StateSnoozed && t.SnoozedUntil != nil {
		return fmt.Errorf("%w: only a snooze takes a time", ErrInvalid)
	}
	return nil
}

func (d *db) CreateTag(ctx context.Context, name string) (Tag, error) {
	name, err := validTagName(name)
	if err != nil {
		return Tag{}, err
	}
	row, err := d.write.CreateTag(ctx, sqlitedb.CreateTagParams{Name: name, CreatedAt: now()})
	if isUniqueViolation(err) {
		return Tag{}, fmt.Errorf("tag %q: %w", name, ErrConflict)
	}
	if err != nil {
		return Tag{}, err
	}
	return tagFromRow(row), nil
}

func (d *db) RenameTag(ctx context.Context, id int64, name string) (Tag, error) {
	name, err := validTagName(name)
	if err != nil {
		return Tag{}, err
	}
	row, err := d.write.RenameTag(ctx, sqlitedb.RenameTagParams{Name: name, ID: id})
	switch {
	case isUniqueViolation(err):
		return Tag{}, fmt.Errorf("tag %q: %w", name, ErrConflict)
	case errors.Is(err, sql.ErrNoRows):
		return Tag{}, fmt.Errorf("tag %d: %w", id, ErrNotFound)
	case err != nil:
		return Tag{}, err
	}
	return tagFromRow(row), nil
}

func (d *db) DeleteTag(ctx context.Context, id int64) error {
	n, err := d.write.DeleteTag(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("tag %d: %w", id, ErrNotFound)
	}
	return nil
}

func (d *db) ListTags(ctx context.Context) ([]Tag, error) {
	rows, err := d.read.ListTags(ctx)
	if err != nil {
		return nil, err
	}
	tags := make([]Tag, len(rows))
	for i, r := range rows {
		tags[i] = Tag{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC(), Images: r.Images}
	}
	return tags, nil
}

func (d *db) Summary(ctx context.Context) (Summary, error) {
	rows, err := d.read.CountImages(ctx)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Counts: make([]HostCount, len(rows))}
	for i, r := range rows {
		s.Counts[i] = HostCount{Hostname: r.Hostname, State: State(r.State), Images: r.Images}
	}
	last, err := d.read.LastUpdateTime(ctx)
	switch {
	case err == nil:
		last = last.UTC()
		s.LastNotification = &last
	case !errors.Is(err, sql.ErrNoRows):
		return Summary{}, err
	}
	checks, err := d.ListChecks(ctx, 1)
	if err != nil {
		return Summary{}, err
	}
	if len(checks) > 0 {
		s.LastCheck = &checks[0].ReceivedAt
	}
	return s, nil
}

func (d *db) Setting(ctx context.Context, key string) (string, error) {
	v, err := d.read.GetSetting(ctx, key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("setting %q: %w", key, ErrNotFound)
	}
	return v, err
}

func (d *db) PutSetting(ctx context.Context, key, value string) error {
	return d.write.PutSetting(ctx, sqlitedb.PutSettingParams{Key: key, Value: value, UpdatedAt: now()})
}

func (d *db) InitSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := d.write.InsertSettingIfAbsent(ctx, sqlitedb.InsertSettingIfAbsentParams{Key: key, Value: value, UpdatedAt: now()}); err != nil {
		return "", err
	}
	return d.write.GetSetting(ctx, key)
}

func (d *db) Ping(ctx context.Context) error {
	if err := d.writeDB.PingContext(ctx); err != nil {
		return err
	}
	// A query of the schema rather than a ping of the read pool: a database dropped and made
	// again under a running server answers pings, but stores nothing.
	var n int
	err := d.readDB.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n)
	if err != nil && isMissingTable(err) {
		return ErrNoSchema
	}
	return err
}
