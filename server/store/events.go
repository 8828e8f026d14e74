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

// The events: every notification, append-only (sql/<dialect>/queries/events.sql).

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
		Source:      string(n.sourceOf()),
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

func (d *db) LatestSources(ctx context.Context, ids []int64) (map[int64]Source, error) {
	out := make(map[int64]Source, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > MaxPageSize {
		return nil, fmt.Errorf("latest sources: %d images, at most %d at once", len(ids), MaxPageSize)
	}
	idsJSON, _ := json.Marshal(ids)
	rows, err := d.read.LatestEventSources(ctx, string(idsJSON))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ImageID] = Source(r.Source)
	}
	return out, nil
}

func (d *db) HostHasWebhook(ctx context.Context, hostname string) (bool, error) {
	has, err := d.read.HostHasWebhook(ctx, hostname)
	return has != 0, err
}

func (d *db) ListChecks(ctx context.Context, limit int) ([]Event, error) {
	rows, err := d.read.ListChecks(ctx, sqlitedb.ListChecksParams{BeforeID: firstID, PageSize: int64(pageSize(limit))})
	if err != nil {
		return nil, err
	}
	return convertRows(rows, eventFromRow), nil
}

// DayCount is how many notifications arrived on one UTC day.
type DayCount struct {
	// Day is midnight UTC of the day.
	Day    time.Time
	Events int64
}

func (d *db) CountEventsPerDay(ctx context.Context, since time.Time) ([]DayCount, error) {
	// The counts are kept per day (event_days): the range starts at since's UTC day.
	rows, err := d.read.CountEventsPerDay(ctx, since.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	out := make([]DayCount, 0, len(rows))
	for _, r := range rows {
		day, err := time.Parse(time.DateOnly, r.Day)
		if err != nil {
			return nil, fmt.Errorf("count per day: unexpected day %q: %w", r.Day, err)
		}
		out = append(out, DayCount{Day: day, Events: r.Events})
	}
	return out, nil
}

// pruneBatch bounds each delete so that ingest never waits long for the writer.
const pruneBatch = 1000

func (d *db) PruneEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	before := dbTime(cutoff)
	total, err := pruneInBatches(ctx, func() (int64, error) {
		return d.write.PruneEvents(ctx, sqlitedb.PruneEventsParams{Before: before, PageSize: pruneBatch})
	})
	if err != nil {
		return total, err
	}
	// The audit trail is part of an image's history: it ages with the events.
	_, err = pruneInBatches(ctx, func() (int64, error) {
		return d.write.PruneStateChanges(ctx, sqlitedb.PruneStateChangesParams{Before: before, PageSize: pruneBatch})
	})
	return total, err
}

// pruneInBatches runs one batch of a prune after the other until a batch deletes fewer than
// pruneBatch rows, so that no transaction holds the writer for long.
func pruneInBatches(ctx context.Context, batch func() (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := batch()
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
