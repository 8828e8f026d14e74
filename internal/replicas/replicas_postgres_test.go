//go:build postgres

package replicas

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/internal/proctest"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver, to read the database directly
)

// liveDelay is how soon a notification posted to one replica must show in a browser's event
// stream on another. A stream tells its browser at most once a second (server/web liveWindow):
// the first event after a quiet second goes out at once, a later one waits for the window's end,
// so a notification may wait up to a second there, plus the trip between replicas.
const liveDelay = 2500 * time.Millisecond

// isNotificationOf tells whether e tells of image id: an event about it, or a merged one about
// several images (image id 0: the stream's window, or the bridge, merged notifications).
func isNotificationOf(e sseEvent, id int64) bool {
	return e.kind == "notification" && (e.imageID == id || e.imageID == 0)
}

// TestThreeReplicas starts three replicas at once on a fresh database and checks that they act
// as one dashboard: all come up, they share the generated webhook token, a notification
// posted to any of them reaches the event streams of the others within liveDelay, and killing
// one while notifications arrive at all three loses none that was acknowledged.
func TestThreeReplicas(t *testing.T) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	bin, err := proctest.BuildBinary(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	built := time.Now()
	t.Logf("built the binary in %s", built.Sub(began).Round(time.Millisecond))
	databaseURL := pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })

	// --- all three start at once on the empty database ---------------------------------
	names := []string{"A", "B", "C"}
	reps := make([]*proctest.Process, len(names))
	for i, name := range names {
		reps[i] = startReplica(t, bin, name, databaseURL)
	}
	var wg sync.WaitGroup
	readyErr := make([]error, len(reps))
	for i, r := range reps {
		wg.Go(func() { readyErr[i] = r.WaitReady(60 * time.Second) })
	}
	wg.Wait()
	for i, err := range readyErr {
		if err != nil {
			t.Fatalf("%v\nlog of %s:\n%s", err, reps[i].Name, reps[i].Logs.String())
		}
	}
	t.Logf("three replicas ready %s after the build", time.Since(built).Round(time.Millisecond))
	a, b, c := reps[0], reps[1], reps[2]
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range reps {
				t.Logf("log of %s, without its request lines:\n%s", r.Name, tail(withoutRequests(r.Logs.String()), 6000))
			}
		}
	})

	// --- one generated webhook token, shared --------------------------------------------
	token := webhookToken(ctx, t, bin, databaseURL)
	var stored string
	if err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'webhook_token'`).Scan(&stored); err != nil {
		t.Fatalf("reading the webhook token from the settings table: %v", err)
	}
	if stored != token {
		t.Fatalf("`diundashboard token` printed a token that is not the one in the settings table")
	}
	generated := 0
	for _, r := range reps {
		if strings.Contains(r.Logs.String(), "generated a webhook token") {
			generated++
		}
	}
	if generated != 1 {
		t.Errorf("%d replicas announced a generated webhook token, want exactly 1", generated)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 16, MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	for _, r := range reps {
		if rep := postWebhook(ctx, client, r, token, notification("token-check", "registry.example/app:1", digestOf("token/"+r.Name))); rep.err != nil {
			t.Errorf("%s refused the shared token: %v", r.Name, rep.err)
		}
		if rep := postWebhook(ctx, client, r, token+"x", notification("token-check", "registry.example/app:1", digestOf("wrong/"+r.Name))); rep.status != http.StatusUnauthorized {
			t.Errorf("%s answered a wrong token with %d (%v), want 401", r.Name, rep.status, rep.err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// --- live updates cross replicas ----------------------------------------------------
	waitListeners(ctx, t, db, len(reps))
	streams := make([]*stream, len(reps))
	for i, r := range reps {
		streams[i] = openStream(ctx, t, r)
	}
	for from := range reps {
		for to := range reps {
			if to == from {
				continue
			}
			streams[to].drain()
			sent := time.Now()
			rep := postWebhook(ctx, client, reps[from], token,
				notification("live", fmt.Sprintf("registry.example/live-%d-%d:1", from, to), digestOf(fmt.Sprintf("live/%d/%d", from, to))))
			if rep.err != nil {
				t.Fatalf("webhook to %s: %v", reps[from].Name, rep.err)
			}
			e, ok := streams[to].waitEvent(liveDelay, func(e sseEvent) bool { return isNotificationOf(e, rep.imageID) })
			if !ok {
				t.Errorf("a notification posted to %s (image %d) did not reach an event stream on %s within %s",
					reps[from].Name, rep.imageID, reps[to].Name, liveDelay)
				continue
			}
			t.Logf("%s → %s: %s", reps[from].Name, reps[to].Name, e.at.Sub(sent).Round(time.Microsecond))
		}
	}
	// A replica's own stream hears its notification once, not again through PostgreSQL.
	streams[0].drain()
	rep := postWebhook(ctx, client, a, token, notification("live", "registry.example/once:1", digestOf("once")))
	if rep.err != nil {
		t.Fatal(rep.err)
	}
	// Heard as itself or merged with others by the stream's window (image id 0), as above.
	if _, ok := streams[0].waitEvent(liveDelay, func(e sseEvent) bool { return isNotificationOf(e, rep.imageID) }); !ok {
		t.Errorf("A's own stream missed its notification")
	}
	if e, ok := streams[0].waitEvent(300*time.Millisecond, func(e sseEvent) bool { return e.imageID == rep.imageID }); ok {
		t.Errorf("A's own stream heard its notification twice: %+v", e)
	}

	// --- kill one replica while notifications arrive at all three ------------------------
	acked := killWhileSending(ctx, t, client, reps, c, token)
	stored2 := proctest.StoredEvents(ctx, t, db)
	missing := 0
	for id, digest := range acked {
		if got, ok := stored2[id]; !ok || got != digest {
			if missing < 5 {
				t.Errorf("acknowledged event %d (digest %s) is missing or different in the database (got %q)", id, digest, got)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged notifications are missing from the database", missing, len(acked))
	}
	var total int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE hostname LIKE 'kill-%'`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	t.Logf("kill: %d notifications acknowledged, %d stored (the rest stored by C as it died, unanswered)", len(acked), total)
	if total < len(acked) {
		t.Errorf("%d events stored, fewer than the %d acknowledged", total, len(acked))
	}

	// The survivors still serve and still relay to each other.
	for _, r := range []*proctest.Process{a, b} {
		if err := r.WaitReady(5 * time.Second); err != nil {
			t.Errorf("after C was killed: %v", err)
		}
	}
	streams[1].drain()
	rep = postWebhook(ctx, client, a, token, notification("live", "registry.example/after-kill:1", digestOf("after-kill")))
	if rep.err != nil {
		t.Fatalf("webhook to A after C was killed: %v", rep.err)
	}
	if _, ok := streams[1].waitEvent(liveDelay, func(e sseEvent) bool { return isNotificationOf(e, rep.imageID) }); !ok {
		t.Errorf("after C was killed, a notification posted to A did not reach B's stream within %s", liveDelay)
	}

	// --- the survivors stop cleanly, and said nothing alarming ---------------------------
	stop(t, a)
	stop(t, b)
	for _, r := range []*proctest.Process{a, b} {
		logs := r.Logs.String()
		// (The replica that generated the webhook token shows it once, by design.)
		for _, bad := range []string{"panic:", "level=ERROR", "live updates"} {
			if strings.Contains(logs, bad) {
				t.Errorf("the log of %s contains %q", r.Name, bad)
			}
		}
	}
	t.Logf("whole test: %s", time.Since(began).Round(time.Millisecond))
}

