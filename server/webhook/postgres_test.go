//go:build postgres

package webhook

import (
	"testing"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

func init() {
	stores["postgres"] = func(t *testing.T) store.Store {
		return storetest.Open(t, pgtest.NewDatabase(t))
	}
}
