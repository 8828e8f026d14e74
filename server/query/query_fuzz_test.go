package query

import (
	"net/url"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// FuzzParseImages: whatever query string reaches GET /api/v1/images (or the UI's overview),
// ParseImages never panics, and either refuses it with a message or returns a query the store
// accepts: a known state and sort, a page size from 1 to store.MaxPageSize, filters no longer
// than MaxParamLen.
func FuzzParseImages(f *testing.F) {
	for _, s := range []string{"", "state=all", "state=open&sort=image&limit=10", "host=vm&tag=prod&provider=docker&q=nginx",
		"limit=0", "limit=-1", "limit=501", "limit=99999999999999999999", "sort=digest", "state=pending", "cursor=e30",
		"q=%27+OR+1%3D1+--", "q=%00", "q=%ff%fe", "limit=5&limit=abc", "state=&sort=", "host=" + strings.Repeat("h", 600),
		"a=%zz", ";;&&==", "limit=+5", "limit=%205"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http gives the handler what it could parse; partial values are fuzzed too
		}
		q, err := ParseImages(v)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseImages(%q): empty error", raw)
			}
			return
		}
		if q.Filter.State != "" && !q.Filter.State.Valid() {
			t.Fatalf("ParseImages(%q): state %q", raw, q.Filter.State)
		}
		if !q.Sort.Valid() {
			t.Fatalf("ParseImages(%q): sort %q", raw, q.Sort)
		}
		if q.Page.Limit < 1 || q.Page.Limit > store.MaxPageSize {
			t.Fatalf("ParseImages(%q): limit %d", raw, q.Page.Limit)
		}
		for name, val := range map[string]string{"host": q.Filter.Hostname, "tag": q.Filter.Tag, "provider": q.Filter.Provider, "q": q.Filter.Query, "cursor": q.Page.Cursor} {
			if len(val) > MaxParamLen {
				t.Fatalf("ParseImages(%q): %s of %d bytes accepted", raw, name, len(val))
			}
		}
	})
}

// FuzzParseLimitAndID: page sizes and path ids are either refused or in range.
func FuzzParseLimitAndID(f *testing.F) {
	for _, s := range []string{"", "1", "50", "500", "501", "0", "-1", "+7", " 7", "1e3", "0x10", "9223372036854775807", "9223372036854775808", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if n, err := ParseLimit(raw); err == nil && (n < 1 || n > store.MaxPageSize) {
			t.Fatalf("ParseLimit(%q) = %d", raw, n)
		}
		if id, err := ParseID("image id", raw); err == nil && id <= 0 {
			t.Fatalf("ParseID(%q) = %d", raw, id)
		} else if err != nil && !strings.Contains(err.Error(), "image id") {
			t.Fatalf("ParseID(%q): error %q does not say what was wrong", raw, err)
		}
	})
}
