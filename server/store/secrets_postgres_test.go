//go:build postgres

package store_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store"
)

// TestPostgresRefusalsHidePasswords: a real server turning the connection away, for an unknown
// role or an unknown database, is explained without the password that came with it.
func TestPostgresRefusalsHidePasswords(t *testing.T) {
	admin, err := url.Parse(pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	adminUser := admin.User.Username()
	for _, tc := range []struct {
		name       string
		user, db   string
		wantReason string
	}{
		{"unknown role", "dd_no_such_role", "postgres", `"dd_no_such_role"`},
		{"unknown database", adminUser, "dd_no_such_database", `"dd_no_such_database" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := *admin
			u.User = url.UserPassword(tc.user, "S3cret-pw")
			u.Path = "/" + tc.db
			databaseURL := u.String()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			if s, err := store.Open(ctx, databaseURL); err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			} else if strings.Contains(err.Error(), secret) {
				t.Errorf("Open: the error shows the password: %q", err)
			}
			err := store.Migrate(ctx, databaseURL)
			if err == nil {
				t.Fatal("Migrate succeeded")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Migrate: the error shows the password: %q", err)
			}
			if !strings.Contains(err.Error(), tc.wantReason) || !strings.Contains(err.Error(), "DATABASE_URL") {
				t.Errorf("Migrate: %q does not say what the server refused (%s) and what to fix", err, tc.wantReason)
			}
			if _, _, err := store.MigrationStatus(ctx, databaseURL); err == nil || strings.Contains(err.Error(), secret) {
				t.Errorf("MigrationStatus: %v", err)
			}
		})
	}
}
