package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRunningNote: a running server notes itself on its database (import and copy refuse such
// a database) and clears the note when it stops.
func TestRunningNote(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		if err := CheckNotRunning(ctx, env.store, time.Now()); err != nil {
			t.Fatalf("a database no server ran on: %v", err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { env.srv.RunBackground(runCtx); close(done) }()
		deadline := time.Now().Add(10 * time.Second)
		for CheckNotRunning(ctx, env.store, time.Now()) == nil {
			if time.Now().After(deadline) {
				t.Fatal("the running server noted nothing within 10 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		err := CheckNotRunning(ctx, env.store, time.Now())
		if !errors.Is(err, ErrServerRunning) || !strings.Contains(err.Error(), "stop it first") {
			t.Errorf("while it runs: %v; want ErrServerRunning saying what to do", err)
		}
		if err := CheckNotRunning(ctx, env.store, time.Now().Add(runningFor+time.Second)); err != nil {
			t.Errorf("a note older than %s (a crashed server) still counts: %v", runningFor, err)
		}
		stop()
		<-done
		if err := CheckNotRunning(ctx, env.store, time.Now()); err != nil {
			t.Errorf("after the server stopped: %v", err)
		}
	})
}

// TestCheckNotRunningValues: only a time this version wrote, within runningFor, counts.
func TestCheckNotRunningValues(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			value   string
			running bool
		}{
			{"", false},
			{"not a time", false},
			{now.Add(-10 * time.Second).Format(time.RFC3339Nano), true},
			{now.Add(-runningFor + time.Second).Format(time.RFC3339Nano), true},
			{now.Add(-runningFor - time.Second).Format(time.RFC3339Nano), false},
			{now.Add(5 * time.Second).Format(time.RFC3339Nano), true}, // another machine's clock a little ahead
			{now.Add(time.Hour).Format(time.RFC3339Nano), false},
		} {
			if err := env.store.PutSetting(context.Background(), RunningSetting, c.value); err != nil {
				t.Fatal(err)
			}
			err := CheckNotRunning(context.Background(), env.store, now)
			if got := errors.Is(err, ErrServerRunning); got != c.running || (!got && err != nil) {
				t.Errorf("note %q: %v; want running %v", c.value, err, c.running)
			}
		}
	})
}
