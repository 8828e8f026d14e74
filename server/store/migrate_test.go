package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const initialMigration = "20261125000001"

// The versions a migrated database has, oldest first. SQLite has one of its own: the
// AUTOINCREMENT rebuild, which PostgreSQL's identity columns do not need.
var (
	allPostgresMigrations = []string{initialMigration, "20261125000002", "20261128000001", "20261128000002", "20261129000002", "20261130000101", "20261130000102", "20261130000103", "20261130000201", "20261130000301", "20261207000101", "20261207000401", "20261207000501", "20261207000502", "20261207000701", "20261207000702", "20261207000801", "20261207000901"}
	allSQLiteMigrations   = []string{initialMigration, "20261125000002", "20261128000001", "20261128000002", "20261129000001", "20261129000002", "20261130000101", "20261130000102", "20261130000103", "20261130000201", "20261130000301", "20261207000101", "20261207000401", "20261207000501", "20261207000502", "20261207000701", "20261207000702", "20261207000801"}
)

func TestMigrateSQLiteCreatesSchema(t *testing.T) {
	ctx := context.Background()
	// A directory that does not exist yet: Migrate must create it.
	path := filepath.Join(t.TempDir(), "data", "dd.db")
	databaseURL := "sqlite:" + path

	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	db := openSQLiteForTest(t, path)

	tables := sqliteTables(t, db)
	for _, want := range []string{"images", "events", "tags", "image_tags", "settings", "schema_migrations"} {
		if !slices.Contains(tables, want) {
			t.Errorf("table %s missing after Migrate; have %v", want, tables)
		}
	}
	if got := sqliteVersions(t, db); !slices.Equal(got, allSQLiteMigrations) {
		t.Errorf("schema_migrations = %v, want %v", got, allSQLiteMigrations)
	}

	// The dbmate CLI must be able to read the same table.
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "version varchar(128) primary key") {
		t.Errorf("schema_migrations layout differs from the dbmate CLI's: %s", ddl)
	}
}

