//go:build postgres

package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
)

// TestPostgresIngest runs the pipeline's batch edge cases (ingest_test.go) on RecordBatch: one
// image several times in one batch, a batch of one, and a notification that the database
// refuses failing alone. Each case gets a fresh database.
func TestPostgresIngest(t *testing.T) {
	runIngestCases(t, func(t *testing.T) ingestCase {
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
		return ingestCase{s: p, p: p.ingest, refuser: func(t *testing.T) {
			if _, err := p.writeDB.Exec(`
				CREATE FUNCTION refuse_me() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					IF NEW.hostname = 'refuse-me' THEN
						RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation';
					END IF;
					RETURN NEW;
				END $$;
				CREATE TRIGGER refuse_me BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_me();`); err != nil {
				t.Fatal(err)
			}
		}}
	})
}

// TestPostgresIngestAfterBackendsEnd: PostgreSQL ends every connection of the pool (a restart,
// a failover, pg_terminate_backend) while they are in use, so that the next write meets a dead
// connection before the driver's idle check would. The batch did not reach the database, so
// the store writes it again on a new connection instead of answering a failure (found by an
// outside tester: 503, and Diun never sends a notification again). Each notification is
// stored once.
func TestPostgresIngestAfterBackendsEnd(t *testing.T) {
	ctx := context.Background()
	p, databaseURL := newNotifyPostgres(t)
	admin, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	for round := range 3 {
		// Several connections in the pool, all used within the driver's idle check (1 s).
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				n := Notification{Hostname: "vm", Status: "new", Provider: "docker", Image: fmt.Sprintf("docker.io/acme/warm-%d-%d:1", round, i),
					Digest: fmt.Sprintf("sha256:%064d", round*10+i), ReceivedAt: time.Now()}
				if _, err := p.Record(ctx, n); err != nil {
					t.Errorf("warming up: %v", err)
				}
			})
		}
		wg.Wait()
		var ended int
		if err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&ended); err != nil {
			t.Fatal(err)
		}
		if ended == 0 {
			t.Fatal("no connection of the pool was ended")
		}
		time.Sleep(50 * time.Millisecond) // the backends have gone
		n := Notification{Hostname: "vm", Status: "update", Provider: "docker", Image: "docker.io/acme/app:1",
			Digest: fmt.Sprintf("sha256:%064d", 100+round), ReceivedAt: time.Now()}
		if _, err := p.Record(ctx, n); err != nil {
			t.Fatalf("round %d, after %d connections ended: Record: %v", round, ended, err)
		}
	}
	var events int
	if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE image = 'docker.io/acme/app:1'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 3 {
		t.Errorf("%d events of the image, want 3: each notification stored once", events)
	}
}

// TestPostgresBatchStored: the check between two attempts finds a stored notification by what
// RecordBatch stored (its received time at the database's precision), and not another one.
func TestPostgresBatchStored(t *testing.T) {
	ctx := context.Background()
	p, _ := newNotifyPostgres(t)
	n := Notification{Hostname: "vm", Status: "new", Provider: "docker", Image: "docker.io/acme/app:1",
		Digest: fmt.Sprintf("sha256:%064d", 1), ReceivedAt: time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.UTC)}
	if _, err := p.Record(ctx, n); err != nil {
		t.Fatal(err)
	}
	other := n
	other.Digest = fmt.Sprintf("sha256:%064d", 2)
	fromDiun := other
	fromDiun.Source = SourceReconcile
	for name, c := range map[string]struct {
		notes []Notification
		want  bool
	}{
		"stored":                       {[]Notification{n}, true},
		"the first one not stored":     {[]Notification{{Hostname: "vm", Image: TestImage, Digest: n.Digest, ReceivedAt: time.Now()}, n}, false},
		"not stored":                   {[]Notification{other, n}, false},
		"read from Diun's API only":    {[]Notification{fromDiun}, false},
		"read from Diun's API, stored": {[]Notification{fromDiun, n}, true},
	} {
		if got, err := p.batchStored(ctx, c.notes); err != nil || got != c.want {
			t.Errorf("%s: batchStored = %v, %v; want %v", name, got, err, c.want)
		}
	}
}
