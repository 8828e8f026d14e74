//go:build e2e

package e2e

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/internal/proctest"
)

// TestCrashKill9 kills the server with SIGKILL at random moments while notifications arrive,
// restarts it on the same SQLite file, and checks that every notification that was answered
// 2xx survived, that the server starts cleanly every time, and that the file is sound.
func TestCrashKill9(t *testing.T) {
	const (
		rounds  = 12
		senders = 6
	)
	path := filepath.Join(t.TempDir(), "crash.db")
	a := newAcked()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	var seq atomic.Int64
	var refused atomic.Int64
	for round := range rounds {
		p := start(t, "sqlite:"+path)
		if logs := p.Logs.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "panic") {
			t.Fatalf("round %d: the server logged errors on start:\n%s", round, logs)
		}
		ctx, cancel := context.WithCancel(context.Background())
		client := newClient(senders, 10*time.Second)
		var wg sync.WaitGroup
		var sent atomic.Int64
		for w := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					n := int(seq.Add(1))
					pair := (w*1000 + n) % 500
					digest := digestOf("crash", pair, n)
					r := send(ctx, client, p.URL("/webhook"), notification(pair, digest))
					switch {
					case r.err == nil && r.status == 200:
						a.add(r.eventID, digest)
						sent.Add(1)
					case r.err == nil:
						// An answer that is not a 2xx is allowed only as a 503 during shutdown.
						refused.Add(1)
						if r.status != 503 {
							t.Errorf("round %d: status %d: %s", round, r.status, r.body)
						}
					}
				}
			}()
		}
		// Kill at a random moment: early in the first requests, or well into the load.
		time.Sleep(time.Duration(50+rng.IntN(1200)) * time.Millisecond)
		p.Kill()
		cancel()
		wg.Wait()
		client.CloseIdleConnections()
		t.Logf("round %d: %d notifications acknowledged before kill -9", round, sent.Load())
	}

	// One more clean start proves the last crash left a usable database; then read the file.
	p := start(t, "sqlite:"+path)
	p.stop()
	db := openSQLite(t, path)
	integrityCheck(t, db)
	stored := proctest.StoredEvents(context.Background(), t, db)
	checkAckedStored(t, a, stored)
	t.Logf("%d acknowledged, %d stored, %d answered 503", a.len(), len(stored), refused.Load())
	if a.len() < rounds*10 {
		t.Errorf("only %d notifications were acknowledged in %d rounds: the load did not run", a.len(), rounds)
	}
	var fk int
	if err := db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if fk != 0 {
		t.Errorf("%d rows break a foreign key", fk)
	}
}