func TestMigrateSQLiteTwiceIsNoOp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dd.db")
	databaseURL := "sqlite://" + path // the sqlite:///abs/path form

	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	db := openSQLiteForTest(t, path)
	if _, err := db.Exec(`INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', '2026-01-01 00:00:00')`); err != nil {
		t.Fatal(err)
	}

	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if got := sqliteVersions(t, db); !slices.Equal(got, allSQLiteMigrations) {
		t.Errorf("schema_migrations = %v after a second Migrate, want %v", got, allSQLiteMigrations)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM settings`).Scan(&n); err != nil || n != 1 {
		t.Errorf("settings rows = %d (%v) after a second Migrate, want the 1 row kept", n, err)
	}
}

func TestMigrationStatusSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dd.db")
	databaseURL := "sqlite:" + path

	applied, pending, err := MigrationStatus(ctx, databaseURL)
	if err != nil {
		t.Fatalf("MigrationStatus before Migrate: %v", err)
	}
	if len(applied) != 0 || len(pending) != len(allSQLiteMigrations) || !strings.HasPrefix(pending[0], initialMigration) {
		t.Errorf("before Migrate: applied %v, pending %v; want none applied and the initial migration pending", applied, pending)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("MigrationStatus created %s; it must only look", path)
	}

	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	applied, pending, err = MigrationStatus(ctx, databaseURL)
	if err != nil {
		t.Fatalf("MigrationStatus after Migrate: %v", err)
	}
	if len(pending) != 0 || len(applied) != len(allSQLiteMigrations) || !strings.HasPrefix(applied[0], initialMigration) {
		t.Errorf("after Migrate: applied %v, pending %v; want the initial migration applied", applied, pending)
	}
}

func TestMigrateRejectsBadURLs(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, url string
		want      []string // substrings of the error
	}{
		{"no scheme", "just-a-path.db", []string{"has no scheme", "sqlite:"}},
		{"unknown scheme", "mysql://root:secret@db:3306/dd", []string{`"mysql"`, "not supported", "postgres://"}},
		{"malformed postgres", "postgres://user:secret@%zz/dd", []string{"not a valid PostgreSQL URL"}},
		{"postgres without host", "postgres:///dd", []string{"not a valid PostgreSQL URL"}},
		{"in-memory sqlite", "sqlite::memory:", []string{"in-memory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Migrate(ctx, tc.url)
			if err == nil {
				t.Fatalf("Migrate(%q) succeeded, want an error", tc.url)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q reveals the password", err)
			}
		})
	}
}

func TestMigrateSQLiteNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dd.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not sqlite ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Migrate(context.Background(), "sqlite:"+path)
	if err == nil {
		t.Fatal("Migrate of a non-SQLite file succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

// TestMigrateSQLiteRefusesForeignDatabase: DATABASE_URL (or copy's --to) naming another
// application's SQLite file is refused, and the file keeps only its own tables.
func TestMigrateSQLiteRefusesForeignDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db := openSQLiteForTest(t, path)
	if _, err := db.Exec(`CREATE TABLE settings (name TEXT); CREATE TABLE users (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	err := Migrate(context.Background(), "sqlite:"+path)
	if !errors.Is(err, ErrForeignDatabase) || !strings.Contains(err.Error(), "settings, users") || !strings.Contains(err.Error(), "no table was created") {
		t.Fatalf("Migrate of another application's file: %v; want ErrForeignDatabase naming its tables", err)
	}
	if got := sqliteTables(t, db); !slices.Equal(got, []string{"settings", "users"}) {
		t.Errorf("tables after the refusal: %v", got)
	}

	// Another application that uses dbmate too: its versions are not a newer DiunDashboard's.
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20200101000000')`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(context.Background(), "sqlite:"+path); !errors.Is(err, ErrForeignDatabase) || errors.Is(err, ErrNewerSchema) {
		t.Errorf("Migrate of another dbmate application's file: %v; want ErrForeignDatabase", err)
	}
	// A file with no table (made empty beforehand) is migrated.
	empty := filepath.Join(t.TempDir(), "empty.db")
	if _, err := openSQLiteForTest(t, empty).Exec(`CREATE TABLE x (a); DROP TABLE x`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(context.Background(), "sqlite:"+empty); err != nil {
		t.Errorf("Migrate of an empty SQLite file: %v", err)
	}
}

func openSQLiteForTest(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
}

func sqliteVersions(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT version FROM schema_migrations ORDER BY version`)
}

func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// newerVersion is a migration no binary of this version has: what a newer release would leave
// in schema_migrations.
const newerVersion = "20991231000000"

func TestSQLiteRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dd.db")
	testRefusesNewerSchema(t, "sqlite:"+path, allSQLiteMigrations, func(t *testing.T) *sql.DB { return openSQLiteForTest(t, path) })
}

// testRefusesNewerSchema: a database that a newer version migrated is refused by Migrate,
// MigrationStatus and Open, with a message that names the unknown migration and says how to
// proceed, and Migrate leaves it as it was.
func testRefusesNewerSchema(t *testing.T, databaseURL string, allMigrations []string, raw func(t *testing.T) *sql.DB) {
	ctx := context.Background()
	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	db := raw(t)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version) VALUES ('` + newerVersion + `')`); err != nil {
		t.Fatal(err)
	}
	// The newer version's own table, which this binary knows nothing about.
	if _, err := db.Exec(`CREATE TABLE newer_feature (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s accepted a database that a newer version migrated", what)
		}
		if !errors.Is(err, ErrNewerSchema) {
			t.Errorf("%s: %v, want an error wrapping ErrNewerSchema", what, err)
		}
		for _, want := range []string{newerVersion, "newer version", "restore the backup taken before the upgrade", "Run the newer version"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", what, err, want)
			}
		}
	}
	check("Migrate", Migrate(ctx, databaseURL))
	_, _, err := MigrationStatus(ctx, databaseURL)
	check("MigrationStatus", err)
	st, err := Open(ctx, databaseURL)
	if err == nil {
		st.Close()
	}
	check("Open", err)
	if got := queryStrings(t, db, `SELECT version FROM schema_migrations ORDER BY version`); !slices.Equal(got, append(slices.Clone(allMigrations), newerVersion)) {
		t.Errorf("schema_migrations = %v after the refusals, want it untouched", got)
	}
}
