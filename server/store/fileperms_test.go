package store_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"diundashboard/server/store"
)

// withUmask runs the test under umask 022, the usual default, under which SQLite on its own
// creates a database that every user can read. The umask is per process: these tests do not
// run in parallel.
func withUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return info.Mode().Perm()
}

// recordOne writes a notification, so that SQLite has a -wal and a -shm file while st is open.
func recordOne(t *testing.T, st store.Store) {
	t.Helper()
	if _, err := st.Record(context.Background(), store.Notification{DiunVersion: "v4.33.0", Hostname: "vm", Status: "new",
		Provider: "docker", Image: "docker.io/library/nginx:1", Digest: "sha256:" + strings.Repeat("a", 64),
		Platform: "linux/amd64", ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteFilesArePrivate: a database made from nothing, by Migrate then Open, is readable by
// its user only: its directories 0700, the file, -wal and -shm 0600.
func TestSQLiteFilesArePrivate(t *testing.T) {
	withUmask(t)
	ctx := context.Background()
	base := t.TempDir()
	dir := filepath.Join(base, "data", "dd")
	path := filepath.Join(dir, "dd.db")
	url := "sqlite:" + path
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recordOne(t, st)

	for _, p := range []string{filepath.Join(base, "data"), dir} {
		if m := mode(t, p); m != 0o700 {
			t.Errorf("directory %s is %04o, want 0700", p, m)
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s is %04o, want 0600", p, m)
		}
	}
	if w := store.Warnings(st); len(w) != 0 {
		t.Errorf("warnings about a database just made private: %q", w)
	}
}

// TestSQLiteOpenRestrictsExistingFiles: files an earlier version left readable by everyone are
// narrowed to 0600 when the store opens them, the directory open to others is left alone, and
// each is reported.
func TestSQLiteOpenRestrictsExistingFiles(t *testing.T) {
	withUmask(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dd.db")
	url := "sqlite:" + path
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	// As an earlier version left it: 0644, and a -wal and -shm of the same mode, which SQLite
	// makes while another connection (a crashed server, a backup tool) has the file open.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.Exec("CREATE TABLE perm_test (a)"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o644 {
			t.Fatalf("setting up: %s is %04o, want 0644 like its database", p, m)
		}
	}

	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("after Open, %s is %04o, want 0600", p, m)
		}
	}
	if m := mode(t, dir); m != 0o755 {
		t.Errorf("Open changed the mode of an existing directory to %04o", m)
	}
	warnings := strings.Join(store.Warnings(st), "\n")
	for _, want := range []string{path + " was open", path + "-wal was open", path + "-shm was open", "directory " + dir, "chmod o-rwx " + dir} {
		if !strings.Contains(warnings, want) {
			t.Errorf("the warnings do not mention %q:\n%s", want, warnings)
		}
	}

	// A read-only database stays read-only: narrowing never adds a permission.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(t.TempDir(), "ro.db")
	if err := store.Migrate(ctx, "sqlite:"+ro); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o444); err != nil {
		t.Fatal(err)
	}
	if st, err := store.Open(ctx, "sqlite:"+ro); err == nil {
		st.Close()
	}
	if m := mode(t, ro); m != 0o400 {
		t.Errorf("a 0444 database became %04o, want 0400", m)
	}
}
