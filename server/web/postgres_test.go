//go:build postgres

package web_test

import (
	"testing"

	"diundashboard/internal/pgtest"
)

func init() {
	databases["postgres"] = func(t testing.TB) string { return pgtest.NewDatabase(t) }
}
