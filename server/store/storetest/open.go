package storetest

import (
	"context"
	"testing"

	"diundashboard/server/store"
)

// Open migrates the database that databaseURL names and opens a store over it, closed when t
// ends: what every package's tests need before they can talk to a real database.
func Open(t testing.TB, databaseURL string) store.Store {
	t.Helper()
	ctx := context.Background()
	if err := store.Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
