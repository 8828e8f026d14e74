package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"diundashboard/internal/fakepg"
)

// TestHostileDatabaseURLsNeverPrinted runs the binary's commands with DATABASE_URLs that hold a
// password where a careless parser or message would echo it: malformed ones, an unknown scheme,
// an unreachable server and a server that refuses (and repeats) the password. Nothing the
// binary prints may contain it, and each failure must still point at DATABASE_URL.
func TestHostileDatabaseURLsNeverPrinted(t *testing.T) {
	const secret = "S3cret"
	// A URL taken for a file would create it in the working directory.
	t.Chdir(t.TempDir())
	refusing := fakepg.RefusePasswords(t, true)
	urls := []string{
		"host=db user=x password=S3cret",
		"host=db user=x password='S3cret with spaces'",
		"host=db user=x PASSWORD=S3cret",
		"postgres:user:S3cret@host/db",
		"postgresql://user:S3cret@",
		"postgres//u:S3cret@h",
		"postgres://u:S3cret/x@h/db",
		"postgres://u:S3cret@h:notaport/db",
		"postgres://h/db?password=S3cret&sslmode=bogus",
		"sqlite://u:S3cret@host/db",
		"mysql://u:S3cret@h/db",
		"postgres://u:S3cret@127.0.0.1:1/db?sslmode=disable",
		"postgres://u:S3cret@nohost.invalid/db?sslmode=disable&connect_timeout=3",
		"postgres://u:S3cret@" + refusing.Addr + "/db?sslmode=disable",
		"postgres://u:S3cret@" + refusing.Addr + "/db",
	}
	for _, u := range urls {
		for _, args := range [][]string{{"serve"}, {"migrate"}, {"token"}, {"migrate", "--database-url", u}, {"--help"}} {
			env := map[string]string{"DATABASE_URL": u, "LISTEN_ADDR": "127.0.0.1:0"}
			if len(args) > 1 {
				delete(env, "DATABASE_URL")
			}
			code, stdout, stderr := runWithin(t, 30*time.Second, env, args...)
			if strings.Contains(stdout, secret) || strings.Contains(stderr, secret) {
				t.Errorf("DATABASE_URL=%q, %v: the password is printed:\nstdout: %s\nstderr: %s", u, args, stdout, stderr)
				continue
			}
			if args[0] == "--help" {
				if code != 0 || !strings.Contains(stdout, "DATABASE_URL") {
					t.Errorf("DATABASE_URL=%q, --help: exit %d, no DATABASE_URL in:\n%s", u, code, stdout)
				}
				continue
			}
			// The command failed, and on the database: the test did not pass by stopping short.
			if code == 0 || !strings.Contains(stderr, "DATABASE_URL") {
				t.Errorf("DATABASE_URL=%q, %v: exit %d, want a failure that names DATABASE_URL:\n%s", u, args, code, stderr)
			}
		}
	}
	if len(refusing.Passwords()) == 0 {
		t.Error("no command reached the refusing server's password check")
	}
}

// TestHelpShowsDatabaseURLRedacted: --help still shows a well-formed DATABASE_URL, so that the
// operator can check which database is used, with the password masked.
func TestHelpShowsDatabaseURLRedacted(t *testing.T) {
	for u, want := range map[string]string{
		"postgres://dd:S3cret@db.example:5432/dd?sslmode=disable": `set to "postgres://dd:xxxxx@db.example:5432/dd?sslmode=disable"`,
		"host=db user=x password=S3cret":                          "(not shown: not a valid database URL)",
		"sqlite:/var/lib/dd/dd.db":                                `set to "sqlite:/var/lib/dd/dd.db"`,
	} {
		code, stdout, stderr := runCmd(t, map[string]string{"DATABASE_URL": u}, "--help")
		if code != 0 || !strings.Contains(stdout, want) || strings.Contains(stdout+stderr, "S3cret") {
			t.Errorf("DATABASE_URL=%q: --help exit %d, want %q without the password in:\n%s", u, code, want, stdout)
		}
	}
}

// runWithin is runCmd with a deadline: a hostile URL that a regression let through would
// otherwise leave `serve` serving for ever.
func runWithin(t *testing.T, d time.Duration, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	if ctx.Err() != nil {
		t.Errorf("%v was still running after %s", args, d)
	}
	return code, out.String(), errOut.String()
}
