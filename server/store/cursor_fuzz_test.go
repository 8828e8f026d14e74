package store

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeCursor: whatever a client sends as a cursor, decodeCursor never panics, fails only
// with ErrInvalidCursor, and a cursor it accepts re-encodes to one that decodes to the same
// position.
func FuzzDecodeCursor(f *testing.F) {
	img := Image{ID: 42, Image: "docker.io/library/nginx:1.29", Hostname: "vm",
		FirstSeen: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), LastSeen: time.Date(2026, 6, 27, 13, 20, 19, 987654321, time.UTC)}
	for i, s := range Sorts {
		f.Add(uint8(i), cursorAfter(s, img).encode())
		f.Add(uint8(i+1), cursorAfter(s, img).encode()) // a cursor of another sort
	}
	for _, raw := range []string{"", "!!!", "e30", "e30=", "bnVsbA", b64url(`{"s":"last_seen","t":"2026-01-01T00:00:00+02:00","i":1}`),
		b64url(`{"s":"image","m":"a","h":""}`), b64url(`{"s":"last_seen","t":"0001-01-01T00:00:00Z","i":1}`), b64url(`{"s":"first_seen","i":-1,"t":"2026-01-01T00:00:00Z"}`)} {
		f.Add(uint8(0), raw)
		f.Add(uint8(2), raw)
	}
	f.Fuzz(func(t *testing.T, sortIndex uint8, raw string) {
		s := Sorts[int(sortIndex)%len(Sorts)]
		c, err := decodeCursor(s, raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("decodeCursor(%q): error %v is not ErrInvalidCursor", raw, err)
			}
			return
		}
		if c.Sort != s {
			t.Fatalf("decodeCursor(%q) for sort %s gave a cursor of sort %s", raw, s, c.Sort)
		}
		if raw == "" {
			return // the first page: a position, not a client's cursor
		}
		again, err := decodeCursor(s, c.encode())
		if err != nil {
			t.Fatalf("cursor %q decoded to %+v, whose encoding does not decode: %v", raw, c, err)
		}
		if !again.Time.Equal(c.Time) || again.ID != c.ID || again.Image != c.Image || again.Hostname != c.Hostname || again.Sort != c.Sort {
			t.Fatalf("cursor %q: decoded %+v, re-encoded and decoded %+v", raw, c, again)
		}
	})
}

// FuzzDecodeEventCursor: the same for the events' cursor.
func FuzzDecodeEventCursor(f *testing.F) {
	for _, raw := range []string{"", encodeEventCursor(1), encodeEventCursor(1 << 62), "!!", b64url(`{"b":0}`), b64url(`{"b":-5}`), b64url(`{"b":1e30}`), b64url(`{"b":"1"}`), b64url(`null`)} {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		before, err := decodeEventCursor(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("decodeEventCursor(%q): error %v is not ErrInvalidCursor", raw, err)
			}
			return
		}
		if before <= 0 {
			t.Fatalf("decodeEventCursor(%q) = %d, not a positive id", raw, before)
		}
		if raw == "" {
			return
		}
		again, err := decodeEventCursor(encodeEventCursor(before))
		if err != nil || again != before {
			t.Fatalf("cursor %q: decoded %d, re-encoded and decoded %d (%v)", raw, before, again, err)
		}
	})
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
