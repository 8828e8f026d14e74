package web_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"diundashboard/internal/pageseed"
	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// historyEnv is a dashboard over a history seeded in bulk (pageseed): sz's images and events.
func historyEnv(b testing.TB, sz pageseed.Sizes) *env {
	databaseURL := databases["sqlite"](b)
	if err := store.Migrate(b.Context(), databaseURL); err != nil {
		b.Fatal(err)
	}
	target, err := store.ParseURL(databaseURL)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", target.SQLiteDSN(false))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	err = pageseed.SQLite(b.Context(), db, sz)
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d images, %d events over %d days in %s", sz.Images, sz.Events, sz.SpanDays, time.Since(start).Round(time.Millisecond))
	return newEnv(b, databaseURL, auth.ModeNone)
}

// BenchmarkPagesHistory: the overview (default view and the 90-day chart), the JSON summary
// and a live refresh answered 304, at 20,000 images with 200,000 events in the chart's 30 days,
// beside the same images with 2,000,000 events over 90 days (all of them in the 90-day chart):
// the pages must cost the same, whatever the history. Seeding the larger one takes a minute.
//
//	go test -run '^$' -bench PagesHistory -benchtime 50x ./server/web/
func BenchmarkPagesHistory(b *testing.B) {
	sizes := []pageseed.Sizes{
		{Images: 20000, Events: 200000, SpanDays: 30},
		{Images: 20000, Events: 2000000, SpanDays: 90},
	}
	for _, sz := range sizes {
		b.Run(fmt.Sprintf("images=%d/events=%d", sz.Images, sz.Events), func(b *testing.B) {
			e := historyEnv(b, sz)
			get := func(b *testing.B, path string, header map[string]string, want int) {
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, "http://localhost"+path, nil)
					req.Header.Set("Accept-Encoding", "gzip")
					for k, v := range header {
						req.Header.Set(k, v)
					}
					rec := httptest.NewRecorder()
					e.srv.ServeHTTP(rec, req)
					if rec.Code != want {
						b.Fatalf("GET %s: %d, want %d", path, rec.Code, want)
					}
				}
			}
			b.Run("overview", func(b *testing.B) { get(b, "/", nil, http.StatusOK) })
			b.Run("overview-90d", func(b *testing.B) { get(b, "/?days=90", nil, http.StatusOK) })
			b.Run("summary", func(b *testing.B) { get(b, "/api/v1/summary", nil, http.StatusOK) })
			b.Run("refresh-304", func(b *testing.B) {
				rec := renderFragment(e, "/")
				get(b, "/", map[string]string{"X-Fragment": "main", "If-None-Match": rec.Header().Get("ETag")}, http.StatusNotModified)
			})
		})
	}
}

// renderFragment serves the overview's fragment the way the live refresh asks for it.
func renderFragment(e *env, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://localhost"+path, nil)
	req.Header.Set("X-Fragment", "main")
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}
