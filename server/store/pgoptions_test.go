package store

import (
	"strings"
	"testing"
)

// A space in a PostgreSQL URL parameter (options=-c%20statement_timeout%3D5000) stays a space:
// url.Values.Encode writes it as "+", which libpq and pgx read literally (found by an outside
// review: "unrecognized configuration parameter +statement_timeout").
func TestPostgresURLKeepsSpaces(t *testing.T) {
	raw := "postgres://u@127.0.0.1:5432/db?options=-c%20statement_timeout%3D5000&pool_max_open_conns=7"
	conn, _, err := pgConnURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(conn, "+") || !strings.Contains(conn, "options=-c%20statement_timeout%3D5000") {
		t.Errorf("connection URL %q; want the space kept as %%20", conn)
	}
	target, err := ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(target.URL, "+") || !strings.Contains(target.URL, "-c%20statement_timeout") {
		t.Errorf("parsed URL %q; want the space kept as %%20", target.URL)
	}
}
