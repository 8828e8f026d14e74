// Package retention deletes events older than EVENT_RETENTION. Current rows (images) stay:
// only their history is pruned. Deleting runs in bounded batches (Store.PruneEvents), so the
// writer is never held long and ingest goes on meanwhile.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// DefaultRetention is how long events are kept unless EVENT_RETENTION says otherwise.
const DefaultRetention = 365 * 24 * time.Hour

// DefaultInterval is how often the job prunes.
const DefaultInterval = time.Hour

// Parse reads an EVENT_RETENTION value: "0" keeps events forever (it returns 0), a plain
// number is days ("365"), a number with a "d" suffix is days ("365d"), and anything else is
// a Go duration ("8760h", "90m"). Negative values are refused.
func Parse(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultRetention, nil
	}
	if s == "0" {
		return 0, nil
	}
	if n, ok := textutil.ParseDays(s); ok {
		if n < 0 {
			return 0, fmt.Errorf("EVENT_RETENTION %q is negative; use 0 to keep events forever", s)
		}
		if n > 100*365 {
			return 0, fmt.Errorf("EVENT_RETENTION %q is more than a century; use 0 to keep events forever", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("EVENT_RETENTION %q is not a number of days (365 or 365d), a duration (8760h) or 0 (keep forever)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("EVENT_RETENTION %q is negative; use 0 to keep events forever", s)
	}
	return d, nil
}

// Pruner prunes old events periodically. The zero Interval means DefaultInterval; a zero
// Retention disables it.
type Pruner struct {
	Store     store.Store
	Retention time.Duration
	Interval  time.Duration
	Log       *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Cutoff is the time before which events go.
func (p *Pruner) Cutoff() time.Time {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	return now().Add(-p.Retention)
}

// PruneOnce deletes the events received before Cutoff and returns how many went.
func (p *Pruner) PruneOnce(ctx context.Context) (int64, error) {
	if p.Retention <= 0 {
		return 0, nil
	}
	return p.Store.PruneEvents(ctx, p.Cutoff())
}

// Run prunes at once, then every Interval, until ctx ends. Errors are logged, never fatal:
// the next round tries again.
func (p *Pruner) Run(ctx context.Context) {
	if p.Retention <= 0 {
		return
	}
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		start := time.Now()
		cutoff := p.Cutoff()
		n, err := p.PruneOnce(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			// Stopping mid-run: the batches already deleted are gone, so say so.
			if n > 0 {
				log.Info("pruned old events", "count", n, "cutoff", cutoff.UTC().Format(time.RFC3339), "duration", time.Since(start).Round(time.Millisecond), "stopped", true)
			}
			return
		case err != nil:
			log.Warn("cannot prune old events; trying again later", "err", err, "pruned", n, "cutoff", cutoff.UTC().Format(time.RFC3339))
		case n > 0:
			log.Info("pruned old events", "count", n, "cutoff", cutoff.UTC().Format(time.RFC3339), "duration", time.Since(start).Round(time.Millisecond))
		default:
			log.Debug("no events to prune", "cutoff", cutoff.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
