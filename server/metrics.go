package server

import (
	"context"
	"net/http"
	"time"

	"diundashboard/server/metrics"
	"diundashboard/server/store"
)

// setupMetrics serves GET /metrics and measures every request, when Options.Metrics is set.
// It wraps the whole handler, so every request is timed, logging and protection included.
func (s *Server) setupMetrics() {
	m := s.opts.Metrics
	if m == nil {
		return
	}
	s.mux.Handle("GET /metrics", m.Handler())
	next := s.handler
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.ObserveHTTP(s.routePattern(r), rec.status, time.Since(start))
	})
}

// routePattern is the mux pattern that serves r, such as "GET /api/v1/images/{id}", or "" for
// a request no route matches. Patterns keep the metrics' cardinality bounded, where paths
// would not.
func (s *Server) routePattern(r *http.Request) string {
	_, pattern := s.mux.Handler(r)
	return pattern
}

// webhookOutcome carries what the store said about a webhook request back to countWebhook.
type webhookOutcome struct{ check bool }

type webhookOutcomeKey struct{}

// countWebhook counts each webhook request by result (metrics.WebhookResults).
func (s *Server) countWebhook(next http.HandlerFunc) http.HandlerFunc {
	m := s.opts.Metrics
	if m == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		out := &webhookOutcome{}
		r = r.WithContext(context.WithValue(r.Context(), webhookOutcomeKey{}, out))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next(rec, r)
		m.CountWebhook(metrics.WebhookResult(rec.status, out.check))
	}
}

// recordNotification is Store.Record, timed for the metrics.
func (s *Server) recordNotification(ctx context.Context, n store.Notification) (store.RecordResult, error) {
	start := time.Now()
	res, err := s.store.Record(ctx, n)
	s.opts.Metrics.ObserveStore("record", time.Since(start))
	if out, ok := ctx.Value(webhookOutcomeKey{}).(*webhookOutcome); ok && err == nil {
		out.check = res.Check
	}
	return res, err
}
