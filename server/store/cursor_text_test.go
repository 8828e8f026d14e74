package store

import (
	"encoding/base64"
	"errors"
	"testing"
)

// A cursor's image and host are compared with the database's text: a NUL in them made
// PostgreSQL fail the whole query (503 and an ERROR line, found by an outside review) where
// SQLite answered. Such a cursor is a client's error, refused before any query.
func TestCursorRefusesTextNoImageHas(t *testing.T) {
	for _, raw := range []string{
		`{"s":"image","m":"a\u0000b","h":"x"}`,
		`{"s":"host","m":"docker.io/a:1","h":"n\u0000as"}`,
		`{"s":"image","m":"a\nb","h":"x"}`,
	} {
		_, err := decodeCursor(Sort(map[bool]string{true: "image", false: "host"}[raw[6] == 'i']), base64.RawURLEncoding.EncodeToString([]byte(raw)))
		if !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("cursor %s: %v, want ErrInvalidCursor", raw, err)
		}
	}
}
