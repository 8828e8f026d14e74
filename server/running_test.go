package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

// TestRunningNote: a running server holds a lease on its database (import and copy refuse
// such a database) and releases it when it stops.
func TestRunningNote(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		if err := CheckNotRunning(ctx, env.store, time.Now()); err != nil {
			t.Fatalf("a database no server ran on: %v", err)
		}
		stop := runBackground(t, env.srv)
		err := CheckNotRunning(ctx, env.store, time.Now())
		if !errors.Is(err, ErrServerRunning) || !strings.Contains(err.Error(), "stop it first") {
			t.Errorf("while it runs: %v; want ErrServerRunning saying what to do", err)
		}
		if err := CheckNotRunning(ctx, env.store, time.Now().Add(runningFor+time.Second)); err != nil {
			t.Errorf("a lease older than %s (a crashed server) still counts: %v", runningFor, err)
		}
		stop()
		if err := CheckNotRunning(ctx, env.store, time.Now()); err != nil {
			t.Errorf("after the server stopped: %v", err)
		}
	})
}

// TestRunningNoteReplicas: one of two servers on a database stopping leaves the database
// refused while the other runs (found by an outside tester: one shared note was cleared).
// The next server's sweep forgets the stopped ones' leases.
func TestRunningNoteReplicas(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		second := New(env.store, Options{WebhookToken: testToken, Logger: slog.New(slog.DiscardHandler)})
		stopFirst := runBackground(t, env.srv)
		stopSecond := runBackground(t, second)
		stopSecond()
		if err := CheckNotRunning(ctx, env.store, time.Now()); !errors.Is(err, ErrServerRunning) {
			t.Errorf("one replica stopped, one runs: %v; want ErrServerRunning", err)
		}
		if err := env.srv.noteRunning(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.store.LiveLease(ctx, second.runningLease, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the stopped replica's lease is still kept: %v", err)
		}
		stopFirst()
		if err := CheckNotRunning(ctx, env.store, time.Now()); err != nil {
			t.Errorf("both stopped: %v", err)
		}
	})
}

// runBackground runs srv's background jobs until the returned stop, once its first sweep has
// noted it running.
func runBackground(t *testing.T, srv *Server) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.RunBackground(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, err := srv.store.LiveLease(context.Background(), srv.runningLease, time.Now()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("the server noted nothing within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}
