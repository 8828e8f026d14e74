package reconcile

import (
	"context"
	"path/filepath"
	"testing"

	"diundashboard/server/store"
)

func newSQLite(t testing.TB) store.Store {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "diun.db")
	if err := store.Migrate(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSQLite(t *testing.T) {
	runScenarios(t, func(t *testing.T) store.Store { return newSQLite(t) })
}
