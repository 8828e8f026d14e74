//go:build postgres

package store

import (
	"context"
	"strings"
	"testing"

	"diundashboard/internal/pgtest"
)

// The options parameter reaches the server as written.
func TestPostgresOptionsParameterApplies(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "options=-c%20statement_timeout%3D4321"
	if err := Migrate(ctx, u); err != nil {
		t.Fatal(err)
	}
	p, err := NewPostgres(ctx, u)
	if err != nil {
		t.Fatalf("NewPostgres with options: %v", err)
	}
	defer p.Close()
	var got string
	if err := p.readDB.QueryRowContext(ctx, "SHOW statement_timeout").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "4321ms" {
		t.Errorf("statement_timeout = %q; want 4321ms from the URL's options", got)
	}
}
