// Package metrics exposes DiunDashboard's Prometheus metrics on a registry of its own (never
// the global one, so tests and several servers in one process do not collide): current images
// per host and triage state read from the Store, webhook requests by result, HTTP request
// durations per route, store operation durations, build info, and the Go and process
// collectors.
package metrics

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"diundashboard/server/store"
)

// Namespace prefixes every metric name.
const Namespace = "diundashboard"

// Webhook results, the values of diundashboard_webhook_requests_total's result label.
const (
	WebhookStored        = "stored"        // 200, an update stored
	WebhookCheck         = "check"         // 200, Diun's test notification stored
	WebhookUnauthorized  = "unauthorized"  // 401
	WebhookBadRequest    = "bad_request"   // 400
	WebhookTooLarge      = "too_large"     // 413
	WebhookUnprocessable = "unprocessable" // 422
	WebhookUnavailable   = "unavailable"   // 503, the database failed
	WebhookThrottled     = "throttled"     // 429, a client that kept sending wrong tokens
	WebhookOther         = "other"         // any other status
)

// WebhookResults lists every result label, each exported from the start at 0.
var WebhookResults = []string{WebhookStored, WebhookCheck, WebhookUnauthorized, WebhookBadRequest, WebhookTooLarge, WebhookUnprocessable, WebhookUnavailable, WebhookThrottled, WebhookOther}

// WebhookResult names the result of a webhook request that was answered with status; check
// tells whether a stored notification was Diun's test notification.
func WebhookResult(status int, check bool) string {
	switch status {
	case http.StatusOK:
		if check {
			return WebhookCheck
		}
		return WebhookStored
	case http.StatusUnauthorized:
		return WebhookUnauthorized
	case http.StatusBadRequest:
		return WebhookBadRequest
	case http.StatusRequestEntityTooLarge:
		return WebhookTooLarge
	case http.StatusUnprocessableEntity:
		return WebhookUnprocessable
	case http.StatusServiceUnavailable:
		return WebhookUnavailable
	case http.StatusTooManyRequests:
		return WebhookThrottled
	}
	return WebhookOther
}

// Summarizer is what the images collector reads: Store.Summary.
type Summarizer interface {
	Summary(ctx context.Context) (store.Summary, error)
}

// Options configure Metrics.
type Options struct {
	// Version goes into diundashboard_build_info.
	Version string
	// SummaryTTL is how long one read of Store.Summary serves scrapes; 10 s when zero.
	SummaryTTL time.Duration
	// SummaryTimeout bounds that read; 5 s when zero.
	SummaryTimeout time.Duration
}

// Metrics holds the registry and the instruments. A nil *Metrics measures nothing, so callers
// need no checks.
type Metrics struct {
	reg           *prometheus.Registry
	webhook       *prometheus.CounterVec
	changes       *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	storeDuration *prometheus.HistogramVec
	ingestBatch   prometheus.Histogram
	ingestCommit  prometheus.Histogram
}

// New builds the registry. st may be nil: the images gauges are then left out.
func New(st Summarizer, opts Options) *Metrics {
	if opts.Version == "" {
		opts.Version = "dev"
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "webhook_requests_total",
			Help: "Webhook requests by result: stored, check (Diun's test notification), unauthorized, bad_request, too_large, unprocessable, unavailable (the database failed; Diun does not resend), throttled (a client that kept sending wrong tokens), other.",
		}, []string{"result"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "triage_changes_total",
			Help: "Images changed by triage, by action: acknowledge, reopen, snooze, ignore (the state they moved to; reopen counts the ends of snoozes too), delete, tag, untag.",
		}, []string{"action"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request durations by route pattern (\"unmatched\" for unknown paths) and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "store_operation_duration_seconds",
			Help:    "Durations of database operations: record (one webhook notification, including SQLite's group commit), summary (the images gauges).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"operation"}),
	}
	m.ingestBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "ingest_batch_size",
		Help:    "Notifications written per group commit (one transaction, one commit) of the ingest pipeline.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	m.ingestCommit = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "ingest_commit_duration_seconds",
		Help:    "Duration of one group commit of the ingest pipeline, from BEGIN to the end of COMMIT.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	for _, r := range WebhookResults {
		m.webhook.WithLabelValues(r)
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help: "Always 1; the labels tell the version of DiunDashboard and of Go.",
	}, []string{"version", "goversion"})
	buildInfo.WithLabelValues(opts.Version, runtime.Version()).Set(1)
	m.reg.MustRegister(
		m.webhook, m.changes, m.httpDuration, m.storeDuration, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if st != nil {
		ttl, timeout := opts.SummaryTTL, opts.SummaryTimeout
		if ttl <= 0 {
			ttl = 10 * time.Second
		}
		if timeout <= 0 {
			timeout = 5 * time.Second
		}
		m.reg.MustRegister(&imagesCollector{st: st, ttl: ttl, timeout: timeout, observe: m.ObserveStore})
	}
	// The ingest pipeline's instruments exist only with a store that has one.
	if im, ok := st.(store.IngestMeter); ok {
		m.reg.MustRegister(m.ingestBatch, m.ingestCommit, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "ingest_queue_depth",
			Help: "Notifications accepted and waiting for the ingest pipeline's writer; when the queue is full the webhook answers 503 with Retry-After.",
		}, func() float64 { return float64(im.IngestQueueDepth()) }))
		im.SetIngestObserver(m)
	}
	return m
}

