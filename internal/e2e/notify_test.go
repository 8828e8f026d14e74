//go:build e2e

package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookReceiver is the destination of the server's notifications (generic+http).
type hookReceiver struct {
	mu   sync.Mutex
	got  []string
	fail bool
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	h.got = append(h.got, string(body))
}

func (h *hookReceiver) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

func (h *hookReceiver) setFail(f bool) { h.mu.Lock(); h.fail = f; h.mu.Unlock() }

// waitUntil polls cond for up to limit (the server's worker polls every 5 s).
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting after %s: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNotifyOutboxSurvivesKill9: the binary is killed with SIGKILL (1) after Diun's
// notifications were stored and queued but before the message was composed, and (2) after the
// message was composed but before a delivery succeeded. Each time the restarted server sends
// the message, and it arrives once.
func TestNotifyOutboxSurvivesKill9(t *testing.T) {
	rcv := &hookReceiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "notify.db")
	hook := "NOTIFY_URLS=generic+" + srv.URL + "/hook"
	client := newClient(2, 10*time.Second)

	// (1) A burst window of an hour: nothing can be sent before the kill.
	p := start(t, "sqlite:"+path, hook, "NOTIFY_NEW=1h")
	for pair := range 5 {
		if r := send(context.Background(), client, p.URL("/webhook"), notification(pair, digestOf("notify", pair, 1))); r.err != nil || r.status != 200 {
			t.Fatalf("webhook: %d %v %s", r.status, r.err, r.body)
		}
	}
	p.Kill()
	if n := len(rcv.messages()); n != 0 {
		t.Fatalf("%d messages before the burst window ended", n)
	}
	// Restarted with a short window, the queued burst goes as one message.
	p = start(t, "sqlite:"+path, hook, "NOTIFY_NEW=1s")
	waitUntil(t, 30*time.Second, "the queued burst's message", func() bool { return len(rcv.messages()) > 0 })

	// (2) The next burst is composed, but the receiver is down: the message stays in the outbox.
	rcv.setFail(true)
	for pair := 5; pair < 8; pair++ {
		if r := send(context.Background(), client, p.URL("/webhook"), notification(pair, digestOf("notify", pair, 1))); r.err != nil || r.status != 200 {
			t.Fatalf("webhook: %d %v %s", r.status, r.err, r.body)
		}
	}
	waitUntil(t, 30*time.Second, "a failed delivery in the log", func() bool {
		return strings.Contains(p.Logs.String(), "delivery failed")
	})
	p.Kill()
	rcv.setFail(false)
	p = start(t, "sqlite:"+path, hook, "NOTIFY_NEW=1s")
	// The failed row's backoff (10 s) is kept across the restart.
	waitUntil(t, 60*time.Second, "the composed message after the restart", func() bool { return len(rcv.messages()) > 1 })
	p.stop()
	forbiddenInLogs(t, p.Logs.String())

	got := rcv.messages()
	if len(got) != 2 {
		t.Fatalf("%d messages; want 2 (one per burst):\n%s", len(got), strings.Join(got, "\n---\n"))
	}
	for i, want := range [][2]int{{0, 5}, {5, 8}} {
		for pair := range 8 {
			host, image := pairName(pair)
			in := strings.Contains(got[i], image)
			if should := pair >= want[0] && pair < want[1]; in != should {
				t.Errorf("message %d names %s on %s: %v; want %v\n%s", i, image, host, in, should, got[i])
			}
			if in && strings.Count(got[i], image) != 1 {
				t.Errorf("message %d names %s %d times", i, image, strings.Count(got[i], image))
			}
		}
	}
	db := openSQLite(t, path)
	var sent, unsent, queued int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE sent_at IS NULL) FROM notify_outbox`).Scan(&sent, &unsent); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM notify_queue`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if sent != 2 || unsent != 0 || queued != 0 {
		t.Errorf("outbox: %d sent, %d unsent, %d queued; want 2, 0, 0", sent, unsent, queued)
	}
}
