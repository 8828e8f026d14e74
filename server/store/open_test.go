package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

// Open's errors reach people through logs: each must say what is wrong and what to use instead,
// and never show a password.

func TestOpenUnsupportedScheme(t *testing.T) {
	for _, u := range []string{
		"mysql://user:secret@localhost:3306/dd",
		"mariadb://user:secret@db/dd",
		"sqlserver://user:secret@db:1433?database=dd",
		"redis://localhost:6379",
		"http://example.com/db",
	} {
		s, err := store.Open(context.Background(), u)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "sqlite:") || !strings.Contains(msg, "postgres://") {
			t.Errorf("Open(%q): %q does not say which URLs work", u, msg)
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("Open(%q): the error shows the password: %q", u, msg)
		}
	}
}

// TestURLsThatMissTheirDatabase: a PostgreSQL URL without a database name (the server would use
// the user's, often the maintenance database) and an in-memory SQLite URI (migrate wrote nothing,
// then serve asked for migrate again) are refused with the form to use (found by an outside
// tester). A name given as ?dbname= is one.
func TestURLsThatMissTheirDatabase(t *testing.T) {
	for u, want := range map[string]string{
		"postgres://user:secret@db.example:5432/": "names no PostgreSQL database",
		"postgres://user:secret@db.example:5432":  "names no PostgreSQL database",
		"sqlite:file:dd.db?mode=memory":           "in-memory",
		"sqlite:dd.db?mode=Memory&cache=shared":   "in-memory",
	} {
		_, err := store.ParseURL(u)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseURL(%q): %v; want %q, without the password", u, err, want)
		}
	}
	if _, err := store.ParseURL("postgres://user@db.example:5432/?dbname=dd"); err != nil {
		t.Errorf("a database named by ?dbname=: %v", err)
	}
}

func TestOpenMalformedURL(t *testing.T) {
	for _, u := range []string{
		"no scheme at all",
		"/var/lib/dd.db",
		"://nothing",
		"sqlite:",
		"sqlite:?_pragma=foo",
		"sqlite::memory:",
		"sqlite:%zz.db",
		"postgres://",
		"postgres://user:secret@[::1/dd",
		"postgres://user:secret@host:notaport/dd",
		"postgresql://user:secret@host/dd?sslmode=bogus",
		"postgres://user:secret@host:5432/dd?connect_timeout=abc",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		s, err := store.Open(ctx, u)
		cancel()
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Open(%q) took %s to fail", u, d)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q): the error shows the password: %q", u, err)
		}
	}
}

// TestOpenUnreachablePostgres needs no server: nothing listens on port 1.
func TestOpenUnreachablePostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	s, err := store.Open(ctx, "postgres://u:secret@127.0.0.1:1/db?sslmode=disable")
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("Open of an unreachable server succeeded")
	}
	if elapsed > 10*time.Second {
		t.Errorf("Open took %s to fail, want a few seconds at most", elapsed)
	}
	msg := err.Error()
	if strings.Contains(msg, "secret") {
		t.Errorf("the error shows the password: %q", msg)
	}
	if !strings.Contains(msg, "127.0.0.1:1") {
		t.Errorf("the error does not name the server: %q", msg)
	}
	if !strings.Contains(msg, "DATABASE_URL") || !strings.Contains(msg, "running") {
		t.Errorf("the error does not say what to check: %q", msg)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Open waited for the caller's deadline: %v", err)
	}
}

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// A file that was never migrated: refused, with the way out.
	fresh := "sqlite:" + filepath.Join(dir, "fresh.db")
	if s, err := store.Open(ctx, fresh); err == nil {
		s.Close()
		t.Error("Open of a database without schema succeeded")
	} else if !strings.Contains(err.Error(), "migrate") {
		t.Errorf("Open of a database without schema: %q does not say to migrate", err)
	}

	// Every SQLite spelling opens the same kind of store, creating missing directories.
	path := filepath.Join(dir, "sub", "dir", "dd.db")
	// sqlite:file:… (SQLite's URI form under the scheme) made a directory named "file:".
	if target, err := store.ParseURL("sqlite:file:" + path); err != nil || target.Path != path {
		t.Errorf("sqlite:file:%s is the file %q (%v); want %s", path, target.Path, err, path)
	}
	for _, u := range []string{"sqlite:" + path, "sqlite3:" + path, "file:" + path, "sqlite://" + path, "sqlite:file:" + path} {
		if err := store.Migrate(ctx, u); err != nil {
			t.Fatalf("Migrate(%s): %v", u, err)
		}
		s, err := store.Open(ctx, u)
		if err != nil {
			t.Fatalf("Open(%s): %v", u, err)
		}
		if s.Dialect() != store.DialectSQLite {
			t.Errorf("Open(%s).Dialect() = %s", u, s.Dialect())
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}

	// A file that is not a database.
	notDB := filepath.Join(dir, "not.db")
	if err := writeFile(notDB, "this is not a database, just some text long enough to look like a header"); err != nil {
		t.Fatal(err)
	}
	if s, err := store.Open(ctx, "sqlite:"+notDB); err == nil {
		s.Close()
		t.Error("Open of a text file succeeded")
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
