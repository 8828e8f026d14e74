package server

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

// TestReadyzWhileTheDiskIsFull: a database that answers but cannot grow (as on a full disk)
// refuses the webhook with 503, and /readyz says that notifications cannot be stored and why;
// before, it answered ready (found by an outside tester).
func TestReadyzWhileTheDiskIsFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dd.db")
	storetest.Open(t, "sqlite:"+path).Close() // migrated
	raw, err := sql.Open("sqlite", store.Target{Dialect: store.DialectSQLite, Path: path}.SQLiteDSN(true))
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	err = raw.QueryRowContext(context.Background(), "PRAGMA page_count").Scan(&pages)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t, storetest.Open(t, fmt.Sprintf("sqlite:%s?_pragma=max_page_count(%d)", path, pages)))
	env.wantStatus(env.request(http.MethodGet, "/readyz", nil), http.StatusOK)
	var refused bool
	for i := 0; i < 50 && !refused; i++ {
		body := strings.Replace(string(readBody(t, "docker-update.json")), `"image":"`, fmt.Sprintf(`"image":"x%d`, i), 1)
		refused = env.webhook(body).Status == http.StatusServiceUnavailable
	}
	if !refused {
		t.Fatal("50 notifications stored in a database that may not grow")
	}
	r := env.request(http.MethodGet, "/readyz", nil)
	env.wantStatus(r, http.StatusServiceUnavailable)
	if msg := r.errorMessage(t); msg != "notifications cannot be stored: the disk is full" {
		t.Errorf("readyz says %q", msg)
	}
	env.wantStatus(env.request(http.MethodGet, "/healthz", nil), http.StatusOK)
}

// TestReadyzWithoutTheSchema: a database dropped and made again under a running server answers
// pings but holds no table: /readyz says so (it answered ready while the webhook failed;
// found by an outside tester).
func TestReadyzWithoutTheSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dd.db")
	env := newTestEnv(t, storetest.Open(t, "sqlite:"+path))
	env.wantStatus(env.request(http.MethodGet, "/readyz", nil), http.StatusOK)
	raw, err := sql.Open("sqlite", store.Target{Dialect: store.DialectSQLite, Path: path}.SQLiteDSN(false))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DROP TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	r := env.request(http.MethodGet, "/readyz", nil)
	env.wantStatus(r, http.StatusServiceUnavailable)
	if msg := r.errorMessage(t); !strings.Contains(msg, "none of the dashboard's tables") {
		t.Errorf("readyz says %q", msg)
	}
}

// TestDatabaseFileDeletedUnderTheServer: a SQLite file deleted (or moved) while the server runs
// still takes its writes, which the next start never sees: the webhook answers 503 and /readyz
// says why, where both answered as if all was well (found by an outside tester).
func TestDatabaseFileDeletedUnderTheServer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dd.db")
	env := newTestEnv(t, storetest.Open(t, "sqlite:"+path))
	env.wantStatus(env.webhook(string(readBody(t, "docker-update.json"))), http.StatusOK)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(path+suffix, filepath.Join(dir, "moved.db"+suffix)); err != nil && suffix == "" {
			t.Fatal(err)
		}
	}
	r := env.webhook(strings.Replace(string(readBody(t, "docker-update.json")), `"image":"`, `"image":"lost`, 1))
	env.wantStatus(r, http.StatusServiceUnavailable)
	r = env.request(http.MethodGet, "/readyz", nil)
	env.wantStatus(r, http.StatusServiceUnavailable)
	if msg := r.errorMessage(t); !strings.Contains(msg, "deleted or replaced") {
		t.Errorf("readyz says %q", msg)
	}
}
