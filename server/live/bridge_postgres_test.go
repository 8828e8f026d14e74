//go:build postgres

package live

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/internal/proctest"
	"diundashboard/server/store"
)

// Two stores on one database stand for two replicas: each has its own pool, hub and bridge.
func TestBridgeOverPostgres(t *testing.T) {
	ctx := context.Background()
	databaseURL := pgtest.NewDatabase(t)
	if err := store.Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	open := func() *store.Postgres {
		p, err := store.NewPostgres(ctx, databaseURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	}
	admin, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	listening := func() int {
		var n int
		if err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %' AND state = 'idle'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	logs := &proctest.SyncBuffer{}
	a, b := NewHub(), NewHub()
	startBridge(t, a, open(), discard())
	startBridge(t, b, open(), newTextLog(logs))
	waitFor(t, "both replicas to listen", func() bool { return listening() == 2 })
	subA, cancelA := a.Subscribe()
	defer cancelA()
	subB, cancelB := b.Subscribe()
	defer cancelB()

	start := time.Now()
	a.Publish(Event{Kind: KindNotification, ImageID: 7})
	if e := next(t, subB); e != (Event{Kind: KindNotification, ImageID: 7}) {
		t.Errorf("B got %+v", e)
	}
	t.Logf("A → B through PostgreSQL in %s", time.Since(start))
	if e := next(t, subA); e != (Event{Kind: KindNotification, ImageID: 7}) {
		t.Errorf("A got %+v", e)
	}
	b.Publish(Event{Kind: KindChange, ImageID: 3})
	if e := next(t, subA); e != (Event{Kind: KindChange, ImageID: 3}) {
		t.Errorf("A got %+v", e)
	}
	if e := next(t, subB); e != (Event{Kind: KindChange, ImageID: 3}) {
		t.Errorf("B got %+v", e)
	}
	// Neither hears its own event a second time through PostgreSQL.
	quiet(t, subA, 100*time.Millisecond)
	quiet(t, subB, 0)

	// The database drops every session, as a restart does: both listeners reconnect, B's pages
	// are told to refetch, and events flow again.
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both replicas to listen again", func() bool { return listening() == 2 })
	if e := next(t, subB); e != (Event{Kind: KindChange}) {
		t.Errorf("B got %+v after reconnecting, want a change", e)
	}
	a.Publish(Event{Kind: KindCheck})
	if e := next(t, subB); e != (Event{Kind: KindCheck}) {
		t.Errorf("B got %+v after the outage", e)
	}
	if t.Failed() {
		t.Logf("B's log:\n%s", logs.String())
	}
}
