//go:build postgres

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store/migrate"
)

// Run with: go test -tags postgres ./server/store/ (TEST_DATABASE_URL names an admin URL).

func TestMigratePostgresCreatesSchema(t *testing.T) {
	ctx := context.Background()
	databaseURL := pgtest.NewDatabase(t)

	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	db := openPostgresForTest(t, databaseURL)
	tables := queryStrings(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)
	for _, want := range []string{"images", "events", "tags", "image_tags", "settings", "schema_migrations"} {
		if !slices.Contains(tables, want) {
			t.Errorf("table %s missing after Migrate; have %v", want, tables)
		}
	}
	if got := postgresVersions(t, db); !slices.Equal(got, allPostgresMigrations) {
		t.Errorf("schema_migrations = %v, want %v", got, allPostgresMigrations)
	}

	applied, pending, err := MigrationStatus(ctx, databaseURL)
	if err != nil || len(pending) != 0 || len(applied) != len(allPostgresMigrations) {
		t.Errorf("MigrationStatus = %v, %v, %v; want one applied, none pending", applied, pending, err)
	}
}

// TestMigratePostgresRefusesForeignDatabase: a database with another application's tables in
// the schema DiunDashboard would use is refused; nothing is created in it.
func TestMigratePostgresRefusesForeignDatabase(t *testing.T) {
	databaseURL := pgtest.NewDatabase(t)
	db := openPostgresForTest(t, databaseURL)
	if _, err := db.Exec(`CREATE TABLE events (id int); CREATE VIEW report AS SELECT 1 AS one`); err != nil {
		t.Fatal(err)
	}
	err := Migrate(context.Background(), databaseURL)
	if !errors.Is(err, ErrForeignDatabase) || !strings.Contains(err.Error(), "events, report") {
		t.Fatalf("Migrate of another application's database: %v; want ErrForeignDatabase naming its tables", err)
	}
	tables := queryStrings(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)
	if !slices.Equal(tables, []string{"events", "report"}) {
		t.Errorf("tables after the refusal: %v", tables)
	}
}

func TestMigratePostgresTwiceIsNoOp(t *testing.T) {
	ctx := context.Background()
	databaseURL := pgtest.NewDatabase(t)

	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	db := openPostgresForTest(t, databaseURL)
	if _, err := db.Exec(`INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', now())`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if got := postgresVersions(t, db); !slices.Equal(got, allPostgresMigrations) {
		t.Errorf("schema_migrations = %v after a second Migrate, want %v", got, allPostgresMigrations)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM settings`).Scan(&n); err != nil || n != 1 {
		t.Errorf("settings rows = %d (%v) after a second Migrate, want the 1 row kept", n, err)
	}
}

// Replicas starting together must all succeed: without the advisory lock all but one fail
// on CREATE TABLE.
func TestMigratePostgresConcurrent(t *testing.T) {
	ctx := context.Background()
	databaseURL := pgtest.NewDatabase(t)

	const replicas = 6
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range replicas {
		wg.Go(func() {
			<-start
			errs[i] = Migrate(ctx, databaseURL)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	db := openPostgresForTest(t, databaseURL)
	if got := postgresVersions(t, db); !slices.Equal(got, allPostgresMigrations) {
		t.Errorf("schema_migrations = %v, want %v", got, allPostgresMigrations)
	}
	// The lock must have been released, or the next start would hang.
	var free bool
	if err := db.QueryRow(`SELECT pg_try_advisory_lock($1)`, migrate.PostgresLockKey).Scan(&free); err != nil || !free {
		t.Errorf("migration lock still held after Migrate returned (%v)", err)
	}
}

func TestMigratePostgresUnreachable(t *testing.T) {
	start := time.Now()
	err := Migrate(context.Background(), "postgres://postgres:secret@127.0.0.1:1/x")
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Migrate against a closed port succeeded")
	}
	if elapsed > 5*time.Second {
		t.Errorf("Migrate took %s to fail, want under 5s", elapsed)
	}
	msg := err.Error()
	if strings.Contains(msg, "secret") {
		t.Errorf("error %q reveals the password", msg)
	}
	for _, want := range []string{"cannot reach PostgreSQL at 127.0.0.1:1", "DATABASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestMigratePostgresMissingDatabase(t *testing.T) {
	databaseURL := pgtest.NewDatabase(t)
	missing := strings.Replace(databaseURL, "/dd_test_", "/dd_missing_", 1)
	err := Migrate(context.Background(), missing)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Migrate of a missing database: %v, want an error saying it does not exist", err)
	}
}

func TestPostgresRefusesNewerSchema(t *testing.T) {
	databaseURL := pgtest.NewDatabase(t)
	testRefusesNewerSchema(t, databaseURL, allPostgresMigrations, func(t *testing.T) *sql.DB { return openPostgresForTest(t, databaseURL) })
}

func openPostgresForTest(t *testing.T, databaseURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func postgresVersions(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT version FROM schema_migrations ORDER BY version`)
}
