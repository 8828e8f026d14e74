//go:build e2e && postgres

package e2e

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/internal/proctest"
)

// storeTimeout is the server's bound on one request's database work (server.Options).
const storeTimeout = 5 * time.Second

// TestOutagePostgres puts a TCP proxy between the server and PostgreSQL and cuts it mid-load:
// webhooks must get 503 within the store timeout and /readyz 503; once the proxy is back on
// the same port, everything works again within 5 s with no restart, and nothing that got a
// 2xx is missing. The machine's PostgreSQL server itself is never touched.
//
// "refused": the proxy stops listening (a stopped database: connections are refused at once).
// "vanished": the proxy accepts connections and answers nothing (a host gone from the network:
// only timeouts end the wait).
func TestOutagePostgres(t *testing.T) {
	t.Run("refused", func(t *testing.T) { testOutage(t, false) })
	t.Run("vanished", func(t *testing.T) { testOutage(t, true) })
}

func testOutage(t *testing.T, vanish bool) {
	dbURL := pgtest.NewDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	viaProxy := *u
	viaProxy.Host = proxy.addr
	p := start(t, viaProxy.String())

	a := newAcked()
	type outcome struct {
		at      time.Time
		status  int
		elapsed time.Duration
		body    []byte
		err     error
	}
	var mu sync.Mutex
	var outcomes []outcome
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := newClient(16, 20*time.Second)
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := int(seq.Add(1))
				pair := (w*97 + n) % 300
				digest := digestOf("outage", pair, n)
				r := send(ctx, client, p.URL("/webhook"), notification(pair, digest))
				if ctx.Err() != nil && r.err != nil {
					return
				}
				if r.err == nil && r.status == 200 {
					a.add(r.eventID, digest)
				}
				mu.Lock()
				outcomes = append(outcomes, outcome{at: time.Now(), status: r.status, elapsed: r.elapsed, body: r.body, err: r.err})
				mu.Unlock()
				if r.status != 200 {
					time.Sleep(20 * time.Millisecond) // as a client backing off; keeps the loop bounded
				}
			}
		}()
	}

	readyz := func() int {
		c := &http.Client{Timeout: 10 * time.Second}
		resp, err := c.Get(p.URL("/readyz"))
		if err != nil {
			t.Fatalf("/readyz: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	time.Sleep(1500 * time.Millisecond)
	before := a.len()
	if before == 0 {
		t.Fatalf("nothing was stored before the outage:\n%s", p.Logs.String())
	}
	cutAt := time.Now()
	if vanish {
		proxy.vanish()
	} else {
		proxy.cut()
	}
	t.Logf("cut the database connection after %d acknowledged notifications", before)

	time.Sleep(storeTimeout + 2*time.Second) // long enough for every request in flight to end
	if s := readyz(); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d, want 503", s)
	}
	restoredAt := time.Now()
	proxy.restore()

	// Within 5 s: /readyz 200 and webhooks 200 again, no restart.
	var recoveredAt time.Time
	for time.Since(restoredAt) < 10*time.Second {
		mu.Lock()
		for _, o := range outcomes {
			if o.at.After(restoredAt) && o.status == 200 && recoveredAt.IsZero() {
				recoveredAt = o.at
			}
		}
		mu.Unlock()
		if !recoveredAt.IsZero() && readyz() == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if recoveredAt.IsZero() || recoveredAt.Sub(restoredAt) > 5*time.Second {
		t.Errorf("webhooks did not answer 200 within 5 s of the database's return (recovered at +%s)", recoveredAt.Sub(restoredAt))
	} else {
		t.Logf("webhooks answered 200 again %s after the database came back", recoveredAt.Sub(restoredAt).Round(time.Millisecond))
	}
	time.Sleep(2 * time.Second)
	stableFrom := time.Now()
	time.Sleep(time.Second)
	cancel()
	wg.Wait()
	if p.Exited() {
		t.Fatalf("the server exited during the outage:\n%s", p.Logs.String())
	}

	var during, during503, after, afterOK int
	for _, o := range outcomes {
		switch {
		case o.at.After(cutAt) && o.at.Before(restoredAt):
			// Requests that ended during the outage: a 503 with a JSON error within the store
			// timeout (plus scheduling slack), or a 200 for one that committed just before.
			if o.err != nil {
				t.Errorf("during the outage: transport error %v", o.err)
				continue
			}
			during++
			if o.status == 503 {
				during503++
				if !isJSONError(o.body) {
					t.Errorf("503 without a JSON error: %s", o.body)
				}
			} else if o.status != 200 {
				t.Errorf("during the outage: status %d: %s", o.status, o.body)
			}
			if o.elapsed > storeTimeout+time.Second {
				t.Errorf("during the outage a webhook took %s to answer %d (store timeout %s)", o.elapsed, o.status, storeTimeout)
			}
		case o.at.After(stableFrom):
			after++
			if o.status == 200 && o.err == nil {
				afterOK++
			}
		}
	}
	t.Logf("during the outage: %d answers, %d of them 503; after recovery: %d of %d answered 200", during, during503, afterOK, after)
	if during503 == 0 {
		t.Errorf("no webhook got 503 during the outage")
	}
	if after == 0 || afterOK != after {
		t.Errorf("after recovery %d of %d webhooks got 200", afterOK, after)
	}

	p.stop()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkAckedStored(t, a, proctest.StoredEvents(context.Background(), t, db))
	t.Logf("%d acknowledged notifications, all stored", a.len())
}
