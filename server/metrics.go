package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"diundashboard/server/auth"
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
	s.mux.Handle("GET /metrics", s.guardMetrics(m.Handler()))
	next := s.handler
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.ObserveHTTP(s.routePattern(r), rec.status, time.Since(start))
	})
}

// guardMetrics serves next to a scrape with METRICS_TOKEN, an API token or a signed-in person
// (a session, a trusted proxy's user), and to anyone only with AUTH_MODE=none and no
// METRICS_TOKEN: the metrics name every host and count its open updates. Clients that keep
// failing are throttled like on the webhook. next is the metrics package's handler, which also
// requires metrics.Options.Token when that is set; the binary sets Options.MetricsToken instead,
// so that people and API tokens are let in beside it.
func (s *Server) guardMetrics(next http.Handler) http.Handler {
	metricsToken := newTokenChecker(s.opts.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := s.auth.ClientIP(r)
		if d := s.metricsFailures.wait(client); d > 0 {
			http.Error(w, tooManyFailures(w, d, "token"), http.StatusTooManyRequests)
			return
		}
		if tok, ok := auth.BearerToken(r); ok && metricsToken.matches(tok) {
			next.ServeHTTP(w, r)
			return
		}
		// With a Bearer header, Identify accepts that API token and nothing else.
		p, ok, err := s.auth.Identify(r)
		switch {
		case err != nil && !errors.Is(err, auth.ErrBadToken):
			s.storeError(w, r, err)
			return
		case ok && p.Allows(store.ScopeRead) && (p.Via != "none" || s.opts.MetricsToken == ""):
			next.ServeHTTP(w, r)
			return
		}
		s.metricsFailures.failed(r, client)
		w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard metrics"`)
		http.Error(w, "missing or wrong credentials: GET /metrics needs Authorization: Bearer with METRICS_TOKEN or an API token, or a signed-in session; metrics are open to anyone only with AUTH_MODE=none and no METRICS_TOKEN (set METRICS_TOKEN for Prometheus)", http.StatusUnauthorized)
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
