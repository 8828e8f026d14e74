// Package server serves DiunDashboard over HTTP: the webhook Diun posts to, the JSON API and
// the health endpoints, all backed by a store.Store.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/metrics"
	"diundashboard/server/store"
	"diundashboard/server/web"
)

// Options configure a Server.
type Options struct {
	// WebhookToken authenticates Diun: the token itself, where it is known (configured, or
	// stored and not yet presented by Diun). WebhookTokenHash, its hex SHA-256, is enough
	// when it is not.
	WebhookToken     string
	WebhookTokenHash string
	// WebhookTokenConfigured is true when WebhookToken comes from WEBHOOK_TOKEN, which the
	// Connect page then cannot rotate.
	WebhookTokenConfigured bool
	// Auth identifies UI and API users; nil accepts API tokens only (see auth.TokensOnly).
	Auth *auth.Authenticator
	// Hub carries live updates to open pages; nil makes one.
	Hub *live.Hub
	// BaseURL is the public URL of the dashboard, for the Connect page; "" uses the request's.
	// Its host is also one the dashboard answers to (see AllowedHosts).
	BaseURL string
	// AllowedHosts are the host names, besides BaseURL's, localhost and IP addresses, that
	// requests without a token may name in Host; others are answered 421 (see hostcheck.go).
	AllowedHosts AllowedHosts
	Logger       *slog.Logger
	// StoreTimeout bounds every database call a request makes, so that a database that
	// stopped answering costs a client a few seconds, not a hang.
	StoreTimeout time.Duration
	// Version is reported by /healthz.
	Version string
	// Metrics, when set, is served on GET /metrics and measures requests (see metrics.go).
	Metrics *metrics.Metrics
	// MetricsToken (METRICS_TOKEN), when set, opens GET /metrics as Authorization: Bearer;
	// API tokens and signed-in people may scrape too, and with AUTH_MODE=none and no
	// MetricsToken anyone may.
	MetricsToken string
}

// Server is the HTTP handler of DiunDashboard.
type Server struct {
	store   store.Store
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	token   *webhookToken
	auth    *auth.Authenticator
	hub     *live.Hub
	hosts   hostPolicy
	// webhookFailures and metricsFailures slow down clients that keep presenting wrong
	// tokens (see webhook.go); each endpoint counts its own, so that a browser refused on
	// /metrics never holds up Diun on the same address.
	webhookFailures *failureThrottle
	metricsFailures *failureThrottle
}

// New builds the handler over st.
func New(st store.Store, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = 5 * time.Second
	}
	if opts.Auth == nil {
		opts.Auth = auth.TokensOnly(st, opts.Logger)
	}
	if opts.Hub == nil {
		opts.Hub = live.NewHub()
	}
	s := &Server{store: st, opts: opts, log: opts.Logger, mux: http.NewServeMux(),
		token: newWebhookToken(st, opts.webhookSecret(), opts.WebhookTokenConfigured), auth: opts.Auth, hub: opts.Hub,
		hosts:           newHostPolicy(opts.BaseURL, opts.AllowedHosts),
		webhookFailures: newFailureThrottle("/webhook", opts.Logger),
		metricsFailures: newFailureThrottle("/metrics", opts.Logger)}
	s.routes()
	s.mountUI()
	// Cross-origin protection refuses state-changing requests that a browser sends on behalf
	// of another site; clients that are not browsers (Diun, curl) send no Sec-Fetch-Site or
	// Origin and pass. It cannot see DNS rebinding, whose requests are same-origin: the host
	// check refuses those.
	s.handler = s.logRequests(web.SecurityHeaders(s.checkHost(http.NewCrossOriginProtection().Handler(http.HandlerFunc(s.serve)))))
	s.setupMetrics()
	return s
}

// routes registers the webhook (Diun's token), the API (a session or an API token for reads
// and writes alike; the webhook token opens nothing else) and the health endpoints.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)

	s.mux.HandleFunc("POST /webhook", s.countWebhook(s.webhook))
	s.mux.HandleFunc("GET /webhook", s.countWebhook(s.webhook))

	s.mux.HandleFunc("GET /api/v1/images", s.requireAuth(s.listImages))
	s.mux.HandleFunc("GET /api/v1/images/{id}", s.requireAuth(s.getImage))
	s.mux.HandleFunc("DELETE /api/v1/images/{id}", s.requireAuth(s.deleteImage))
	s.mux.HandleFunc("GET /api/v1/images/{id}/events", s.requireAuth(s.listEvents))
	s.mux.HandleFunc("POST /api/v1/images/{id}/acknowledge", s.requireAuth(s.transition(store.StateAcknowledged)))
	s.mux.HandleFunc("POST /api/v1/images/{id}/reopen", s.requireAuth(s.transition(store.StateOpen)))
	s.mux.HandleFunc("POST /api/v1/images/{id}/ignore", s.requireAuth(s.transition(store.StateIgnored)))
	s.mux.HandleFunc("POST /api/v1/images/{id}/snooze", s.requireAuth(s.snooze))
	s.mux.HandleFunc("POST /api/v1/hosts/{hostname}/acknowledge", s.requireAuth(s.acknowledgeHost))
	s.mux.HandleFunc("PUT /api/v1/images/{id}/tags/{tag_id}", s.requireAuth(s.attachTag))
	s.mux.HandleFunc("DELETE /api/v1/images/{id}/tags/{tag_id}", s.requireAuth(s.detachTag))

	s.mux.HandleFunc("GET /api/v1/tags", s.requireAuth(s.listTags))
	s.mux.HandleFunc("POST /api/v1/tags", s.requireAuth(s.createTag))
	s.mux.HandleFunc("PATCH /api/v1/tags/{id}", s.requireAuth(s.renameTag))
	s.mux.HandleFunc("DELETE /api/v1/tags/{id}", s.requireAuth(s.deleteTag))

	s.mux.HandleFunc("GET /api/v1/summary", s.requireAuth(s.summary))
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// serve routes r, answering unknown routes and methods in JSON like every other error.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// The mux answers 404 or 405 (with an Allow header); keep its verdict, not its text.
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s; allowed: %s", shownMethod(r), shownPath(r), probe.header.Get("Allow"))
		return
	}
	writeError(w, http.StatusNotFound, "no such endpoint: %s %s", shownMethod(r), shownPath(r))
}

// statusProbe records what status a handler chose and discards its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

// storeContext bounds one request's database work.
func (s *Server) storeContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.opts.StoreTimeout)
}

// RunBackground runs the server's periodic jobs until ctx ends: snoozed images whose time has
// come are reopened; on PostgreSQL, live updates are relayed to and from the other replicas.
func (s *Server) RunBackground(ctx context.Context) {
	go s.runLiveBridge(ctx)
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		s.wakeSnoozed(ctx)
		s.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *Server) wakeSnoozed(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	n, err := s.store.WakeSnoozed(ctx, time.Now())
	if err != nil && ctx.Err() == nil {
		s.log.Warn("cannot reopen snoozed images", "err", err)
	} else if n > 0 {
		s.log.Info("reopened snoozed images", "count", n)
	}
}
