//go:build postgres

package retention

import (
	"diundashboard/server/store/storetest"
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
)

func init() {
	storeFactories["postgres"] = func(t *testing.T) store.Store {
		return storetest.Open(t, pgtest.NewDatabase(t))
	}
}
