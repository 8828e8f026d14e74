package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"diundashboard/gen/sqlitedb"
)

// db implements Store over the queries of either dialect. The dialects differ only in how they
// connect and how Record reaches the writer (sqlite.go, postgres.go).
type db struct {
	dialect Dialect
	readDB  *sql.DB
	writeDB *sql.DB
	// read runs queries on the read pool, write single statements on the writer.
	read, write queries
	// inTx binds the writer's queries to a transaction: each dialect knows its own.
	inTx func(*sql.Tx) queries
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

// eventParams is the event row of n; ImageID is left for the caller to fill.
func eventParams(n Notification) sqlitedb.InsertEventParams {
	received := n.ReceivedAt
	if received.IsZero() {
		received = now()
	}
	return sqlitedb.InsertEventParams{
		ReceivedAt:  dbTime(received),
		DiunVersion: n.DiunVersion,
		Hostname:    n.Hostname,
		Status:      n.Status,
		Provider:    n.Provider,
		Image:       n.Image,
		HubLink:     n.HubLink,
		MimeType:    n.MimeType,
		Digest:      n.Digest,
		Created:     dbTimePtr(n.Created),
		Platform:    n.Platform,
		Metadata:    encodeMetadata(n.Metadata),
		RawBody:     rawBodyText(n.RawBody),
	}
}

// rawBodyText keeps the first MaxRawBody bytes of a request body as text that both databases
// accept: PostgreSQL's text refuses invalid UTF-8 and NUL, and a notification must not be lost
// over its raw copy (a body may hold invalid UTF-8 that JSON decoding replaced, and the cut may
// split a character). Such bytes become U+FFFD; the result never exceeds MaxRawBody bytes.
func rawBodyText(body []byte) string {
	s := string(body[:min(len(body), MaxRawBody)])
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	if len(s) > MaxRawBody {
		cut := MaxRawBody
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

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
	host, provider, q, tag := f.host(), nilIfEmpty(f.Provider), nilIfEmpty(f.Query), nilIfEmpty(f.Tag)
	state := string(f.State)
	switch {
	case c.Sort == SortLastSeen && state == "":
		return d.read.ListImagesByLastSeen(ctx, sqlitedb.ListImagesByLastSeenParams{AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
	case c.Sort == SortLastSeen:
		return d.read.ListImagesInStateByLastSeen(ctx, sqlitedb.ListImagesInStateByLastSeenParams{State: state, AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
	case c.Sort == SortFirstSeen && state == "":
		return d.read.ListImagesByFirstSeen(ctx, sqlitedb.ListImagesByFirstSeenParams{AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
	case c.Sort == SortFirstSeen:
		return d.read.ListImagesInStateByFirstSeen(ctx, sqlitedb.ListImagesInStateByFirstSeenParams{State: state, AfterTime: c.Time, AfterID: c.ID, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
	case c.Sort == SortImage && state == "":
		return d.read.ListImagesByImage(ctx, sqlitedb.ListImagesByImageParams{AfterImage: c.Image, AfterHostname: c.Hostname, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
	case c.Sort == SortImage:
		return d.read.ListImagesInStateByImage(ctx, sqlitedb.ListImagesInStateByImageParams{State: state, AfterImage: c.Image, AfterHostname: c.Hostname, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
	case state == "":
		return d.read.ListImagesByHost(ctx, sqlitedb.ListImagesByHostParams{AfterHostname: c.Hostname, AfterImage: c.Image, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
	default:
		return d.read.ListImagesInStateByHost(ctx, sqlitedb.ListImagesInStateByHostParams{State: state, AfterHostname: c.Hostname, AfterImage: c.Image, Hostname: host, Provider: provider, Q: q, Tag: tag, PageSize: limit})
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

func (d *db) ListEvents(ctx context.Context, imageID int64, p PageRequest) (EventPage, error) {
	before, err := decodeEventCursor(p.Cursor)
	if err != nil {
		return EventPage{}, err
	}
	if _, err := d.read.GetImage(ctx, imageID); errors.Is(err, sql.ErrNoRows) {
		return EventPage{}, fmt.Errorf("image %d: %w", imageID, ErrNotFound)
	} else if err != nil {
		return EventPage{}, err
	}
	limit := pageSize(p.Limit)
	rows, err := d.read.ListEvents(ctx, sqlitedb.ListEventsParams{ImageID: &imageID, BeforeID: before, PageSize: int64(limit) + 1})
	if err != nil {
		return EventPage{}, err
	}
	page := EventPage{Events: make([]Event, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			page.NextCursor = encodeEventCursor(page.Events[limit-1].ID)
			break
		}
		page.Events = append(page.Events, eventFromRow(r))
	}
	return page, nil
}

func (d *db) ListChecks(ctx context.Context, limit int) ([]Event, error) {
	rows, err := d.read.ListChecks(ctx, sqlitedb.ListChecksParams{BeforeID: firstID, PageSize: int64(pageSize(limit))})
	if err != nil {
		return nil, err
	}
	return convertRows(rows, eventFromRow), nil
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
	last, err := d.read.LastEventTime(ctx)
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

// pruneBatch bounds each delete so that ingest never waits long for the writer.
const pruneBatch = 1000

func (d *db) PruneEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		n, err := d.write.PruneEvents(ctx, sqlitedb.PruneEventsParams{Before: dbTime(cutoff), PageSize: pruneBatch})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func (d *db) CountEventsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	return d.read.CountEventsBefore(ctx, dbTime(cutoff))
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
	if d.readDB != d.writeDB {
		return d.readDB.PingContext(ctx)
	}
	return nil
}
