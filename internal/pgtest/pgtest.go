// Package pgtest gives tests a PostgreSQL database of their own, so they can run in parallel
// and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// DefaultAdminURL is used when TEST_DATABASE_URL is unset: a local server with trust auth.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the server the tests use, from TEST_DATABASE_URL. Its role must be allowed to
// create and drop databases.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewDatabase creates an empty database with a random name on the AdminURL server and returns
// its URL. The database is dropped when the test and its cleanups registered later finish,
// even if connections to it are still open.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	adminURL := AdminURL()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		t.Fatalf("pgtest: TEST_DATABASE_URL is not usable: %v", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		t.Fatalf("pgtest: cannot reach the PostgreSQL test server (set TEST_DATABASE_URL, or start it: pg_ctlcluster --skip-systemctl-redirect 15 main start): %v", err)
	}

	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatal(err)
	}
	name := "dd_test_" + hex.EncodeToString(suffix[:])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+ident); err != nil {
		admin.Close()
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}

	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dropDatabase(ctx, admin, name); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})

	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("pgtest: TEST_DATABASE_URL is not a URL: %v", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// dropDatabase disconnects leftover sessions (a pool a test forgot to close would otherwise
// make DROP fail): WITH (FORCE) from PostgreSQL 13, pg_terminate_backend before that.
func dropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	ident := pgx.Identifier{name}.Sanitize()
	var version string
	if err := admin.QueryRowContext(ctx, "SHOW server_version_num").Scan(&version); err != nil {
		return err
	}
	if n, _ := strconv.Atoi(version); n >= 130000 {
		_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
		return err
	}
	if _, err := admin.ExecContext(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		return err
	}
	_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+ident)
	return err
}
