package server

import (
	"context"

	"diundashboard/server/live"
	"diundashboard/server/store"

	"github.com/prometheus/client_golang/prometheus"
)

// runLiveBridge carries live updates between the replicas that share the store's database,
// until ctx ends. A store that cannot (SQLite, owned by one process) needs nothing.
func (s *Server) runLiveBridge(ctx context.Context) {
	n, ok := s.store.(store.Notifier)
	if !ok {
		return
	}
	b := live.NewBridge(s.hub, n, s.log)
	if m := s.opts.Metrics; m != nil {
		// Register, not MustRegister: a second RunBackground on one server must not panic.
		_ = m.Registry().Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "diundashboard_live_events_dropped_total",
			Help: "Live-update events that did not reach the other replicas (their send queue was full).",
		}, func() float64 { return float64(b.Dropped()) }))
	}
	s.log.Debug("relaying live updates to and from the other replicas", "channel", store.LiveChannel, "origin", b.Origin())
	b.Run(ctx)
}
