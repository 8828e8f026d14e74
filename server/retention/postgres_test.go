//go:build postgres

package retention

import (
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
)

func init() {
	storeFactories["postgres"] = func(t *testing.T) store.Store {
		return openStore(t, pgtest.NewDatabase(t))
	}
}
