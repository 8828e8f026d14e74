package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// autoincrementVersion rebuilds the tables with AUTOINCREMENT (20261129000001_autoincrement.sql).
const autoincrementVersion = "20261129000001"

// storeDSN is the data source name package store gives NewSQLite (store.Target.SQLiteDSN),
// foreign keys on: the migrator must turn them off itself.
func storeDSN(p string) string {
	return "file:" + (&url.URL{Path: p}).EscapedPath() +
		"?_pragma=busy_timeout%285000%29&_pragma=journal_mode%28WAL%29&_pragma=synchronous%28NORMAL%29&_pragma=foreign_keys%281%29&_time_format=sqlite&_txlock=immediate"
}

// migrationsBefore is the embedded SQLite migrations older than version: a binary from
// before that migration.
func migrationsBefore(t *testing.T, version string) fs.FS {
	t.Helper()
	return migrationsWhere(t, func(v string) bool { return v < version })
}

// migrationsThrough is the embedded SQLite migrations up to version included.
func migrationsThrough(t *testing.T, version string) fs.FS {
	t.Helper()
	return migrationsWhere(t, func(v string) bool { return v <= version })
}

func migrationsWhere(t *testing.T, keep func(version string) bool) fs.FS {
	t.Helper()
	files, dir := SQLite.files()
	names, err := fs.Glob(files, path.Join(dir, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	older := fstest.MapFS{}
	for _, name := range names {
		if !keep(versionOf(path.Base(name))) {
			continue
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		older[name] = &fstest.MapFile{Data: b}
	}
	return older
}

// schemaOf is what the rebuild must keep: every index (by name, with its table and its
// definition, spaces folded) and every foreign key of every table.
func schemaOf(t *testing.T, db *sql.DB) (indexes, foreignKeys []string) {
	t.Helper()
	space := regexp.MustCompile(`\s+`)
	rows, err := db.Query(`SELECT name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, table, def string
		if err := rows.Scan(&name, &table, &def); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, name+" on "+table+": "+space.ReplaceAllString(def, " "))
	}
	rows.Close()
	for _, table := range []string{"images", "events", "tags", "image_tags", "state_changes", "api_tokens", "sessions", "settings"} {
		rows, err := db.Query(`SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var parent, from, to, onDelete string
			if err := rows.Scan(&parent, &from, &to, &onDelete); err != nil {
				t.Fatal(err)
			}
			foreignKeys = append(foreignKeys, fmt.Sprintf("%s.%s → %s.%s on delete %s", table, from, parent, to, onDelete))
		}
		rows.Close()
	}
	slices.Sort(foreignKeys)
	return indexes, foreignKeys
}

// dump renders every row of every table, in id order.
func dump(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, order := range map[string]string{"images": "id", "events": "id", "tags": "id", "image_tags": "image_id, tag_id",
		"state_changes": "id", "api_tokens": "id", "sessions": "id_hash", "settings": "key"} {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY " + order)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], fmt.Sprint(vals...))
		}
		rows.Close()
	}
	return out
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestSQLiteAutoincrementMigration: a database of the previous version, with rows in every
// table and a deleted newest image, goes through the rebuild with its rows, indexes and foreign
// keys as they were, and from then on no id is given twice. Rolling back restores the old
// tables with the same rows.
func TestSQLiteAutoincrementMigration(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "dd.db")
	m, err := NewSQLite(storeDSN(file), file, "the test database", nil)
	if err != nil {
		t.Fatal(err)
	}
	m.files = migrationsBefore(t, autoincrementVersion)
	if err := m.Migrate(ctx); err != nil {
		t.Fatalf("migrating to the previous version: %v", err)
	}
	db, err := sql.Open("sqlite", storeDSN(file))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const ts = "'2026-11-28 10:00:00+00:00'"
	for i := 1; i <= 4; i++ {
		exec(t, db, fmt.Sprintf(`INSERT INTO images (hostname, image, digest, status, provider, hub_link, mime_type, platform, created, metadata, first_seen, last_seen, notifications, state, state_changed_at, snoozed_until)
VALUES ('nas', 'docker.io/acme/app%d:1', 'sha256:%064d', 'update', 'docker', '', 'application/json', 'linux/amd64', NULL, '{"k":"v"}', %s, %s, %d, '%s', %s, %s)`,
			i, i, ts, ts, i, []string{"open", "acknowledged", "snoozed", "ignored"}[i-1], ts, map[bool]string{true: ts, false: "NULL"}[i == 3]))
		exec(t, db, fmt.Sprintf(`INSERT INTO events (image_id, received_at, diun_version, hostname, status, provider, image, hub_link, mime_type, digest, created, platform, metadata, raw_body)
VALUES (%d, %s, 'v4', 'nas', 'update', 'docker', 'docker.io/acme/app%d:1', '', '', 'sha256:%064d', NULL, 'linux/amd64', NULL, '{}')`, i, ts, i, i))
		exec(t, db, fmt.Sprintf(`INSERT INTO state_changes (image_id, changed_at, actor, digest, from_state, from_until, to_state, to_until)
VALUES (%d, %s, 'admin', 'sha256:%064d', 'open', NULL, 'acknowledged', NULL)`, i, ts, i))
	}
	exec(t, db,
		`INSERT INTO events (image_id, received_at, diun_version, hostname, status, provider, image, hub_link, mime_type, digest, created, platform, metadata, raw_body)
VALUES (NULL, `+ts+`, 'v4', 'vm', 'new', 'file', 'docker.io/diun/testnotif:latest', '', '', 'sha256:00', NULL, '', NULL, '{}')`,
		`INSERT INTO tags (name, created_at) VALUES ('prod', `+ts+`), ('lab', `+ts+`)`,
		`INSERT INTO image_tags (image_id, tag_id) VALUES (1, 1), (2, 1), (2, 2)`,
		`INSERT INTO api_tokens (name, token_hash, prefix, created_at, last_used_at, scope) VALUES ('ci', 'h1', 'dd_1', `+ts+`, NULL, 'write'), ('ro', 'h2', 'dd_2', `+ts+`, `+ts+`, 'read')`,
		`INSERT INTO sessions (id_hash, username, created_at, last_seen_at, expires_at, credential) VALUES ('s1', 'admin', `+ts+`, `+ts+`, `+ts+`, 'c')`,
		`INSERT INTO settings (key, value, updated_at) VALUES ('webhook_token', 'x', `+ts+`)`,
		// The newest image, with its event and audit row: before AUTOINCREMENT its ids were free
		// again, and the migration cannot know them. What it must not lose is what is left.
		`DELETE FROM images WHERE id = 4`,
	)
	before := dump(t, db)
	indexesBefore, fksBefore := schemaOf(t, db)
	if len(before["events"]) != 4 || len(before["state_changes"]) != 3 || len(fksBefore) != 4 {
		t.Fatalf("seed: %d events, %d state changes, foreign keys %v", len(before["events"]), len(before["state_changes"]), fksBefore)
	}

	// Up to this migration only, so that the rollback below undoes it.
	m.files = migrationsThrough(t, autoincrementVersion)
	if err := m.Migrate(ctx); err != nil {
		t.Fatalf("the AUTOINCREMENT migration: %v", err)
	}
	if got := dump(t, db); !reflect.DeepEqual(got, before) {
		t.Errorf("the rows changed:\n%v\nwant\n%v", got, before)
	}
	if indexes, fks := schemaOf(t, db); !slices.Equal(indexes, indexesBefore) || !slices.Equal(fks, fksBefore) {
		t.Errorf("indexes or foreign keys changed:\n%v\n%v\nwant\n%v\n%v", indexes, fks, indexesBefore, fksBefore)
	}
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check: %q, %v", integrity, err)
	}
	for _, table := range []string{"images", "events", "tags", "state_changes", "api_tokens"} {
		var ddl string
		if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil || !strings.Contains(ddl, "AUTOINCREMENT") {
			t.Errorf("table %s: %q, %v; want AUTOINCREMENT", table, ddl, err)
		}
	}
	var leftovers int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name LIKE '%\_new' ESCAPE '\'`).Scan(&leftovers); err != nil || leftovers != 0 {
		t.Errorf("%d objects named *_new left behind (%v)", leftovers, err)
	}

	// Ids are no longer given twice: delete the newest image, insert another.
	exec(t, db, `DELETE FROM images WHERE id = 3`)
	var id int64
	if err := db.QueryRow(`INSERT INTO images (hostname, image, digest, status, provider, hub_link, mime_type, platform, first_seen, last_seen, state_changed_at)
VALUES ('nas', 'docker.io/acme/new:1', 'sha256:1', 'new', 'docker', '', '', '', ` + ts + `, ` + ts + `, ` + ts + `) RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 4 {
		t.Errorf("the image inserted after deleting image 3 got id %d, want 4 (one past the largest id kept)", id)
	}
	// The foreign keys of the other tables point at the rebuilt tables and still cascade.
	exec(t, db, `DELETE FROM images WHERE id = 2`)
	for table, want := range map[string]int{"events": 2, "image_tags": 1, "state_changes": 1} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d rows after deleting image 2 (%v), want %d: the cascade must reach the rebuilt table", table, n, err, want)
		}
	}

	// Rolling back (the dbmate CLI can) gives the old tables with the same rows.
	afterUp := dump(t, db)
	if err := m.dbmate().Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if got := dump(t, db); !reflect.DeepEqual(got, afterUp) {
		t.Errorf("the rollback changed the rows")
	}
	if indexes, fks := schemaOf(t, db); !slices.Equal(indexes, indexesBefore) || !slices.Equal(fks, fksBefore) {
		t.Errorf("the rollback changed indexes or foreign keys:\n%v\n%v", indexes, fks)
	}
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'images'`).Scan(&ddl); err != nil || strings.Contains(ddl, "AUTOINCREMENT") {
		t.Errorf("images after the rollback: %q, %v", ddl, err)
	}
}

