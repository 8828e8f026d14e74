//go:build postgres

package notify

import (
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
)

// The user's case: `diundashboard copy` from SQLite to PostgreSQL, then the first start.
func TestCopyToPostgresCarriesWhatWasAnnounced(t *testing.T) {
	databaseURL := pgtest.NewDatabase(t)
	if err := store.Migrate(t.Context(), databaseURL); err != nil {
		t.Fatal(err)
	}
	checkCopyCarries(t, openPostgres(t, databaseURL))
}
