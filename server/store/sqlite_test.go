package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

// TestSQLiteConformance runs the Store conformance suite against SQLite: every subtest gets a
// fresh database file, migrated the way the server migrates it.
func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, newSQLiteStore)
}

func newSQLiteStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	databaseURL := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	if err := store.Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s, err := store.NewSQLite(ctx, databaseURL)
	if err != nil {
		t.Fatalf("NewSQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}
