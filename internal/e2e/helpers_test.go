//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/proctest"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver, to read PostgreSQL rows directly
	_ "modernc.org/sqlite"             // "sqlite" driver, to read the SQLite file directly
)

// token is the WEBHOOK_TOKEN of every server these tests start.
const token = "e2e-webhook-token-0123456789"

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds cmd/diundashboard once per test run, as `make build` does (no cgo).
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "dd-e2e-bin")
		if binErr != nil {
			return
		}
		binPath, binErr = proctest.BuildBinary(binDir)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is one running diundashboard process.
type proc struct {
	*proctest.Process
	t *testing.T
}

// start runs the binary serving on a free loopback port with databaseURL and extra
// environment (KEY=value), and waits until /readyz answers 200.
func start(t *testing.T, databaseURL string, extraEnv ...string) *proc {
	t.Helper()
	p := startNoWait(t, databaseURL, extraEnv...)
	if err := p.WaitReady(20 * time.Second); err != nil {
		p.Kill()
		t.Fatalf("server did not become ready: %v\nlog:\n%s", err, p.Logs.String())
	}
	return p
}

func startNoWait(t *testing.T, databaseURL string, extraEnv ...string) *proc {
	t.Helper()
	env := append(os.Environ(),
		"DATABASE_URL="+databaseURL, "WEBHOOK_TOKEN="+token,
		"AUTH_MODE=none", "LOG_LEVEL=warn", "EVENT_RETENTION=0")
	return &proc{Process: proctest.Start(t, "the server", binary(t), append(env, extraEnv...)), t: t}
}

// stop asks the process to shut down (SIGTERM) and waits for it.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.Terminate(20 * time.Second); err != nil {
		p.t.Fatalf("%v\nlog:\n%s", err, p.Logs.String())
	}
}

// pairName is the (hostname, image) of pair i: 40 hosts, 50 images each for 2,000 pairs.
func pairName(pair int) (host, image string) {
	return fmt.Sprintf("host-%02d", pair%40), fmt.Sprintf("registry.example/team-%d/app-%04d:1.%d", pair%13, pair, pair%5)
}

// digestOf is the digest of the seq-th notification of pair, unique per (tag, pair, seq).
func digestOf(tag string, pair, seq int) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d", tag, pair, seq)))
}

// notification is a Diun v4.33 docker-provider update body.
func notification(pair int, digest string) []byte {
	host, image := pairName(pair)
	b, _ := json.Marshal(map[string]any{
		"diun_version": "v4.33.0", "hostname": host, "status": "update", "provider": "docker",
		"image": image, "hub_link": "", "mime_type": "application/vnd.oci.image.index.v1+json",
		"digest": digest, "created": "2026-06-27T13:20:19.987654321Z", "platform": "linux/amd64",
		"metadata": map[string]string{"ctn_names": fmt.Sprintf("app-%04d-1", pair), "ctn_state": "running", "ctn_status": "Up 2 hours (healthy)"},
	})
	return b
}

// reply is what a webhook request came back with.
type reply struct {
	status  int
	eventID int64
	body    []byte
	err     error
	elapsed time.Duration
}

func newClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
	}}
}

// send posts one notification the way Diun does with a header token.
func send(ctx context.Context, client *http.Client, url string, body []byte) reply {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return reply{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "diun/4.33.0 go/1.24 Linux")
	resp, err := client.Do(req)
	if err != nil {
		return reply{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, body: rb, err: err, elapsed: time.Since(start)}
	if err == nil && resp.StatusCode/100 == 2 {
		var v struct {
			EventID int64 `json:"event_id"`
		}
		if jerr := json.Unmarshal(rb, &v); jerr != nil || v.EventID <= 0 {
			r.err = fmt.Errorf("2xx without an event id: %s", rb)
		}
		r.eventID = v.EventID
	}
	return r
}

// isJSONError reports whether body is {"error": "<non-empty>"}.
func isJSONError(body []byte) bool {
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error != ""
}

// acked is every notification a server answered 2xx, by event id.
type acked struct {
	mu     sync.Mutex
	byID   map[int64]string // event id → digest
	dupIDs []int64
}

func newAcked() *acked { return &acked{byID: map[int64]string{}} }

func (a *acked) add(id int64, digest string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.byID[id]; dup {
		a.dupIDs = append(a.dupIDs, id)
	}
	a.byID[id] = digest
}

func (a *acked) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.byID)
}

// checkAckedStored fails for every acknowledged notification that is missing or different.
func checkAckedStored(t *testing.T, a *acked, stored map[int64]string) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.dupIDs) > 0 {
		t.Errorf("%d event ids were answered twice, e.g. %d", len(a.dupIDs), a.dupIDs[0])
	}
	missing := 0
	for id, digest := range a.byID {
		got, ok := stored[id]
		if !ok || got != digest {
			if missing < 5 {
				t.Errorf("acknowledged event %d (digest %s) is missing or different in the database (got %q)", id, digest, got)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged notifications are missing", missing, len(a.byID))
	}
}

// openSQLite opens the SQLite file directly, read-write with the same settings as the store,
// for checks after the server has stopped.
func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func integrityCheck(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`PRAGMA integrity_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, s)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		t.Fatalf("PRAGMA integrity_check: %s", strings.Join(lines, "; "))
	}
}

// forbiddenInLogs fails when the server log shows lock contention, a panic or the token.
func forbiddenInLogs(t *testing.T, logs string) {
	t.Helper()
	for _, s := range []string{"SQLITE_BUSY", "database is locked", "panic:", token} {
		if strings.Contains(logs, s) {
			t.Errorf("server log contains %q:\n%s", s, tail(logs, 4000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