// TestSQLiteMigrationForeignKeyCheck: foreign keys are off while migrating, so a migration
// that leaves a row pointing at nothing is caught before it commits, and rolled back.
func TestSQLiteMigrationForeignKeyCheck(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "dd.db")
	m, err := NewSQLite(storeDSN(file), file, "the test database", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	files, dir := SQLite.files()
	bad := fstest.MapFS{}
	names, _ := fs.Glob(files, path.Join(dir, "*.sql"))
	for _, name := range names {
		b, _ := fs.ReadFile(files, name)
		bad[name] = &fstest.MapFile{Data: b}
	}
	bad[path.Join(dir, "20991231000000_dangling.sql")] = &fstest.MapFile{Data: []byte(`-- migrate:up
INSERT INTO image_tags (image_id, tag_id) VALUES (41, 42);
CREATE TABLE should_not_stay (id INTEGER PRIMARY KEY);
-- migrate:down
`)}
	m.files = bad
	err = m.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "reference no row") {
		t.Fatalf("Migrate with a migration that leaves a dangling row: %v, want the foreign key check to refuse it", err)
	}
	db, err := sql.Open("sqlite", storeDSN(file))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'should_not_stay'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused migration's table stayed (%d, %v)", n, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = '20991231000000'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused migration was recorded (%d, %v)", n, err)
	}
}

func TestWithoutForeignKeys(t *testing.T) {
	got := withoutForeignKeys(storeDSN("/data/dd.db"))
	if strings.Contains(got, "foreign_keys%281%29") || !strings.Contains(got, "_pragma=foreign_keys%280%29") || !strings.Contains(got, "journal_mode%28WAL%29") {
		t.Errorf("withoutForeignKeys = %q; want foreign_keys(0) in place of foreign_keys(1), the other pragmas kept", got)
	}
}