// Registry is where the metrics are registered; more collectors may be added to it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format. Who may read it is the server's
// decision (see server/metrics.go).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// ObserveHTTP records one request's duration under its route pattern.
func (m *Metrics) ObserveHTTP(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.httpDuration.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
}

// CountWebhook counts one webhook request by result (one of WebhookResults).
func (m *Metrics) CountWebhook(result string) {
	if m == nil {
		return
	}
	m.webhook.WithLabelValues(result).Inc()
}

// CountChanges counts n images changed by one triage action.
func (m *Metrics) CountChanges(action string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.changes.WithLabelValues(action).Add(float64(n))
}

// ObserveStore records one database operation's duration.
func (m *Metrics) ObserveStore(operation string, d time.Duration) {
	if m == nil {
		return
	}
	m.storeDuration.WithLabelValues(operation).Observe(d.Seconds())
}

// ObserveIngestBatch records one group commit: how many notifications it wrote and how long
// it took (store.IngestObserver).
func (m *Metrics) ObserveIngestBatch(size int, commit time.Duration) {
	if m == nil {
		return
	}
	m.ingestBatch.Observe(float64(size))
	m.ingestCommit.Observe(commit.Seconds())
}

// imagesCollector exports Store.Summary, read at most once per ttl however often Prometheus
// scrapes (and however many scrapers there are).
type imagesCollector struct {
	st      Summarizer
	ttl     time.Duration
	timeout time.Duration
	observe func(string, time.Duration)

	mu      sync.Mutex
	readAt  time.Time
	summary store.Summary
	err     error
}

var (
	imagesDesc           = prometheus.NewDesc(Namespace+"_images", "Current images per host and triage state; state=\"open\" are the updates waiting for a person.", []string{"hostname", "state"}, nil)
	lastNotificationDesc = prometheus.NewDesc(Namespace+"_last_notification_timestamp_seconds", "When the newest notification of any kind arrived (Unix time); absent before the first.", nil, nil)
	lastCheckDesc        = prometheus.NewDesc(Namespace+"_last_check_timestamp_seconds", "When Diun's newest test notification arrived (Unix time); absent before the first.", nil, nil)
	databaseUpDesc       = prometheus.NewDesc(Namespace+"_database_up", "1 when the last read of the images summary succeeded, 0 when it failed.", nil, nil)
)

func (c *imagesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- imagesDesc
	ch <- lastNotificationDesc
	ch <- lastCheckDesc
	ch <- databaseUpDesc
}

func (c *imagesCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.read()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(databaseUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(databaseUpDesc, prometheus.GaugeValue, 1)
	// Every state of every host is exported, 0 included, so that a query such as
	// diundashboard_images{state="open"} == 0 sees a host whose last update was dealt with.
	seen := map[[2]string]bool{}
	hosts := map[string]bool{}
	for _, hc := range s.Counts {
		hosts[hc.Hostname] = true
		seen[[2]string{hc.Hostname, string(hc.State)}] = true
		ch <- prometheus.MustNewConstMetric(imagesDesc, prometheus.GaugeValue, float64(hc.Images), hc.Hostname, string(hc.State))
	}
	for h := range hosts {
		for _, st := range store.States {
			if !seen[[2]string{h, string(st)}] {
				ch <- prometheus.MustNewConstMetric(imagesDesc, prometheus.GaugeValue, 0, h, string(st))
			}
		}
	}
	if s.LastNotification != nil {
		ch <- prometheus.MustNewConstMetric(lastNotificationDesc, prometheus.GaugeValue, float64(s.LastNotification.UnixMilli())/1000)
	}
	if s.LastCheck != nil {
		ch <- prometheus.MustNewConstMetric(lastCheckDesc, prometheus.GaugeValue, float64(s.LastCheck.UnixMilli())/1000)
	}
}

// read returns the cached summary, refreshing it when older than ttl. A failure is cached
// too, so a database that is down is not hammered by scrapes.
func (c *imagesCollector) read() (store.Summary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readAt.IsZero() && time.Since(c.readAt) < c.ttl {
		return c.summary, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	start := time.Now()
	c.summary, c.err = c.st.Summary(ctx)
	c.observe("summary", time.Since(start))
	c.readAt = time.Now()
	return c.summary, c.err
}
