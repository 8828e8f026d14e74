//go:build postgres

package dbcopy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the raw connection
)

func newPostgres(t *testing.T) testDB {
	return openDB(t, pgtest.NewDatabase(t))
}

func TestCopySQLiteToPostgres(t *testing.T) {
	from, to := newSQLite(t), newPostgres(t)
	seed(t, from, bulkEvents)
	checkCopy(t, from, to, bulkEvents)
}

func TestCopyPostgresToSQLite(t *testing.T) {
	from, to := newPostgres(t), newSQLite(t)
	seed(t, from, bulkEvents)
	checkCopy(t, from, to, bulkEvents)
}

// TestExportPostgresImportSQLite: a backup of PostgreSQL restores into SQLite, and exporting
// either gives the same bytes.
func TestExportPostgresImportSQLite(t *testing.T) {
	ctx := context.Background()
	from, to := newPostgres(t), newSQLite(t)
	seed(t, from, 5000)
	var export bytes.Buffer
	if _, err := dbcopy.Export(ctx, from.copier(t), &export, withCredentials); err != nil {
		t.Fatal(err)
	}
	if _, err := dbcopy.Import(ctx, to.copier(t), bytes.NewReader(export.Bytes()), withCredentials); err != nil {
		t.Fatalf("Import: %v", err)
	}
	sameData(t, from, to)
	var again bytes.Buffer
	if _, err := dbcopy.Export(ctx, to.copier(t), &again, withCredentials); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(export.Bytes(), again.Bytes()) {
		t.Error("the SQLite export differs from the PostgreSQL export of the same data")
	}
}

func TestRefuseNonEmptyPostgres(t *testing.T) {
	ctx := context.Background()
	from, to := newSQLite(t), newPostgres(t)
	seed(t, from, 10)
	seed(t, to, 10)
	if _, err := dbcopy.Copy(ctx, from.copier(t), to.copier(t), dbcopy.Options{}); !errors.Is(err, dbcopy.ErrNotEmpty) {
		t.Fatalf("Copy into a non-empty PostgreSQL: %v, want ErrNotEmpty", err)
	}
	if _, err := dbcopy.Copy(ctx, from.copier(t), to.copier(t), dbcopy.Options{Force: true}); err != nil {
		t.Fatalf("Copy --force: %v", err)
	}
	sameData(t, from, to)
	var _ store.Copier = to.copier(t)
}

// TestImportPostgresAllOrNothing: on PostgreSQL too, an export that does not match its trailer
// changes nothing, even with --force over a database that holds rows, and the whole export
// then imports.
func TestImportPostgresAllOrNothing(t *testing.T) {
	ctx := context.Background()
	from, to := newSQLite(t), newPostgres(t)
	seed(t, from, 3000)
	seed(t, to, 10)
	lines := exportOf(t, from)
	before := sums(t, to)
	for name, input := range map[string]string{
		"missing trailer": joinLines(lines[:len(lines)-1]),
		"tampered row":    strings.Replace(joinLines(lines), "secret-token", "attacker-token", 1),
	} {
		if _, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(input), dbcopy.Options{Force: true, WithCredentials: true}); err == nil {
			t.Fatalf("%s: Import accepted it", name)
		}
		if after := sums(t, to); !reflect.DeepEqual(before, after) {
			t.Errorf("%s: the refused import changed the PostgreSQL database", name)
		}
	}
	if _, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(joinLines(lines)), dbcopy.Options{Force: true, WithCredentials: true}); err != nil {
		t.Fatalf("Import of the whole export: %v", err)
	}
	sameData(t, from, to)
}

func TestExportWhileWritingPostgres(t *testing.T) {
	checkExportIsOneSnapshot(t, newPostgres(t))
}

func TestCopyRefusesItsOwnSourcePostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	from := openDB(t, url)
	seed(t, from, 100)
	before := sums(t, from)
	other := strings.Replace(url, "127.0.0.1", "localhost", 1)
	if other == url {
		t.Fatalf("%s does not name 127.0.0.1", store.Redact(url))
	}
	checkRefusesSameDatabase(t, from, openDB(t, other), before)
	// Another database of the same server is another database.
	to := newPostgres(t)
	if _, err := dbcopy.Copy(context.Background(), from.copier(t), to.copier(t), dbcopy.Options{}); err != nil {
		t.Errorf("copy onto another database of the server: %v", err)
	}
}

// firstRead calls hook before the first read of r: inside the import's transaction.
type firstRead struct {
	r    io.Reader
	hook func()
}

func (f *firstRead) Read(p []byte) (int, error) {
	if f.hook != nil {
		f.hook()
		f.hook = nil
	}
	return f.r.Read(p)
}

// TestImportWhileAServerWrites: a notification stored while an import --force runs (a server
// left running on the target) makes the import fail before its commit, so the target keeps
// what it held; before, the import committed, then its check failed, and the target was
// replaced behind a "verification failed" (found by an outside tester).
func TestImportWhileAServerWrites(t *testing.T) {
	ctx := context.Background()
	from, to := newPostgres(t), newPostgres(t)
	seed(t, from, 200)
	seed(t, to, 300)
	var export bytes.Buffer
	if _, err := dbcopy.Export(ctx, from.copier(t), &export, withCredentials); err != nil {
		t.Fatal(err)
	}
	hook := func() {
		if _, err := to.st.Record(ctx, store.Notification{Hostname: "late", Status: "new", Provider: "docker",
			Image: "docker.io/acme/late:1", Digest: "sha256:" + strings.Repeat("cd", 32)}); err != nil {
			t.Errorf("Record during the import: %v", err)
		}
	}
	before := sums(t, to)
	_, err := dbcopy.Import(ctx, to.copier(t), &firstRead{r: &export, hook: hook}, dbcopy.Options{WithCredentials: true, Force: true})
	if err == nil || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("Import: %v; want a failure saying nothing was imported", err)
	}
	after := sums(t, to)
	for i := range before {
		if after[i].Table == "events" || after[i].Table == "images" || after[i].Table == "notify_queue" {
			if after[i].Rows != before[i].Rows+1 {
				t.Errorf("%s: %d rows, want the %d it held and the late one", after[i].Table, after[i].Rows, before[i].Rows)
			}
		} else if after[i] != before[i] {
			t.Errorf("%s changed: %v, was %v", after[i].Table, after[i], before[i])
		}
	}
}
