// Package proctest helps tests that run the real diundashboard binary: building it, finding a
// free loopback port, collecting its output, and reading back what it stored.
package proctest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
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

// Process is one running `diundashboard serve`, on a loopback port of its own.
type Process struct {
	// Name tells processes apart in messages.
	Name string
	// Addr is the host:port it listens on.
	Addr string
	// Logs collects its standard output and error.
	Logs *SyncBuffer
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs `bin serve` on a free loopback port (LISTEN_ADDR is added to env) without
// waiting for it; t's cleanup kills it if it still runs.
func Start(t testing.TB, name, bin string, env []string) *Process {
	t.Helper()
	p := &Process{Name: name, Addr: FreeAddr(t), Logs: &SyncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(append([]string(nil), env...), "LISTEN_ADDR="+p.Addr)
	p.cmd.Stdout, p.cmd.Stderr = p.Logs, p.Logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Kill)
	return p
}

// URL is the address of path on the process.
func (p *Process) URL(path string) string { return "http://" + p.Addr + path }

// Exited tells whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is how the process ended (nil for a clean exit); call it once Exited is true.
func (p *Process) Err() error { return p.err }

// WaitReady polls /readyz until it answers 200, the process exits, or limit passes.
func (p *Process) WaitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if p.Exited() {
			return fmt.Errorf("%s exited: %v", p.Name, p.err)
		}
		resp, err := client.Get(p.URL("/readyz"))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s: no 200 from /readyz within %s", p.Name, limit)
}

// Kill ends the process with SIGKILL, as a crash or an OOM kill would, and waits for it.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Terminate asks the process to shut down (SIGTERM) and waits up to limit for it; it kills the
// process and says so when it does not stop in time. Err tells how it ended.
func (p *Process) Terminate(limit time.Duration) error {
	if p.Exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(limit):
		p.Kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM", p.Name, limit)
	}
}
