// Package server composes DiunDashboard's HTTP handler: it mounts the webhook, the JSON API,
// the UI, the health endpoints and /metrics, and wraps them in the middleware every request
// goes through (request log, security headers, Host check, cross-origin protection). Every
// change of data goes through the one triage service it builds (server/triage).
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"diundashboard/server/api"
	"diundashboard/server/auth"
	"diundashboard/server/httpx"
	"diundashboard/server/live"
	"diundashboard/server/metrics"
	"diundashboard/server/mqtt"
	"diundashboard/server/notify"
	"diundashboard/server/reconcile"
	"diundashboard/server/store"
	"diundashboard/server/triage"
	"diundashboard/server/web"
	"diundashboard/server/webhook"
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
	// Now is the clock of the token throttles; time.Now when nil.
	Now func() time.Time
	// MQTT, when set (MQTT_URL), shows the images in Home Assistant through that broker;
	// RunBackground runs the bridge (see server/mqtt).
	MQTT *mqtt.Config
	// Notify is the notification settings (NOTIFY_URLS, NOTIFY_NEW, NOTIFY_DIGEST); the zero
	// value sends nothing. NotifyRetention (EVENT_RETENTION) is how long sent ones are kept.
	Notify          notify.Config
	NotifyRetention time.Duration
	// Diun (DIUN_GRPC) are the gRPC addresses of the Diuns to reconcile with, every
	// DiunReconcile (DIUN_RECONCILE; 0: on start and after a silent host's webhook only).
	Diun          []reconcile.Target
	DiunReconcile time.Duration
}

// Server is the HTTP handler of DiunDashboard.
type Server struct {
	store   store.Store
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	// notFoundPage answers a browser's address that no route serves.
	notFoundPage http.HandlerFunc
	auth         *auth.Authenticator
	hub          *live.Hub
	triage       *triage.Service
	token        *webhook.Token
	hosts        hostPolicy
	// reconcile, with DIUN_GRPC, reads what each Diun knows and records what was missed
	// (RunBackground runs it); nil without.
	reconcile *reconcile.Reconciler
	// notify sends notifications from RunBackground (with none configured, it only keeps
	// the queue of opened images empty).
	notify *notify.Service
	// metricsFailures slows down clients that keep presenting wrong tokens to /metrics; the
	// webhook counts its own, so that a browser refused on /metrics never holds up Diun on
	// the same address.
	metricsFailures *auth.Throttle
	// runningLease is this server's own lease while it runs (running.go).
	runningLease string
}

