package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"diundashboard/server/live"
	"diundashboard/server/store"
)

// RunBackground runs the server's periodic jobs until ctx ends: snoozed images whose time has
// come are reopened (through the triage service, so open pages hear of it), expired sessions
// go, a webhook token rotated on another replica comes in; on PostgreSQL, live updates are
// relayed to and from the other replicas; with MQTT_URL, Home Assistant is kept up to date.
func (s *Server) RunBackground(ctx context.Context) {
	go s.runLiveBridge(ctx)
	go s.notify.Run(ctx)
	go s.runMQTT(ctx)
	if s.reconcile != nil {
		go s.reconcile.Run(ctx)
	}
	// A snooze ends within wakeEvery of its time (a cheap query on a partial index); the
	// sweep's housekeeping can wait longer.
	wake := time.NewTicker(wakeEvery)
	defer wake.Stop()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	s.wakeSnoozed(ctx)
	s.sweep(ctx)
	defer s.noteStopped()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake.C:
			s.wakeSnoozed(ctx)
		case <-sweep.C:
			s.sweep(ctx)
		}
	}
}

// wakeEvery is how often the snooze timer looks for snoozes that have ended.
const wakeEvery = 5 * time.Second

// sweepEvery is how often the sweep runs (sessions, the webhook token, the running lease).
const sweepEvery = 30 * time.Second

func (s *Server) wakeSnoozed(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	woken, err := s.triage.WakeSnoozed(ctx, time.Now())
	if err != nil && ctx.Err() == nil {
		s.log.Warn("cannot reopen snoozed images", "err", err)
	} else if len(woken) > 0 {
		s.log.Info("reopened snoozed images", "count", len(woken))
	}
}

// sweep does the housekeeping of sign-in and the webhook token, and notes the server running.
func (s *Server) sweep(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	if _, err := s.auth.Sweep(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("cannot delete expired sessions", "err", err)
	}
	if err := s.token.Reload(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("cannot read the webhook token", "err", err)
	}
	if err := s.token.RecordSource(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("cannot record where the webhook token comes from", "err", err)
	}
	if err := s.noteRunning(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("cannot note that the server runs (import and copy look for it)", "err", err)
	}
}

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
