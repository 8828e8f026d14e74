package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"diundashboard/internal/textutil"
)

// cursor is the position after the last row of a page: the sort key of that row. It travels
// to clients as opaque base64url JSON and is checked on the way back, since clients can send
// anything.
type cursor struct {
	Sort     Sort      `json:"s"`
	Time     time.Time `json:"t,omitzero"`
	ID       int64     `json:"i,omitempty"`
	Image    string    `json:"m,omitempty"`
	Hostname string    `json:"h,omitempty"`
}

// The first page of a descending order starts after a time later than any row; of an
// ascending one, before the empty string (no image reference is empty).
var (
	firstTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	firstID   = int64(math.MaxInt64)
)

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // cannot fail: plain fields
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a client's cursor for the sort s; "" is the first page.
func decodeCursor(s Sort, raw string) (cursor, error) {
	if raw == "" {
		return cursor{Sort: s, Time: firstTime, ID: firstID}, nil
	}
	if len(raw) > 4096 {
		return cursor{}, fmt.Errorf("%w: too long", ErrInvalidCursor)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return cursor{}, fmt.Errorf("%w: not base64url", ErrInvalidCursor)
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return cursor{}, fmt.Errorf("%w: not a cursor", ErrInvalidCursor)
	}
	if c.Sort != s {
		return cursor{}, fmt.Errorf("%w: it belongs to sort %q, not %q; start again without a cursor", ErrInvalidCursor, c.Sort, s)
	}
	switch s {
	case SortLastSeen, SortFirstSeen:
		if c.Time.IsZero() || c.ID <= 0 {
			return cursor{}, fmt.Errorf("%w: incomplete", ErrInvalidCursor)
		}
		c.Time = c.Time.UTC()
	case SortImage, SortHost:
		if c.Image == "" {
			return cursor{}, fmt.Errorf("%w: incomplete", ErrInvalidCursor)
		}
		// No stored image or host holds a control character (the webhook refuses them), and
		// PostgreSQL refuses a NUL in any text: such a cursor was never written here.
		for _, v := range []string{c.Image, c.Hostname} {
			if _, bad := textutil.LineBreaker(v); bad || strings.ContainsRune(v, 0) {
				return cursor{}, fmt.Errorf("%w: not a cursor of this dashboard", ErrInvalidCursor)
			}
		}
	}
	return c, nil
}

// cursorAfter is the cursor that continues after img in the order s.
func cursorAfter(s Sort, img Image) cursor {
	switch s {
	case SortFirstSeen:
		return cursor{Sort: s, Time: img.FirstSeen, ID: img.ID}
	case SortImage, SortHost:
		return cursor{Sort: s, Image: img.Image, Hostname: img.Hostname}
	default:
		return cursor{Sort: s, Time: img.LastSeen, ID: img.ID}
	}
}

// eventCursor pages events by id, newest first.
type eventCursor struct {
	Before int64 `json:"b"`
}

func decodeEventCursor(raw string) (int64, error) {
	if raw == "" {
		return firstID, nil
	}
	if len(raw) > 256 {
		return 0, fmt.Errorf("%w: too long", ErrInvalidCursor)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return 0, fmt.Errorf("%w: not base64url", ErrInvalidCursor)
	}
	var c eventCursor
	if err := json.Unmarshal(b, &c); err != nil || c.Before <= 0 {
		return 0, fmt.Errorf("%w: not an event cursor", ErrInvalidCursor)
	}
	return c.Before, nil
}

func encodeEventCursor(before int64) string {
	b, _ := json.Marshal(eventCursor{Before: before})
	return base64.RawURLEncoding.EncodeToString(b)
}

// pageSize clamps a requested page size to [1, MaxPageSize], DefaultPageSize when unset.
func pageSize(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}