// webhookToken runs `diundashboard token` on the database.
func webhookToken(ctx context.Context, t *testing.T, bin, databaseURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "token")
	cmd.Env = baseEnv(databaseURL)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("diundashboard token: %v\n%s", err, stderr.String())
	}
	token := strings.TrimSpace(string(out))
	if token == "" || strings.ContainsAny(token, " \n") {
		t.Fatalf("diundashboard token printed %q", out)
	}
	return token
}

// waitListeners waits until n sessions listen for live updates, so that no event is sent
// before a replica hears it.
func waitListeners(ctx context.Context, t *testing.T, db *sql.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replicas listen for live updates after 10 s, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killWhileSending posts notifications to every replica from a few senders each, kills
// victim with SIGKILL in the middle, keeps sending to the survivors for a while, and returns
// every acknowledged (2xx) notification: event id → digest.
func killWhileSending(ctx context.Context, t *testing.T, client *http.Client, reps []*proctest.Process, victim *proctest.Process, token string) map[int64]string {
	t.Helper()
	const sendersPerReplica = 4
	var (
		mu        sync.Mutex
		acked     = map[int64]string{}
		dupIDs    int
		killed    atomic.Bool
		perRep    = make([]atomic.Int64, len(reps))
		afterKill = make([]atomic.Int64, len(reps))
		seq       atomic.Int64
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range reps {
		for s := range sendersPerReplica {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					case <-ctx.Done():
						return
					default:
					}
					n := seq.Add(1)
					digest := digestOf(fmt.Sprintf("kill/%d", n))
					body := notification(fmt.Sprintf("kill-%s-%d", r.Name, s), fmt.Sprintf("registry.example/kill/app-%d:1", n%50), digest)
					wasKilled := killed.Load()
					rep := postWebhook(ctx, client, r, token, body)
					if rep.err != nil {
						if r != victim {
							t.Errorf("webhook to survivor %s failed: %v", r.Name, rep.err)
						}
						if r == victim && killed.Load() {
							time.Sleep(20 * time.Millisecond) // it is gone: do not spin
						}
						continue
					}
					mu.Lock()
					if _, dup := acked[rep.eventID]; dup {
						dupIDs++
					}
					acked[rep.eventID] = digest
					mu.Unlock()
					perRep[i].Add(1)
					if wasKilled {
						afterKill[i].Add(1)
					}
				}
			})
		}
	}
	// Kill once every replica has acknowledged a fair number, then keep going for a while.
	deadline := time.Now().Add(30 * time.Second)
	for perRep[0].Load() < 100 || perRep[1].Load() < 100 || perRep[2].Load() < 100 {
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	killed.Store(true)
	victim.Kill()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	for i, r := range reps {
		t.Logf("kill: %s acknowledged %d notifications, %d of them after %s was killed", r.Name, perRep[i].Load(), afterKill[i].Load(), victim.Name)
		if perRep[i].Load() == 0 {
			t.Errorf("%s acknowledged no notification: the test proves nothing", r.Name)
		}
		if r != victim && afterKill[i].Load() == 0 {
			t.Errorf("survivor %s acknowledged no notification after %s was killed", r.Name, victim.Name)
		}
	}
	if dupIDs > 0 {
		t.Errorf("%d event ids were acknowledged twice", dupIDs)
	}
	return acked
}

// withoutRequests drops the access-log lines from a replica's log.
func withoutRequests(logs string) string {
	var b strings.Builder
	for line := range strings.Lines(logs) {
		if !strings.Contains(line, "msg=request ") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
