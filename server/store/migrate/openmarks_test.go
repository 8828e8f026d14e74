package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openMarksVersion adds images.digest_changed_at and images.opened_by (20261207000801_open_marks.sql).
const openMarksVersion = "20261207000801"

// TestSQLiteOpenMarksMigration: the rows of a database from before the overview's marks get
// the time of their current digest from their events (the first of its latest run) and why
// they were last opened from the audit trail, or from the time a reopening by Diun left
// before the trail recorded it; rolling back drops the columns.
func TestSQLiteOpenMarksMigration(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "dd.db")
	m, err := NewSQLite(storeDSN(file), file, "the test database", nil)
	if err != nil {
		t.Fatal(err)
	}
	m.files = migrationsBefore(t, openMarksVersion)
	if err := m.Migrate(ctx); err != nil {
		t.Fatalf("migrating to the previous version: %v", err)
	}
	db, err := sql.Open("sqlite", storeDSN(file))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ts := func(h int) string { return fmt.Sprintf("'2026-11-28 %02d:00:00+00:00'", h) }
	// image: state, when it changed, the digests of its events in order (one an hour from
	// 01:00; the row holds the last), the audit rows (actor, cause, to_state).
	rows := []struct {
		state   string
		changed int
		digests string
		audit   [][3]string
	}{
		{"open", 1, "a", nil},   // 1: new, one digest
		{"open", 1, "ab", nil},  // 2: another digest while open
		{"open", 3, "abb", nil}, // 3: reopened by Diun (at its last notification) before the audit trail said so
		{"open", 5, "a", [][3]string{{"admin", "", "snoozed"}, {"snooze ended", "", "open"}}},                                      // 4: back from snooze
		{"acknowledged", 6, "a", [][3]string{{"admin", "", "acknowledged"}, {"admin", "", "open"}, {"admin", "", "acknowledged"}}}, // 5: a person reopened it once
		{"open", 2, "aba", [][3]string{{"Diun", "new digest", "open"}}},                                                            // 6: back to an older digest
	}
	for i, r := range rows {
		id := i + 1
		last := len(r.digests)
		exec(t, db, fmt.Sprintf(`INSERT INTO images (id, hostname, image, digest, status, provider, hub_link, mime_type, platform, first_seen, last_seen, state, state_changed_at)
VALUES (%d, 'nas', 'docker.io/acme/app%d:1', 'sha256:%s', 'update', 'docker', '', '', '', %s, %s, '%s', %s)`,
			id, id, strings.Repeat(r.digests[last-1:], 64), ts(1), ts(last), r.state, ts(r.changed)))
		for h, d := range r.digests {
			exec(t, db, fmt.Sprintf(`INSERT INTO events (image_id, received_at, diun_version, hostname, status, provider, image, hub_link, mime_type, digest, platform, raw_body)
VALUES (%d, %s, 'v4', 'nas', 'update', 'docker', 'docker.io/acme/app%d:1', '', '', 'sha256:%s', '', '{}')`, id, ts(h+1), id, strings.Repeat(string(d), 64)))
		}
		for _, a := range r.audit {
			exec(t, db, fmt.Sprintf(`INSERT INTO state_changes (image_id, changed_at, actor, digest, from_state, to_state, cause)
VALUES (%d, %s, '%s', '', 'open', '%s', '%s')`, id, ts(r.changed), a[0], a[2], a[1]))
		}
	}
	m.files = migrationsThrough(t, openMarksVersion)
	if err := m.Migrate(ctx); err != nil {
		t.Fatalf("the migration: %v", err)
	}
	want := []struct {
		digestAt int
		by       string
	}{
		{1, ""}, {2, ""}, {2, "digest"}, {1, "snooze"}, {1, "person"}, {3, "digest"},
	}
	for i, w := range want {
		var at time.Time
		var by string
		if err := db.QueryRow(`SELECT digest_changed_at, opened_by FROM images WHERE id = ?`, i+1).Scan(&at, &by); err != nil {
			t.Fatal(err)
		}
		if !at.Equal(time.Date(2026, 11, 28, w.digestAt, 0, 0, 0, time.UTC)) || by != w.by {
			t.Errorf("image %d: digest changed at %s, opened by %q; want %02d:00, %q", i+1, at, by, w.digestAt, w.by)
		}
	}
	if _, err := db.Exec(`UPDATE images SET opened_by = 'nobody' WHERE id = 1`); err == nil {
		t.Error("opened_by took a value the dashboard never writes")
	}
	if err := m.dbmate().Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if _, err := db.Exec(`SELECT digest_changed_at FROM images`); err == nil {
		t.Error("the rollback left digest_changed_at")
	}
}
