//go:build postgres

package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
)

// newNotifyPostgres migrates a fresh database and opens a store on it (the notification and
// ingest tests use it).
func newNotifyPostgres(t *testing.T) (*Postgres, string) {
	t.Helper()
	ctx := context.Background()
	databaseURL := pgtest.NewDatabase(t)
	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	p, err := NewPostgres(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, databaseURL
}

// listenersOf counts the other sessions of admin's database that listen (their last query is
// LISTEN, which the probe after silence repeats).
func listenersOf(t *testing.T, admin *sql.DB) int {
	t.Helper()
	var n int
	err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPostgresListenNotify(t *testing.T) {
	old := listenProbeInterval
	listenProbeInterval = 50 * time.Millisecond // many probes between notifications
	t.Cleanup(func() { listenProbeInterval = old })

	p, databaseURL := newNotifyPostgres(t)
	admin := openPostgresForTest(t, databaseURL)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 16)
	ready := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- p.Listen(ctx, func() { ready <- struct{}{} }, func(s string) { got <- s })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Listen: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen was not ready within 10 s")
	}

	for i, payload := range []string{`{"kind":"change"}`, "second"} {
		if i > 0 {
			time.Sleep(200 * time.Millisecond) // silence: the listener probes its connection
		}
		if err := p.Notify(ctx, payload); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		select {
		case s := <-got:
			if s != payload {
				t.Errorf("got %q, want %q", s, payload)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("payload %q did not arrive within 2 s", payload)
		}
	}
	// Another channel is not ours.
	if _, err := admin.Exec(`SELECT pg_notify('someone_else', 'x')`); err != nil {
		t.Fatal(err)
	}

	// The server ends the session: Listen reports it instead of waiting forever.
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v after its session was terminated, want the failure", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not notice within 10 s that its session was terminated")
	}
	select {
	case s := <-got:
		t.Errorf("got a payload from another channel: %q", s)
	default:
	}

	// Once its context ends, a listener returns ctx.Err() and leaves no listening session.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- p.Listen(ctx2, func() { ready <- struct{}{} }, func(string) {}) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Listen after the outage: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen was not ready again within 10 s")
	}
	if n := listenersOf(t, admin); n != 1 {
		t.Errorf("%d listening sessions, want 1", n)
	}
	cancel2()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v when its context ended, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return within 5 s of its context ending")
	}
	deadline := time.Now().Add(5 * time.Second)
	for listenersOf(t, admin) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listening session outlived Listen: its connection went back to the pool")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The pool still works after its listening connection was discarded.
	if err := p.Notify(context.Background(), "after"); err != nil {
		t.Errorf("Notify after Listen ended: %v", err)
	}
}
