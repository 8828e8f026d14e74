package server

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
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
