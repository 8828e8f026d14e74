//go:build postgres

package pageseed_test

import (
	"database/sql"
	"testing"
	"time"

	"diundashboard/internal/pageseed"
	"diundashboard/internal/pgtest"
	"diundashboard/server/store"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func TestSeedPostgres(t *testing.T) {
	databaseURL := pgtest.NewDatabase(t)
	if err := store.Migrate(t.Context(), databaseURL); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sz := pageseed.Sizes{Images: 300, Events: 12000, SpanDays: 30, Now: time.Now()}
	if err := pageseed.Postgres(t.Context(), db, sz); err != nil {
		t.Fatal(err)
	}
	checkSeeded(t, databaseURL, sz)
}
