package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/httpx"
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
// failing are throttled like on the webhook: their failures, never their right credentials.
func (s *Server) guardMetrics(next http.Handler) http.Handler {
	// Both sides are hashed before the constant-time compare, so that neither the token nor
	// its length shows in the timing.
	want := sha256.Sum256([]byte(s.opts.MetricsToken))
	matches := func(tok string) bool {
		got := sha256.Sum256([]byte(tok))
		return s.opts.MetricsToken != "" && subtle.ConstantTimeCompare(got[:], want[:]) == 1
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The metrics name every host: no cache keeps a copy.
		w.Header().Set("Cache-Control", "no-store")
		// A right credential is always accepted, even from an address that keeps failing
		// (Prometheus may share it with a guesser): only failures are throttled.
		if tok, ok := auth.BearerToken(r); ok && matches(tok) {
			next.ServeHTTP(w, r)
			return
		}
		// With a Bearer header, Identify accepts that API token and nothing else.
		p, ok, err := s.auth.Identify(r)
		switch {
		case err != nil && !errors.Is(err, auth.ErrBadToken):
			httpx.StoreError(w, r, s.log, err)
			return
		case ok && p.Allows(store.ScopeRead) && (p.Via != "none" || s.opts.MetricsToken == ""):
			next.ServeHTTP(w, r)
			return
		}
		client := s.auth.ClientIP(r)
		if d := s.metricsFailures.Wait(client); d > 0 {
			http.Error(w, auth.TooMany(w, d, "token"), http.StatusTooManyRequests)
			return
		}
		s.metricsFailures.Failed(r, client)
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
