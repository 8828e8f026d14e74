package store

import (
	"strings"
	"testing"
	"time"

	"diundashboard/server/store/internal/pgconnect"
)

// A space in a PostgreSQL URL parameter (options=-c%20statement_timeout%3D5000) stays a space:
// url.Values.Encode writes it as "+", which libpq and pgx read literally (found by an outside
// review: "unrecognized configuration parameter +statement_timeout").
func TestPostgresURLKeepsSpaces(t *testing.T) {
	raw := "postgres://u@127.0.0.1:5432/db?options=-c%20statement_timeout%3D5000&pool_max_open_conns=7"
	target, err := ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(target.URL, "+") || !strings.Contains(target.URL, "-c%20statement_timeout") {
		t.Errorf("parsed URL %q; want the space kept as %%20", target.URL)
	}
	cfg, err := postgresConfig(target)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.RuntimeParams["options"]; got != "-c statement_timeout=5000" {
		t.Errorf("options sent to the server = %q; want %q", got, "-c statement_timeout=5000")
	}
}

// The store's pool and the migrator connect with the same settings: one connect timeout, the
// URL's own when it sets one.
func TestPostgresConnectTimeout(t *testing.T) {
	for raw, want := range map[string]time.Duration{
		"postgres://u@127.0.0.1:5432/db":                    pgconnect.DefaultConnectTimeout,
		"postgres://u@127.0.0.1:5432/db?connect_timeout=12": 12 * time.Second,
	} {
		target, err := ParseURL(raw)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := postgresConfig(target)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ConnectTimeout != want {
			t.Errorf("%s: connect timeout %v, want %v", raw, cfg.ConnectTimeout, want)
		}
	}
}
