package retention

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/proctest"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

// storeFactories opens a fresh, migrated store; postgres_test.go adds PostgreSQL.
var storeFactories = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		return storetest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "dd.db"))
	},
}

func forEachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	names := make([]string, 0, len(storeFactories))
	for name := range storeFactories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { fn(t, storeFactories[name](t)) })
	}
}

func TestParse(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"":      365 * day,
		"0":     0,
		"365":   365 * day,
		"365d":  365 * day,
		"30d":   30 * day,
		"8760h": 8760 * time.Hour,
		"90m":   90 * time.Minute,
		" 7 ":   7 * day,
		"0d":    0,
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "-5d", "-1h", "forever", "1y", "d", "365 days", "999999"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, got)
		} else if !strings.Contains(err.Error(), "EVENT_RETENTION") {
			t.Errorf("Parse(%q): the error does not name the setting: %v", in, err)
		}
	}
}

// seed records one notification per day for days days, ending at end, for two images.
func seed(t *testing.T, st store.Store, end time.Time, days int) {
	t.Helper()
	ctx := context.Background()
	for i := range days {
		at := end.Add(-time.Duration(i) * 24 * time.Hour)
		for _, img := range []string{"docker.io/library/nginx:1", "ghcr.io/acme/app:2"} {
			_, err := st.Record(ctx, store.Notification{
				DiunVersion: "v4.33.0", Hostname: "vm", Status: "update", Provider: "docker",
				Image: img, MimeType: "application/vnd.oci.image.index.v1+json",
				Digest:   fmt.Sprintf("sha256:%064x", i),
				Platform: "linux/amd64", RawBody: []byte(`{}`), ReceivedAt: at,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func countEvents(t *testing.T, st store.Store) int64 {
	t.Helper()
	n, err := st.CountEventsBefore(context.Background(), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPruneOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		seed(t, st, now.Add(-time.Hour), 40) // 40 days × 2 images
		if got := countEvents(t, st); got != 80 {
			t.Fatalf("seeded %d events, want 80", got)
		}
		p := &Pruner{Store: st, Retention: 10 * 24 * time.Hour, Now: func() time.Time { return now }}
		// Days 0..9 are younger than 10 days (day i is at now-1h-i days), day 10 and older go.
		would, err := st.CountEventsBefore(ctx, p.Cutoff())
		if err != nil || would != 60 {
			t.Fatalf("CountEventsBefore(cutoff) = %d, %v; want 60", would, err)
		}
		n, err := p.PruneOnce(ctx)
		if err != nil || n != 60 {
			t.Fatalf("PruneOnce = %d, %v; want 60", n, err)
		}
		if got := countEvents(t, st); got != 20 {
			t.Errorf("%d events left, want 20", got)
		}
		// The current rows stay, with the newest digest.
		page, err := st.ListImages(ctx, store.ImageFilter{}, store.SortImage, store.PageRequest{})
		if err != nil || len(page.Images) != 2 {
			t.Fatalf("ListImages after pruning = %d images, %v; want 2", len(page.Images), err)
		}
		for _, img := range page.Images {
			if img.Digest != fmt.Sprintf("sha256:%064x", 39) && img.Digest != fmt.Sprintf("sha256:%064x", 0) {
				t.Errorf("image %s has digest %s", img.Image, img.Digest)
			}
		}
		// A second round finds nothing.
		if n, err := p.PruneOnce(ctx); err != nil || n != 0 {
			t.Errorf("second PruneOnce = %d, %v; want 0", n, err)
		}
		// Retention 0 keeps everything.
		keep := &Pruner{Store: st, Retention: 0, Now: func() time.Time { return now.Add(1000 * 24 * time.Hour) }}
		if n, err := keep.PruneOnce(ctx); err != nil || n != 0 {
			t.Errorf("PruneOnce with retention 0 = %d, %v; want 0", n, err)
		}
		if got := countEvents(t, st); got != 20 {
			t.Errorf("retention 0 deleted events: %d left, want 20", got)
		}
	})
}

// TestPruneManyBatches prunes more than one batch (PruneEvents deletes 1000 rows at a time).
func TestPruneManyBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2,500 events")
	}
	forEachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		old := time.Now().Add(-400 * 24 * time.Hour)
		var wg sync.WaitGroup
		for w := range 5 {
			wg.Go(func() {
				for i := range 500 {
					_, err := st.Record(ctx, store.Notification{
						DiunVersion: "v4.33.0", Hostname: fmt.Sprintf("host%d", w), Status: "update", Provider: "docker",
						Image: "docker.io/library/nginx:1", Digest: fmt.Sprintf("sha256:%064x", i),
						Platform: "linux/amd64", ReceivedAt: old.Add(time.Duration(i) * time.Second),
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		p := &Pruner{Store: st, Retention: DefaultRetention}
		n, err := p.PruneOnce(ctx)
		if err != nil || n != 2500 {
			t.Fatalf("PruneOnce = %d, %v; want 2500", n, err)
		}
	})
}

// TestRun checks that the job prunes as soon as it starts, logs the count, and stops with ctx.
func TestRun(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		seed(t, st, time.Now().Add(-time.Hour), 5)
		var logs proctest.SyncBuffer
		p := &Pruner{Store: st, Retention: 2 * 24 * time.Hour, Interval: time.Hour, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		// Wait for the log line, not the row count: the rows are gone as soon as the first
		// batch commits, before the job has finished its run and written the line.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(logs.String(), "pruned old events") {
			if time.Now().After(deadline) {
				t.Fatalf("the job did not prune at start: %d events left, want 4; log:\n%s", countEvents(t, st), logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := countEvents(t, st); got != 4 {
			t.Errorf("%d events left after the run, want 4", got)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		if !strings.Contains(logs.String(), "pruned old events") || !strings.Contains(logs.String(), "count=6") {
			t.Errorf("the log does not report the count:\n%s", logs.String())
		}
	})
}

func TestRunDisabled(t *testing.T) {
	done := make(chan struct{})
	go func() { (&Pruner{Retention: 0}).Run(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Run with retention 0 did not return at once")
	}
}
