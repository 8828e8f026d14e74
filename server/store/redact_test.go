package store

import (
	"diundashboard/server/store/internal/pgconnect"

	"errors"
	"strings"
	"testing"
)

// TestMaskSecrets: the textual masks that run over every driver and server message find a
// password by its shape alone, and leave the rest readable.
func TestMaskSecrets(t *testing.T) {
	for in, want := range map[string]string{
		// libpq's key=value form, as pgx quotes it in a parse error.
		"cannot parse `host=db password=S3cret sslmode=x`: bad": "cannot parse `host=db password=xxxxx sslmode=x`: bad",
		"password='S3 cret' host=db":                            "password=xxxxx host=db",
		`PASSWORD = "S3\"cret" host=db`:                         "PASSWORD = xxxxx host=db",
		`x password='it\'s S3cret' host=db`:                     "x password=xxxxx host=db",
		"unterminated password='S3 cret":                        "unterminated password=xxxxx",
		"sslpassword=S3cret&sslmode=require":                    "sslpassword=xxxxx&sslmode=require",
		`DATABASE_URL "postgres://h/db?password=S3cret" is bad`: `DATABASE_URL "postgres://h/db?password=xxxxx" is bad`,
		// Userinfo, whole or malformed.
		"dial postgres://u:S3cret@h/db failed": "dial postgres://u:xxxxx@h/db failed",
		"postgres://u:S3c@ret@h/db":            "postgres://u:xxxxx@h/db",
		"at `u:S3cret@h`":                      "at `u:xxxxx@h`",
		"postgres:u:S3cret@h/db":               "postgres:xxxxx@h/db",
		// Nothing to mask: addresses, user@host, our own advice, what is already masked.
		"PostgreSQL at 127.0.0.1:5432 (127.0.0.1) refused":  "PostgreSQL at 127.0.0.1:5432 (127.0.0.1) refused",
		"postgres://u@[::1]:5432/db as user@host":           "postgres://u@[::1]:5432/db as user@host",
		"use postgres://user:password@host:5432/dbname":     "use postgres://user:password@host:5432/dbname",
		"postgres://u:xxxxx@h/db?password=xxxxx&sslmode=x":  "postgres://u:xxxxx@h/db?password=xxxxx&sslmode=x",
		"check the user and password in DATABASE_URL first": "check the user and password in DATABASE_URL first",
	} {
		if got := maskSecrets(in); got != want {
			t.Errorf("maskSecrets(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// TestScrubKnownPasswords: a password the URL gave the driver is masked wherever a server
// repeats it, in any shape; a short one only where it stands alone, so that the words around
// it stay readable.
func TestScrubKnownPasswords(t *testing.T) {
	for _, tc := range []struct{ url, msg, want string }{
		{"postgres://u:S3cretX@h/db", `FATAL: bad password S3cretX for "u"`, `FATAL: bad password xxxxx for "u"`},
		{"postgres://u:S3%20cret@h/db", "echo: S3 cret.", "echo: xxxxx."},
		{"postgres://h/db?sslpassword=KeyPass", "cannot decrypt key with KeyPass", "cannot decrypt key with xxxxx"},
		{"postgres://u:pw@h/db", `server says "pw" is wrong; pwd and upw stay`, `server says "xxxxx" is wrong; pwd and upw stay`},
		{"postgres://u:pw@h/db", "pw", "xxxxx"},
	} {
		if got := scrub(tc.msg, tc.url); got != tc.want {
			t.Errorf("scrub(%q, %q)\n = %q\nwant %q", tc.msg, tc.url, got, tc.want)
		}
	}
}

// TestMaskSecretsExported: what a program echoes through MaskSecrets hides both shapes.
func TestMaskSecretsExported(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:S3cret@h/db":       "postgres://u:xxxxx@h/db",
		"host=db user=x password=S3cret": "host=db user=x password=xxxxx",
		"serve":                          "serve",
	} {
		if got := MaskSecrets(in); got != want {
			t.Errorf("MaskSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPostgresLaterErrorsHidePassword: after Open, a pool reconnecting or a LISTEN connection
// may be refused by a server that repeats the password; those errors are masked as well.
func TestPostgresLaterErrorsHidePassword(t *testing.T) {
	cfg, err := pgconnect.Config("postgres://u:S3cretPw@db:5432/dd")
	if err != nil {
		t.Fatal(err)
	}
	p := &Postgres{cfg: cfg, databaseURL: "postgres://u:S3cretPw@db/dd"}
	err = p.unreachable(errors.New("FATAL: password authentication failed (password S3cretPw)"))
	if msg := err.Error(); strings.Contains(msg, "S3cretPw") || !strings.Contains(msg, "db:5432") || !strings.Contains(msg, "password authentication failed") {
		t.Errorf("unreachable: %q, want the server and the reason without the password", msg)
	}
}
