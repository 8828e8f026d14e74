package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"diundashboard/server/metrics"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

// scrape fetches /metrics through the server and parses it as Prometheus does.
func scrape(t *testing.T, url string, header ...string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s: %s", resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not in the Prometheus text format: %v\n%s", err, body)
	}
	return families
}

// value returns the value of the metric of family name whose labels include labels
// ("k", "v", …): a gauge's or counter's value, or a histogram's sample count.
func value(t *testing.T, families map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	t.Helper()
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func wantValue(t *testing.T, families map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := value(t, families, name, labels...)
	if !ok {
		t.Errorf("no metric %s%v", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// metricsToken is the METRICS_TOKEN of the servers these tests scrape: with sign-in on (the
// default), /metrics needs it, an API token or a session.
const metricsToken = "scrape-secret-0123456789"

var metricsAuth = []string{"Authorization", "Bearer " + metricsToken}

func TestMetrics(t *testing.T) {
	for name, factory := range storeFactories {
		t.Run(name, func(t *testing.T) {
			st := factory(t)
			m := metrics.New(st, metrics.Options{Version: "v1.2.3-test", SummaryTTL: time.Nanosecond})
			srv := New(st, Options{WebhookToken: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "v1.2.3-test", Metrics: m, MetricsToken: metricsToken})
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)
			env := &testEnv{t: t, store: st, srv: srv, http: hs, logs: &bytes.Buffer{}}

			update, err := os.ReadFile("webhook/testdata/diun/docker-update.json")
			if err != nil {
				t.Fatal(err)
			}
			check, err := os.ReadFile("webhook/testdata/diun/testnotif.json")
			if err != nil {
				t.Fatal(err)
			}
			env.wantStatus(env.webhook(string(update)), http.StatusOK)
			env.wantStatus(env.webhook(strings.Replace(string(update), `"hostname":"`, `"hostname":"other-`, 1)), http.StatusOK)
			env.wantStatus(env.webhook(string(check)), http.StatusOK)
			env.wantStatus(env.request(http.MethodPost, "/webhook", update), http.StatusUnauthorized)
			env.wantStatus(env.request(http.MethodPost, "/webhook?token="+testToken, []byte("not json")), http.StatusBadRequest)
			env.wantStatus(env.request(http.MethodPost, "/webhook?token="+testToken, bytes.Repeat([]byte(" "), webhook.MaxBody+1)), http.StatusRequestEntityTooLarge)
			env.wantStatus(env.request(http.MethodGet, "/healthz", nil), http.StatusOK)
			env.wantStatus(env.request(http.MethodGet, "/healthz", nil), http.StatusOK)

			f := scrape(t, hs.URL, metricsAuth...)
			wantValue(t, f, 2, "diundashboard_webhook_requests_total", "result", "stored")
			wantValue(t, f, 1, "diundashboard_webhook_requests_total", "result", "check")
			wantValue(t, f, 1, "diundashboard_webhook_requests_total", "result", "unauthorized")
			wantValue(t, f, 1, "diundashboard_webhook_requests_total", "result", "bad_request")
			wantValue(t, f, 1, "diundashboard_webhook_requests_total", "result", "too_large")
			wantValue(t, f, 0, "diundashboard_webhook_requests_total", "result", "unavailable")
			wantValue(t, f, 0, "diundashboard_webhook_requests_total", "result", "unprocessable")
			// Durations per route pattern, not per path: the query string makes no new series.
			wantValue(t, f, 3, "diundashboard_http_request_duration_seconds", "route", "GET /webhook", "code", "200")
			wantValue(t, f, 1, "diundashboard_http_request_duration_seconds", "route", "POST /webhook", "code", "401")
			wantValue(t, f, 2, "diundashboard_http_request_duration_seconds", "route", "GET /healthz", "code", "200")
			wantValue(t, f, 3, "diundashboard_store_operation_duration_seconds", "operation", "record")
			// The ingest pipeline: three notifications one after the other, three commits of one.
			wantValue(t, f, 3, "diundashboard_ingest_batch_size")
			wantValue(t, f, 3, "diundashboard_ingest_commit_duration_seconds")
			wantValue(t, f, 0, "diundashboard_ingest_queue_depth")
			if h := f["diundashboard_ingest_batch_size"].GetMetric()[0].GetHistogram(); h.GetSampleSum() != 3 {
				t.Errorf("diundashboard_ingest_batch_size sums to %v notifications, want 3", h.GetSampleSum())
			}
			// The images gauges, read from the Store: one open update on each host, every
			// other state at 0.
			wantValue(t, f, 1, "diundashboard_images", "hostname", "vm", "state", "open")
			wantValue(t, f, 1, "diundashboard_images", "hostname", "other-vm", "state", "open")
			wantValue(t, f, 0, "diundashboard_images", "hostname", "vm", "state", "acknowledged")
			wantValue(t, f, 1, "diundashboard_database_up")
			if _, ok := value(t, f, "diundashboard_last_check_timestamp_seconds"); !ok {
				t.Error("no diundashboard_last_check_timestamp_seconds after a test notification")
			}
			if got, _ := value(t, f, "diundashboard_last_notification_timestamp_seconds"); time.Since(time.Unix(int64(got), 0)) > time.Hour {
				t.Errorf("diundashboard_last_notification_timestamp_seconds = %v, not recent", got)
			}
			wantValue(t, f, 1, "diundashboard_build_info", "version", "v1.2.3-test")
			for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
				if f[name] == nil {
					t.Errorf("no %s: the Go and process collectors are missing", name)
				}
			}

			// Acknowledging (through the store: API writes need a sign-in) moves the count from open to acknowledged at the next read.
			page, err := st.ListImages(context.Background(), store.ImageFilter{Hostname: "vm"}, "", store.PageRequest{})
			if err != nil || len(page.Images) != 1 {
				t.Fatalf("ListImages: %v, %d images", err, len(page.Images))
			}
			if _, err := st.SetStates(context.Background(), []int64{page.Images[0].ID}, store.Transition{State: store.StateAcknowledged}, "test"); err != nil {
				t.Fatal(err)
			}
			f = scrape(t, hs.URL, metricsAuth...)
			wantValue(t, f, 0, "diundashboard_images", "hostname", "vm", "state", "open")
			wantValue(t, f, 1, "diundashboard_images", "hostname", "vm", "state", "acknowledged")
			wantValue(t, f, 1, "diundashboard_http_request_duration_seconds", "route", "GET /metrics", "code", "200")
		})
	}
}

func TestMetricsToken(t *testing.T) {
	st := storeFactories["sqlite"](t)
	srv := New(st, Options{WebhookToken: testToken, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: metrics.New(st, metrics.Options{}), MetricsToken: "scrape-secret"})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	for _, header := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "scrape-secret"}, {"Authorization", "Bearer " + testToken}} {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/metrics", nil)
		if header != nil {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /metrics with %v: %s, want 401", header, resp.Status)
		}
	}
	f := scrape(t, hs.URL, "Authorization", "Bearer scrape-secret")
	if f["diundashboard_build_info"] == nil {
		t.Error("no build info with the right token")
	}
}

// TestNoMetrics: without Options.Metrics there is no /metrics route and nothing is measured.
func TestNoMetrics(t *testing.T) {
	env := newTestEnv(t, storeFactories["sqlite"](t))
	r := env.request(http.MethodGet, "/metrics", nil)
	if r.Status == http.StatusOK && bytes.Contains(r.Body, []byte("diundashboard_build_info")) {
		t.Fatal("/metrics is served without Options.Metrics")
	}
}
