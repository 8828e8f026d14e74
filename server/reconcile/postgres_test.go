//go:build postgres

package reconcile

import (
	"context"
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
)

func TestPostgres(t *testing.T) {
	runScenarios(t, func(t *testing.T) store.Store {
		url := pgtest.NewDatabase(t)
		if err := store.Migrate(context.Background(), url); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
