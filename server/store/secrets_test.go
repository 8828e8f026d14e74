package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"diundashboard/internal/fakepg"
	"diundashboard/server/store"
)

// secret is in every password below: no message may contain it.
const secret = "S3cret"

// hostileURLs are DATABASE_URLs that do not parse as a URL with a host, or that a driver
// refuses: each hides the secret where a careless parser or message would echo it.
var hostileURLs = []string{
	// libpq's key=value form, which the store does not accept, in several spellings.
	"host=db user=x password=S3cret",
	"host=db user=x password='S3cret with spaces'",
	"host=db user=x PASSWORD = S3cret",
	`host=db user=x password='it\'s S3cret'`,
	"host=db:5432 user=x password=S3cret",
	// URLs missing a part.
	"postgres:user:S3cret@host/db",
	"postgresql://user:S3cret@",
	"postgres//u:S3cret@h",
	"user:S3cret@host:5432/db",
	":S3cret@host/db",
	" postgres://u:S3cret@h/db",
	// URLs that Go's parser rejects with an error quoting them.
	"postgres://u:S3cret/x@h/db",
	"postgres://u:S3cret@h:notaport/db",
	"postgres://u:S3cret@[::1/db",
	"postgres://u:S3cret@h/db\n",
	"postgres://u:S3cret%zz@h/db",
	// Parsed, with a host, then refused by pgx's own parser.
	"postgres://h/db?password=S3cret&sslmode=bogus",
	"postgres://h/db?PassWord=S3cret&connect_timeout=abc",
	"postgres://u@h/db?sslpassword=S3cret&sslmode=bogus",
	// A server URL under a SQLite scheme.
	"sqlite://u:S3cret@host/db",
	// Unknown schemes.
	"mysql://u:S3cret@h/db",
	"mysql:u:S3cret@h/db",
}

func TestRedactHidesPasswords(t *testing.T) {
	for _, u := range hostileURLs {
		if got := store.Redact(u); strings.Contains(got, secret) {
			t.Errorf("Redact(%q) = %q shows the password", u, got)
		}
	}
	// What did parse keeps the parts that help: scheme, user, host, port, database, options.
	for in, want := range map[string]string{
		"postgres://u:S3cret@db.example:5432/dd?sslmode=disable": "postgres://u:xxxxx@db.example:5432/dd?sslmode=disable",
		"postgres://db/dd?password=S3cret&sslmode=disable":       "postgres://db/dd?password=xxxxx&sslmode=disable",
		"postgresql://u@db/dd?sslpassword=S3cret":                "postgresql://u@db/dd?sslpassword=xxxxx",
		"postgres://u:S3cret@db/password=S3cret":                 "postgres://u:xxxxx@db/password=xxxxx",
		"postgres://db/dd#password=S3cret":                       "postgres://db/dd",
		"mysql://u:S3cret@h/db":                                  "mysql://u:xxxxx@h/db",
		"sqlite:data/dd.db":                                      "sqlite:data/dd.db",
		"sqlite:///var/lib/dd/dd.db?_pragma=cache_size(-2000)":   "sqlite:///var/lib/dd/dd.db?_pragma=cache_size(-2000)",
		"file:u:S3cret@host.db":                                  "file:xxxxx@host.db",
	} {
		if got := store.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStoreErrorsHidePasswords runs every hostile URL, an unreachable server and a server that
// refuses the password through each entry point that reports on DATABASE_URL.
func TestStoreErrorsHidePasswords(t *testing.T) {
	refusing := fakepg.RefusePasswords(t, true)
	urls := append(slices.Clone(hostileURLs),
		"postgres://u:S3cret@127.0.0.1:1/db?sslmode=disable",
		"postgres://u:S3cret@nohost.invalid/db?sslmode=disable&connect_timeout=3",
		"postgres://u:S3cret@"+refusing.Addr+"/db?sslmode=disable",
		// sslmode=prefer (the default) tries TLS first, then clear text.
		"postgres://u:S3cret@"+refusing.Addr+"/db",
	)
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if s, err := store.Open(ctx, u); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", u)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("Open(%q): the error shows the password: %q", u, err)
		}
		if err := store.Migrate(ctx, u); err == nil {
			t.Errorf("Migrate(%q) succeeded", u)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("Migrate(%q): the error shows the password: %q", u, err)
		}
		if _, _, err := store.MigrationStatus(ctx, u); err == nil {
			t.Errorf("MigrationStatus(%q) succeeded", u)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("MigrationStatus(%q): the error shows the password: %q", u, err)
		}
		if _, err := store.ParseURL(u); err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("ParseURL(%q): the error shows the password: %q", u, err)
		}
		cancel()
	}
	// The refusals above came from the server, after the password was sent: the test did
	// exercise what a wrong password leads to.
	if !slices.Contains(refusing.Passwords(), "S3cret") {
		t.Errorf("the refusing server never received the password (got %q): the test did not reach authentication", refusing.Passwords())
	}
}

// TestRefusedPasswordIsExplained: hiding the password must not hide the reason.
func TestRefusedPasswordIsExplained(t *testing.T) {
	refusing := fakepg.RefusePasswords(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := store.Migrate(ctx, "postgres://alice:S3cret@"+refusing.Addr+"/db?sslmode=disable")
	if err == nil {
		t.Fatal("Migrate succeeded against a server that refuses every password")
	}
	msg := err.Error()
	for _, want := range []string{refusing.Addr, `"alice"`, "password authentication failed", "DATABASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not mention %q: %q", want, msg)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("the error shows the password the server echoed: %q", msg)
	}
}

// TestMalformedURLErrorsExplain: each malformed DATABASE_URL is told what is wrong with it and
// what is accepted, without its value.
func TestMalformedURLErrorsExplain(t *testing.T) {
	for in, want := range map[string][]string{
		"host=db user=x password=S3cret": {"key=value", "postgres://"},
		"postgres:user:S3cret@host/db":   {"not a valid PostgreSQL URL", "postgres://"},
		"postgresql://user:S3cret@":      {"not a valid PostgreSQL URL", "no host"},
		"postgres//u:S3cret@h":           {"has no scheme", "sqlite:", "postgres://"},
		"postgres://u:S3cret/x@h/db":     {"not a valid PostgreSQL URL", "percent-encode"},
		"mysql://u:S3cret@h/db":          {`"mysql"`, "not supported", "sqlite:", "postgres://"},
		"sqlite://u:S3cret@host/db":      {"SQLite", "file", "postgres://"},
	} {
		_, err := store.ParseURL(in)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded", in)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseURL(%q): %q does not mention %q", in, err, w)
			}
		}
	}
}
