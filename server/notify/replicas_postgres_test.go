//go:build postgres

package notify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
)

func openPostgres(t *testing.T, databaseURL string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Three replicas (each its own Service and connection pool) on one PostgreSQL database work
// the same queue and outbox at the same time: every image is announced in exactly one
// message, each message arrives once, the digest of a slot once.
func TestThreeReplicasSendEachMessageOnce(t *testing.T) {
	databaseURL := pgtest.NewDatabase(t)
	if err := store.Migrate(context.Background(), databaseURL); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	// A receiver that takes a while widens the window in which replicas overlap.
	rcv.setDelay(5 * time.Millisecond)
	clk := &clock{t: time.Date(2026, 11, 30, 7, 30, 0, 0, time.UTC)}
	cfg := mustConfig(t, rcv.jsonURL(), "2m", "daily@08:00")
	var replicas []*Service
	for range 3 {
		// The test's clock jumps minutes at a time: a lease must outlast the jumps, as a real
		// one outlasts a send.
		replicas = append(replicas, New(openPostgres(t, databaseURL), cfg, Options{Now: clk.Now, Logger: quietLogger(), Location: time.UTC, LeaseFor: time.Hour}))
	}
	writer := openPostgres(t, databaseURL)

	// Five bursts of 20 images, and 30 test messages, while all three replicas tick.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var tickErrs sync.Map
	for i, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := r.Tick(t.Context()); err != nil {
					tickErrs.Store(i, err)
				}
			}
		}()
	}
	image := 0
	for burst := range 5 {
		for range 20 {
			if _, err := writer.Record(t.Context(), notification(fmt.Sprintf("host%d", image%3), fmt.Sprintf("img%03d:1", image), image, clk.Now(), clk.Now())); err != nil {
				t.Fatal(err)
			}
			image++
		}
		for j := range 6 {
			if err := replicas[j%3].SendTest(t.Context(), fmt.Sprintf("burst%d-test%d", burst, j)); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(3 * time.Minute)
	}
	clk.Advance(15 * time.Minute) // 08:00: the digest's slot
	// Let the replicas finish what is due, then stop them and tick once more each.
	waitFor(t, func() bool {
		n, err := writer.CountOutboxUnsent(t.Context())
		return err == nil && n == 0 && queued(t, writer) == 0
	})
	close(stop)
	wg.Wait()
	for _, r := range replicas {
		tick(t, r)
	}
	tickErrs.Range(func(k, v any) bool { t.Errorf("replica %v: %v", k, v); return true })

	got := rcv.messages()
	seen := map[string]int{}
	tests, news, digests := 0, 0, 0
	for _, m := range got {
		switch {
		case strings.HasPrefix(m.Title, "DiunDashboard test"):
			tests++
			seen[m.Message]++
		case strings.HasPrefix(m.Title, "Diun digest"):
			digests++
		default:
			news++
			for _, line := range strings.Split(m.Message, "\n") {
				if strings.HasPrefix(line, "- img") {
					seen[strings.SplitN(line, ":", 2)[0]]++
				}
			}
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%q arrived %d times", k, n)
		}
	}
	if tests != 30 {
		t.Errorf("%d test messages arrived; want 30", tests)
	}
	if images := len(seen) - 30; images != 100 {
		t.Errorf("%d images announced; want 100", images)
	}
	if digests != 1 {
		t.Errorf("%d digests arrived for the 08:00 slot; want 1", digests)
	}
	rows, err := writer.ListOutbox(t.Context(), 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(got) {
		t.Errorf("%d outbox rows, %d messages received", len(rows), len(got))
	}
	for _, r := range rows {
		if r.Attempts != 1 {
			t.Errorf("row %d (%s) took %d attempts; a receiver that never fails needs 1", r.ID, r.Kind, r.Attempts)
		}
	}
	t.Logf("%d messages: %d about new updates, %d tests, %d digest", len(got), news, tests, digests)
}

func queued(t *testing.T, st store.Store) int {
	n := 0
	if _, err := st.ComposeQueued(t.Context(), 1000, nil, time.Now(), func(items []store.QueuedUpdate) (*store.OutboxMessage, error) {
		n = len(items)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *receiver) setDelay(d time.Duration) {
	r.mu.Lock()
	r.delay = d
	r.mu.Unlock()
}

// waitFor polls cond until it holds; the test's own timeout bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatal("gave up waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
