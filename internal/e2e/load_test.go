//go:build e2e

package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/proctest"
)

// The load: 50,000 notifications from 64 concurrent senders over 2,000 (host, image) pairs.
// Each pair belongs to one sender, which sends its notifications in order, so the last digest
// of every pair is well defined.
const (
	loadNotifications = 50_000
	loadSenders       = 64
	loadPairs         = 2_000
)

func TestLoadSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "load.db")
	p := start(t, "sqlite:"+path)
	a, last := runLoad(t, p)
	p.stop()
	forbiddenInLogs(t, p.Logs.String())
	db := openSQLite(t, path)
	verifyLoad(t, db, a, last)
	integrityCheck(t, db)
}

// runLoad sends the load to p and returns what was acknowledged and, per pair, the digest of
// its last notification. Every request must get a 2xx.
func runLoad(t *testing.T, p *proc) (*acked, map[int]string) {
	t.Helper()
	a := newAcked()
	client := newClient(loadSenders, 30*time.Second)
	perPair := loadNotifications / loadPairs
	var mu sync.Mutex
	last := map[int]string{}
	failures := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for w := range loadSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Sender w owns pairs w, w+64, …; it goes round them perPair times.
			var mine []int
			for pair := w; pair < loadPairs; pair += loadSenders {
				mine = append(mine, pair)
			}
			for seq := range perPair {
				for _, pair := range mine {
					digest := digestOf("load", pair, seq)
					r := send(ctx, client, p.URL("/webhook"), notification(pair, digest))
					if r.err != nil || r.status/100 != 2 {
						mu.Lock()
						failures[fmt.Sprintf("status %d err %v %.200s", r.status, r.err, r.body)]++
						mu.Unlock()
						continue
					}
					a.add(r.eventID, digest)
					mu.Lock()
					last[pair] = digest
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d notifications from %d senders in %s (%.0f/s)", a.len(), loadSenders, elapsed.Round(time.Millisecond), float64(a.len())/elapsed.Seconds())
	if len(failures) > 0 {
		t.Errorf("requests that got no 2xx: %v\nlog:\n%s", failures, tail(p.Logs.String(), 4000))
	}
	return a, last
}

// verifyLoad checks that every 2xx is stored exactly once, and nothing else is, and that each
// current row holds the last digest of its pair.
func verifyLoad(t *testing.T, db *sql.DB, a *acked, last map[int]string) {
	t.Helper()
	stored := proctest.StoredEvents(context.Background(), t, db)
	checkAckedStored(t, a, stored)
	if len(stored) != a.len() {
		t.Errorf("the database holds %d events, but %d notifications were acknowledged", len(stored), a.len())
	}
	if a.len() != loadNotifications {
		t.Errorf("%d of %d notifications acknowledged", a.len(), loadNotifications)
	}
	var digests int
	if err := db.QueryRow(`SELECT count(DISTINCT digest) FROM events`).Scan(&digests); err != nil {
		t.Fatal(err)
	}
	if digests != len(stored) {
		t.Errorf("%d events but %d distinct digests: a notification was stored twice", len(stored), digests)
	}
	rows, err := db.Query(`SELECT hostname, image, digest, notifications FROM images`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	current := map[string]string{}
	var total int64
	for rows.Next() {
		var host, image, digest string
		var n int64
		if err := rows.Scan(&host, &image, &digest, &n); err != nil {
			t.Fatal(err)
		}
		current[host+" "+image] = digest
		total += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(current) != loadPairs {
		t.Errorf("%d current rows, want %d", len(current), loadPairs)
	}
	wrong := 0
	for pair, digest := range last {
		host, image := pairName(pair)
		if got := current[host+" "+image]; got != digest {
			if wrong < 5 {
				t.Errorf("pair %d (%s %s): current digest %s, last sent %s", pair, host, image, got, digest)
			}
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d current rows do not hold the last digest", wrong, len(last))
	}
	if total != int64(len(stored)) {
		t.Errorf("current rows count %d notifications in all, the events table %d", total, len(stored))
	}
}
