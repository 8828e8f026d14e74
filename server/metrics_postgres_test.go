//go:build postgres

package server

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/server/metrics"
	"diundashboard/server/store/storetest"
)

// On PostgreSQL the live-update relay between replicas reports the events it had to drop.
func TestMetricsReportTheLiveRelay(t *testing.T) {
	st := storetest.Open(t, pgtest.NewDatabase(t))
	m := metrics.New(st, metrics.Options{})
	srv := New(st, Options{WebhookToken: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m, MetricsToken: metricsToken})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.RunBackground(ctx)
	go srv.RunBackground(ctx) // a second run must not panic on registering the metric again

	deadline := time.Now().Add(5 * time.Second)
	for {
		if v, ok := value(t, scrape(t, hs.URL, metricsAuth...), "diundashboard_live_events_dropped_total"); ok {
			if v != 0 {
				t.Fatalf("%v events dropped with no load", v)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("diundashboard_live_events_dropped_total is not exported")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
