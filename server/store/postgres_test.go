//go:build postgres

package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// Run with: go test -tags postgres ./server/store/... (TEST_DATABASE_URL names an admin URL;
// the default is a local server with trust auth).

// TestPostgresConformance runs the Store conformance suite against PostgreSQL. The package gets
// one fresh database, migrated once; each subtest starts from empty tables (TRUNCATE … RESTART
// IDENTITY is much faster than a database per subtest) and a pool of its own.
func TestPostgresConformance(t *testing.T) {
	runPostgresConformance(t, pgtest.NewDatabase(t))
}

// TestPostgresConformanceLanguageCollation runs the suite again on a database whose default
// collation is a language's (en-US), as on servers initialised with LANG=en_US.UTF-8 (the
// official Docker image among them): orders and searches must still be SQLite's.
func TestPostgresConformanceLanguageCollation(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	runPostgresConformance(t, newICUDatabase(t, "en-US"))
}

func runPostgresConformance(t *testing.T, databaseURL string) {
	ctx := context.Background()
	if err := store.Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	admin, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	truncate := truncateStatement(t, admin)

	storetest.Run(t, func(t *testing.T) store.Store {
		t.Helper()
		if _, err := admin.ExecContext(ctx, truncate); err != nil {
			t.Fatalf("emptying the tables: %v", err)
		}
		s, err := store.Open(ctx, databaseURL)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if s.Dialect() != store.DialectPostgres {
			t.Fatalf("Open(%s) gave dialect %s", store.Redact(databaseURL), s.Dialect())
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

// newICUDatabase creates a database whose default collation is the ICU locale given, and drops
// it when t ends. It skips t on servers without ICU (before PostgreSQL 15, or built without it).
func newICUDatabase(t *testing.T, locale string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatal(err)
	}
	name := "dd_test_icu_" + hex.EncodeToString(suffix[:])
	ident := pgx.Identifier{name}.Sanitize()
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '"+locale+"' LOCALE 'C.UTF-8'")
	if err != nil {
		t.Skipf("this server cannot create a database with the ICU locale %s: %v", locale, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// truncateStatement empties every table of the schema except dbmate's own.
func truncateStatement(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, pgx.Identifier{name}.Sanitize())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 5 {
		t.Fatalf("the migrated schema has only tables %v", tables)
	}
	return "TRUNCATE " + strings.Join(tables, ", ") + " RESTART IDENTITY CASCADE"
}

func TestOpenPostgresWithoutSchema(t *testing.T) {
	databaseURL := pgtest.NewDatabase(t)
	s, err := store.Open(context.Background(), databaseURL)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database that was never migrated succeeded")
	}
	if !strings.Contains(err.Error(), "migrate") {
		t.Errorf("the error does not say to migrate: %v", err)
	}
}
