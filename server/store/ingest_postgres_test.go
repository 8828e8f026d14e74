//go:build postgres

package store

import (
	"context"
	"testing"

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
