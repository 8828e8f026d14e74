package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

var resetLine = regexp.MustCompile(`Sign in as admin with the new password: (\S+)\n`)

func addSession(t *testing.T, st store.Store, id string) {
	t.Helper()
	now := time.Now()
	if err := st.CreateSession(context.Background(), store.Session{IDHash: auth.Hash(id), Username: "admin", Credential: "x",
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func TestResetPassword(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	env := map[string]string{"DATABASE_URL": url}
	code, errOut := serveOnce(t, env)
	if code != 0 {
		t.Fatalf("first start: exit %d\n%s", code, errOut)
	}
	first := passwordLine.FindStringSubmatch(errOut)
	if first == nil || !strings.Contains(errOut, "reset-password") {
		t.Fatalf("the first start does not show the password and how to reset it:\n%s", errOut)
	}
	st := openSettings(t, url)
	addSession(t, st, "before-reset")
	// A token made with the old password (by its owner, or by whoever took it).
	if _, err := st.CreateAPIToken(context.Background(), "made-before", auth.Hash("dd_before"), "dd_befor", store.ScopeWrite); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCmd(t, env, "reset-password")
	if code != 0 {
		t.Fatalf("reset-password: exit %d\n%s", code, stderr)
	}
	m := resetLine.FindStringSubmatch(stdout)
	if m == nil || len(m[1]) != 20 || m[1] == first[1] {
		t.Fatalf("reset-password printed %q; want one new 20-character password", stdout)
	}
	if strings.Contains(stderr, m[1]) {
		t.Error("the new password went to the log")
	}
	hash, err := st.Setting(context.Background(), generatedPasswordSetting)
	if err != nil || !auth.VerifyPassword(hash, m[1]) || auth.VerifyPassword(hash, first[1]) {
		t.Errorf("after the reset the stored hash does not take the new password only (%v)", err)
	}
	if _, err := st.GetSession(context.Background(), auth.Hash("before-reset")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session survived the reset: %v", err)
	}
	if toks, err := st.ListAPITokens(context.Background()); err != nil || len(toks) != 0 || !strings.Contains(stdout, "Revoked 1 API token") {
		t.Errorf("API tokens after the reset: %+v, %v; want none, and stdout to say so (%q)", toks, err, stdout)
	}

	// Nothing to reset where the password is not generated here.
	for name, extra := range map[string]map[string]string{
		"configured hash": {"AUTH_USERNAME": "me", "AUTH_PASSWORD_HASH": hash},
		// A user without a hash: the message names the missing hash, not a configured one
		// (found by an outside tester).
		"user without hash": {"AUTH_USERNAME": "me"},
		"proxy":             {"AUTH_MODE": "proxy", "TRUSTED_PROXIES": "10.0.0.1"},
		"none":              {"AUTH_MODE": "none"},
	} {
		e := map[string]string{"DATABASE_URL": url}
		for k, v := range extra {
			e[k] = v
		}
		code, stdout, stderr := runCmd(t, e, "reset-password")
		if code == 0 || stdout != "" || !strings.Contains(stderr, "password") {
			t.Errorf("%s: reset-password exit %d, stdout %q, stderr %q; want a refusal that says why", name, code, stdout, stderr)
		}
		if strings.Contains(stderr, hash) {
			t.Errorf("%s: the hash was echoed", name)
		}
		if name == "user without hash" && !strings.Contains(stderr, "needs AUTH_PASSWORD_HASH too") {
			t.Errorf("%s: %s", name, stderr)
		}
	}

	// A server whose environment configures the sign-in, and a shell whose does not: the
	// generated admin is nobody's, so nothing is reset and no session ends.
	configured := map[string]string{"DATABASE_URL": url, "AUTH_USERNAME": "me", "AUTH_PASSWORD_HASH": hash}
	if code, errOut := serveOnce(t, configured); code != 0 {
		t.Fatalf("start with AUTH_PASSWORD_HASH: exit %d\n%s", code, errOut)
	}
	addSession(t, st, "configured-user")
	code, stdout, stderr = runCmd(t, env, "reset-password")
	if code == 0 || stdout != "" || !strings.Contains(stderr, "AUTH_PASSWORD_HASH") || !strings.Contains(stderr, "nothing was changed") {
		t.Errorf("reset-password beside a server with AUTH_PASSWORD_HASH: exit %d, %q, %s; want a refusal", code, stdout, stderr)
	}
	if _, err := st.GetSession(context.Background(), auth.Hash("configured-user")); err != nil {
		t.Errorf("the refused reset ended a session: %v", err)
	}
	if code, errOut := serveOnce(t, env); code != 0 {
		t.Fatalf("start with the generated admin again: exit %d\n%s", code, errOut)
	}
	if code, _, stderr := runCmd(t, env, "reset-password"); code != 0 {
		t.Errorf("reset-password once the server signs in the generated admin again: exit %d, %s", code, stderr)
	}
}

func TestSessionsRevokeAll(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	env := map[string]string{"DATABASE_URL": url}
	st := openSettings(t, url) // the server's database, made by its first start
	addSession(t, st, "one")
	addSession(t, st, "two")
	if _, err := st.CreateAPIToken(context.Background(), "widget", auth.Hash("dd_widget"), "dd_widge", store.ScopeRead); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, env, "sessions", "revoke-all")
	if code != 0 || !strings.Contains(stdout, "ended 2 sessions") || !strings.Contains(stdout, "--tokens") {
		t.Fatalf("sessions revoke-all: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if toks, _ := st.ListAPITokens(context.Background()); len(toks) != 1 {
		t.Errorf("revoke-all without --tokens revoked tokens: %d left, want 1", len(toks))
	}
	code, stdout, stderr = runCmd(t, env, "sessions", "revoke-all", "--tokens")
	if code != 0 || !strings.Contains(stdout, "Revoked 1 API token") {
		t.Fatalf("sessions revoke-all --tokens: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if toks, _ := st.ListAPITokens(context.Background()); len(toks) != 0 {
		t.Errorf("revoke-all --tokens left %d tokens", len(toks))
	}
	for _, id := range []string{"one", "two"} {
		if _, err := st.GetSession(context.Background(), auth.Hash(id)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session %s survived: %v", id, err)
		}
	}
	for _, args := range [][]string{{"sessions"}, {"sessions", "list"}} { // sessions --help: TestCommandHelp
		if code, _, stderr := runCmd(t, env, args...); code == 0 || !strings.Contains(stderr, "revoke-all") {
			t.Errorf("%q: exit %d, stderr %q; want a usage error naming revoke-all", args, code, stderr)
		}
	}
}

// `token` prints the stored webhook token while it is kept; once Diun has presented it only
// its hash is, and `token --rotate` makes a new one.
func TestTokenCommandWithHashedToken(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	env := map[string]string{"DATABASE_URL": url}
	// A mistyped path: no database is made, no token printed that no server knows.
	if code, stdout, stderr := runCmd(t, env, "token"); code == 0 || stdout != "" || !strings.Contains(stderr, "no database at") {
		t.Errorf("token without a database: exit %d, %q, %q; want a refusal", code, stdout, stderr)
	}
	if code, _, stderr := runCmd(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	code, first, stderr := runCmd(t, env, "token")
	first = strings.TrimSpace(first)
	if code != 0 || len(first) < 40 {
		t.Fatalf("token: exit %d, %q, %s", code, first, stderr)
	}
	st := openSettings(t, url)
	// What the server does once Diun has sent the token.
	if err := st.PutSetting(context.Background(), webhook.TokenSetting, ""); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, env, "token")
	if code == 0 || stdout != "" || !strings.Contains(stderr, "--rotate") {
		t.Errorf("token of a hashed token: exit %d, stdout %q, stderr %q; want a refusal that names --rotate", code, stdout, stderr)
	}
	code, stdout, stderr = runCmd(t, env, "token", "--rotate")
	fresh := strings.TrimSpace(stdout)
	if code != 0 || len(fresh) < 40 || fresh == first {
		t.Fatalf("token --rotate: exit %d, %q, %s", code, stdout, stderr)
	}
	if got, err := st.Setting(context.Background(), webhook.TokenHashSetting); err != nil || got != auth.Hash(fresh) {
		t.Errorf("after --rotate the stored hash is %q (%v); want the new token's", got, err)
	}
	// A server started with WEBHOOK_TOKEN in its environment, which this shell lacks (a
	// systemd unit's EnvironmentFile): the stored token is not the one it accepts, so the
	// command neither prints nor rotates it (found by an outside tester).
	if code, errOut := serveOnce(t, env); code != 0 { // serveOnce sets WEBHOOK_TOKEN
		t.Fatalf("start with WEBHOOK_TOKEN: exit %d\n%s", code, errOut)
	}
	for _, args := range [][]string{{"token"}, {"token", "--rotate"}} {
		if code, stdout, stderr := runCmd(t, env, args...); code == 0 || stdout != "" || !strings.Contains(stderr, "WEBHOOK_TOKEN") {
			t.Errorf("%q after a server took its token from WEBHOOK_TOKEN: exit %d, %q, %s; want a refusal naming WEBHOOK_TOKEN", args, code, stdout, stderr)
		}
	}
	if got, err := st.Setting(context.Background(), webhook.TokenHashSetting); err != nil || got != auth.Hash(fresh) {
		t.Errorf("a refused --rotate changed the stored hash: %q (%v)", got, err)
	}
	if code, errOut := serveOnce(t, map[string]string{"DATABASE_URL": url, "WEBHOOK_TOKEN": ""}); code != 0 {
		t.Fatalf("start without WEBHOOK_TOKEN: exit %d\n%s", code, errOut)
	}
	if code, _, stderr := runCmd(t, env, "token", "--rotate"); code != 0 {
		t.Errorf("token --rotate once the server takes the stored token again: exit %d, %s", code, stderr)
	}
	env["WEBHOOK_TOKEN"] = "configured-token-0123456789abcdef"
	for _, args := range [][]string{{"token"}, {"token", "--rotate"}} {
		// The server takes the stored token; this shell's WEBHOOK_TOKEN is not it.
		if code, stdout, stderr := runCmd(t, env, args...); code == 0 || stdout != "" || !strings.Contains(stderr, "WEBHOOK_TOKEN") {
			t.Errorf("%q with WEBHOOK_TOKEN here, not in the server's environment: exit %d, %q, %s; want a refusal naming WEBHOOK_TOKEN", args, code, stdout, stderr)
		}
	}
}

// Commands that read what a server made refuse a SQLite path with no database rather than
// make an empty one (found by a new user: export wrote an empty backup and exited 0).
func TestCommandsRefuseAMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "typo", "dd.db")
	env := map[string]string{"DATABASE_URL": "sqlite:" + path}
	for _, args := range [][]string{{"token"}, {"export"}, {"prune", "--dry-run"}, {"reset-password"}, {"sessions", "revoke-all"},
		{"copy", "--from", "sqlite:" + path, "--to", "sqlite:" + filepath.Join(dir, "to.db")}} {
		code, stdout, stderr := runCmd(t, env, args...)
		if code == 0 || stdout != "" || !strings.Contains(stderr, "no database at") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want a refusal naming the missing database", args, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a command made the database it was told to read: %v", err)
	}
}

// With LOG_FORMAT=json every line of the first start's stderr is JSON: the webhook token and
// the generated password come as fields of one record each (found by a new user: the banner
// was plain text between JSON lines, which broke log collectors).
func TestFirstStartWithJSONLogs(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	code, errOut := serveOnce(t, map[string]string{"DATABASE_URL": url, "LOG_FORMAT": "json", "WEBHOOK_TOKEN": ""})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	var password, auth string
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a line of stderr is not JSON: %q", line)
		}
		if p, ok := rec["password"].(string); ok {
			password = p
		}
		if a, ok := rec["DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION"].(string); ok {
			auth = a
		}
	}
	if len(password) != 20 || !strings.HasPrefix(auth, "Bearer ") || len(auth) < 40 {
		t.Errorf("the password %q and the webhook setting %q are not both in the JSON log", password, auth)
	}
}
