//go:build postgres

package api_test

import (
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

func init() {
	storeFactories["postgres"] = func(t *testing.T) store.Store {
		return storetest.Open(t, pgtest.NewDatabase(t))
	}
}