// New builds the handler over st.
func New(st store.Store, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = httpx.DefaultStoreTimeout
	}
	if opts.Auth == nil {
		opts.Auth = auth.TokensOnly(st, opts.Logger)
	}
	if opts.Hub == nil {
		opts.Hub = live.NewHub()
	}
	secret := webhook.Secret{Hash: opts.WebhookTokenHash}
	if opts.WebhookToken != "" {
		secret = webhook.SecretOf(opts.WebhookToken)
	}
	s := &Server{store: st, opts: opts, log: opts.Logger, mux: http.NewServeMux(), auth: opts.Auth, hub: opts.Hub,
		triage:          triage.New(st, opts.Hub, opts.Metrics),
		token:           webhook.NewToken(st, secret, opts.WebhookTokenConfigured),
		hosts:           newHostPolicy(opts.BaseURL, opts.AllowedHosts),
		metricsFailures: auth.NewThrottle("/metrics", opts.Logger, opts.Now),
		runningLease:    newRunningLease()}

	s.notify = notify.New(st, opts.Notify, notify.Options{BaseURL: opts.BaseURL, Logger: s.log, Retention: opts.NotifyRetention})
	if opts.Metrics != nil {
		opts.Metrics.Registry().MustRegister(s.notify.Collectors()...)
	}

	if len(opts.Diun) > 0 {
		var reg prometheus.Registerer
		if opts.Metrics != nil {
			reg = opts.Metrics.Registry()
		}
		r, err := reconcile.New(reconcile.Options{Targets: opts.Diun, Interval: opts.DiunReconcile, Store: st,
			Record: s.triage.Record, Logger: s.log, Registry: reg})
		if err != nil {
			panic(err) // the targets were validated by ParseTargets; grpc.NewClient refuses none of those
		}
		s.reconcile = r
		s.triage.SetWebhookObserver(r.Observe)
	}

	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	// The UI's Connect page shows the last refused webhook request.
	rejected := webhook.NewRejections()
	webhook.New(webhook.Options{Triage: s.triage, Token: s.token, Auth: s.auth, Metrics: opts.Metrics,
		Logger: s.log, StoreTimeout: opts.StoreTimeout, Now: opts.Now}).RegisterRecording(s.mux, rejected)
	api.New(api.Options{Store: st, Triage: s.triage, Auth: s.auth, Logger: s.log, StoreTimeout: opts.StoreTimeout,
		BaseURL: opts.BaseURL, Version: opts.Version}).Register(s.mux)
	ui, err := web.New(web.Options{
		Store: st, Triage: s.triage, Auth: s.auth, Hub: s.hub, Webhook: s.token, Logger: s.log,
		StoreTimeout: opts.StoreTimeout, BaseURL: opts.BaseURL, Version: opts.Version, Rejected: rejected,
		Notify: s.notify, Diun: s.diunStatuses, DiunEvery: opts.DiunReconcile,
	})
	if err != nil {
		// The templates are embedded: failing to parse them is a bug in this build.
		panic(err)
	}
	ui.Register(s.mux)
	s.notFoundPage = ui.NotFound

	// Cross-origin protection refuses state-changing requests that a browser sends on behalf
	// of another site; clients that are not browsers (Diun, curl) send no Sec-Fetch-Site or
	// Origin and pass. It cannot see DNS rebinding, whose requests are same-origin: the host
	// check refuses those.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(crossOriginRefused))
	reads := limitReads(http.HandlerFunc(s.serve), s.readPrincipal, maxConcurrentReads, maxReadsPerPrincipal, readQueueWait)
	s.handler = s.logRequests(securityHeaders(refuseLongURLs(s.checkHost(cop.Handler(reads)))))
	s.setupMetrics()
	return s
}

// runMQTT keeps Home Assistant in step with the store until ctx ends, when MQTT is configured.
func (s *Server) runMQTT(ctx context.Context) {
	if s.opts.MQTT == nil {
		return
	}
	mqtt.New(mqtt.Options{Config: *s.opts.MQTT, Store: s.store, Triage: s.triage, Hub: s.hub, BaseURL: s.opts.BaseURL,
		Version: s.opts.Version, Logger: s.log.With("component", "mqtt"), StoreTimeout: 6 * s.opts.StoreTimeout}).Run(ctx)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Notify is the notification service, for tests.
func (s *Server) Notify() *notify.Service { return s.notify }

// Hub is the live-update hub, for tests and for serving several handlers from one process.
func (s *Server) Hub() *live.Hub { return s.hub }

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
		httpx.WriteError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s; allowed: %s", httpx.ShownMethod(r), httpx.ShownPath(r), probe.header.Get("Allow"))
		return
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.Header.Get("Accept"), "text/html") && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.notFoundPage(w, r) // a browser's mistyped address: a page, not JSON
		return
	}
	httpx.WriteError(w, http.StatusNotFound, "no such endpoint: %s %s", httpx.ShownMethod(r), httpx.ShownPath(r))
}

// statusProbe records what status a handler chose and discards its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

// diunStatuses is what the Connect page shows of each Diun (none without DIUN_GRPC).
func (s *Server) diunStatuses() []reconcile.Status {
	if s.reconcile == nil {
		return nil
	}
	return s.reconcile.Statuses()
}
