package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"diundashboard/server/store"
)

// A running server holds a lease of its own, "server:" and a random id, renewed each sweep
// (sweepEvery) for runningFor and released when it stops: import and copy refuse to write
// under a running server (CheckNotRunning), which would keep its settings and token from
// before and lose the webhooks refused while the import holds the database. One lease per
// server, so that one replica stopping does not hide the others. Leases are not copied or
// exported: a copy or a restore never looks like a running server's database.
const runningLeases = "server:%"

// runningFor is how long a lease lasts: three sweeps, so that one slow sweep does not make a
// running server look stopped. A server that crashed counts as running for as long.
const runningFor = 3 * sweepEvery

// newRunningLease names this server's lease.
func newRunningLease() string { return "server:" + rand.Text() }

// noteRunning renews this server's lease, and forgets those of servers that stopped.
func (s *Server) noteRunning(ctx context.Context) error {
	now := time.Now()
	if _, err := s.store.TakeLease(ctx, s.runningLease, s.runningLease, now, now.Add(runningFor)); err != nil {
		return err
	}
	_, err := s.store.DeleteExpiredLeases(ctx, runningLeases, now)
	return err
}

// noteStopped releases this server's lease when it stops.
func (s *Server) noteStopped() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	if _, err := s.store.TakeLease(ctx, s.runningLease, s.runningLease, now, now); err != nil {
		s.log.Warn("cannot note that the server stopped; import and copy refuse this database for "+runningFor.String(), "err", err)
	}
}

// ErrServerRunning: a server noted itself running on the database a moment ago.
var ErrServerRunning = errors.New("a DiunDashboard server is running on this database")

// CheckNotRunning returns ErrServerRunning, with when and what to do, when a server holds its
// running lease on st's database at now.
func CheckNotRunning(ctx context.Context, st store.Store, now time.Time) error {
	_, until, err := st.LiveLease(ctx, runningLeases, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ago := max(0, now.Sub(until.Add(-runningFor))).Round(time.Second)
	return fmt.Errorf("%w, or one crashed less than %s ago (the last note %s ago; a running one notes every %s): stop it first, then run this again; if none runs, run this again after %s",
		ErrServerRunning, runningFor, ago, sweepEvery, until.Local().Format(time.TimeOnly))
}
