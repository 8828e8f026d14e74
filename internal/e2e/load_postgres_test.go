//go:build e2e && postgres

package e2e

import (
	"database/sql"
	"testing"

	"diundashboard/internal/pgtest"
)

func TestLoadPostgres(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	p := start(t, dbURL)
	a, last := runLoad(t, p)
	p.stop()
	forbiddenInLogs(t, p.Logs.String())
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	verifyLoad(t, db, a, last)
}
