package pageseed_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"diundashboard/internal/pageseed"
	"diundashboard/server/store"

	_ "modernc.org/sqlite"
)

// checkSeeded reads the seeded database through the store: every image, and daily counts
// (kept by the triggers) that add up to the events minus the test notifications.
func checkSeeded(t *testing.T, databaseURL string, sz pageseed.Sizes) {
	t.Helper()
	s, err := store.Open(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum, err := s.Summary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var images int64
	for _, c := range sum.Counts {
		images += c.Images
	}
	if images != int64(sz.Images) || sum.LastNotification == nil || sum.LastCheck == nil {
		t.Errorf("summary: %d images, last %v, last check %v; want %d and both times", images, sum.LastNotification, sum.LastCheck, sz.Images)
	}
	days, err := s.CountEventsPerDay(t.Context(), sz.Now.AddDate(0, 0, -sz.SpanDays-1))
	if err != nil {
		t.Fatal(err)
	}
	var events int64
	for _, d := range days {
		events += d.Events
	}
	if want := int64(sz.Events - sz.Events/5000); events != want {
		t.Errorf("daily counts add up to %d, want %d (events without the test notifications)", events, want)
	}
	if len(days) < sz.SpanDays || len(days) > sz.SpanDays+1 {
		t.Errorf("%d days counted, want the %d days of the span", len(days), sz.SpanDays)
	}
}

func TestSeedSQLite(t *testing.T) {
	databaseURL := "sqlite:" + filepath.Join(t.TempDir(), "seed.db")
	if err := store.Migrate(t.Context(), databaseURL); err != nil {
		t.Fatal(err)
	}
	target, err := store.ParseURL(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", target.SQLiteDSN(false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sz := pageseed.Sizes{Images: 300, Events: 12000, SpanDays: 30, Now: time.Now()}
	if err := pageseed.SQLite(t.Context(), db, sz); err != nil {
		t.Fatal(err)
	}
	checkSeeded(t, databaseURL, sz)
}
