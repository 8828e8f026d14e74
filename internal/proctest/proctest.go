// Package proctest helps tests that run the real diundashboard binary: building it, finding a
// free loopback port, collecting its output, and reading back what it stored.
package proctest

import (
	"bytes"
	"context"
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BuildBinary builds cmd/diundashboard into dir as `make build` does (no cgo) and returns its
// path.
func BuildBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "diundashboard")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "diundashboard/cmd/diundashboard")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &BuildError{Err: err, Output: out}
	}
	return bin, nil
}

// BuildError is a failed `go build`, with what it printed.
type BuildError struct {
	Err    error
	Output []byte
}

func (e *BuildError) Error() string { return "go build: " + e.Err.Error() + "\n" + string(e.Output) }

// FreeAddr returns a 127.0.0.1 address that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// SyncBuffer collects a process's or a logger's output, safe for concurrent writes and the
// test's reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StoredEvents reads every event's (id, digest) straight from the database, to check that
// every acknowledged notification is there.
func StoredEvents(ctx context.Context, t testing.TB, db *sql.DB) map[int64]string {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT id, digest FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			t.Fatal(err)
		}
		out[id] = d
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
