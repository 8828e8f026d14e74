package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"diundashboard/server/store"
)

// RunningSetting is store.RunningSetting: the time a server last noted itself running on the
// database (each sweep, every 30 s), or "" once it stopped. Import and copy refuse to write
// under a running server (CheckNotRunning), which would keep its settings and token from
// before and lose the webhooks refused while the import holds the database.
const RunningSetting = store.RunningSetting

// runningFor is how long a note counts: three sweeps, so that one slow sweep does not make a
// running server look stopped. A server that crashed counts as running for as long.
const runningFor = 90 * time.Second

// noteRunning renews this server's note.
func (s *Server) noteRunning(ctx context.Context) error {
	return s.store.PutSetting(ctx, RunningSetting, time.Now().UTC().Format(time.RFC3339Nano))
}

// noteStopped clears the note when the server stops. With replicas sharing a PostgreSQL
// database, another replica's next sweep notes it again.
func (s *Server) noteStopped() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.PutSetting(ctx, RunningSetting, ""); err != nil {
		s.log.Warn("cannot note that the server stopped; import and copy refuse this database for "+runningFor.String(), "err", err)
	}
}

// ErrServerRunning: a server noted itself running on the database a moment ago.
var ErrServerRunning = errors.New("a DiunDashboard server is running on this database")

// CheckNotRunning returns ErrServerRunning, with when and what to do, when a server noted
// itself running on st's database within runningFor of now.
func CheckNotRunning(ctx context.Context, st store.Store, now time.Time) error {
	v, err := st.Setting(ctx, RunningSetting)
	if errors.Is(err, store.ErrNotFound) || (err == nil && v == "") {
		return nil
	}
	if err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil // not a time this version wrote: no server of it noted anything
	}
	if ago := now.Sub(at); ago < runningFor && ago > -runningFor {
		return fmt.Errorf("%w (it noted so %s ago, and does every 30 s): stop it first, then run this again; if none runs (one that crashed), run this again after %s",
			ErrServerRunning, max(0, ago).Round(time.Second), at.Add(runningFor).Local().Format(time.TimeOnly))
	}
	return nil
}
