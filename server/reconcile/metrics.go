package reconcile

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	runs, errors *prometheus.CounterVec
	recovered    *prometheus.CounterVec
	refused      *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "diundashboard_reconcile_runs_total",
			Help: "Reconciles with a Diun's gRPC API, per Diun address."}, []string{"diun"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "diundashboard_reconcile_errors_total",
			Help: "Failed reconciles and images that could not be recorded, per Diun address."}, []string{"diun"}),
		recovered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "diundashboard_reconcile_recovered_total",
			Help: "Digests recorded from Diun: source reconcile (a missed webhook) or backfill (known images)."}, []string{"diun", "source"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "diundashboard_reconcile_refused_total",
			Help: "Digests read from Diun the store left out: one the image had before, or an image a webhook changed after Diun was read."}, []string{"diun"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "diundashboard_reconcile_last_success_timestamp_seconds",
			Help: "When the last reconcile that read a Diun fully ended (Unix time)."}, []string{"diun"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.runs, m.errors, m.recovered, m.refused, m.lastSuccess} {
			_ = reg.Register(c) // Register, not MustRegister: a second Reconciler must not panic
		}
	}
	return m
}

func (m *metrics) init(addr string) {
	m.runs.WithLabelValues(addr)
	m.errors.WithLabelValues(addr)
	m.refused.WithLabelValues(addr)
	m.recovered.WithLabelValues(addr, "reconcile")
	m.recovered.WithLabelValues(addr, "backfill")
}
