package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

var passwordLine = regexp.MustCompile(`Sign in as admin with the password: (\S+)\n`)

// serveOnce runs `diundashboard serve` until it listens, then stops it as SIGTERM would.
func serveOnce(t *testing.T, env map[string]string) (code int, stderr string) {
	t.Helper()
	full := map[string]string{"LISTEN_ADDR": "127.0.0.1:0", "WEBHOOK_TOKEN": "test-webhook-token-0123456789"}
	for k, v := range env {
		full[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	errOut := &stopWhenServing{stop: cancel}
	code = run(ctx, []string{"serve"}, func(k string) string { return full[k] }, &out, errOut)
	return code, errOut.String()
}

// stopWhenServing collects stderr and calls stop once the server logs that it serves.
type stopWhenServing struct {
	bytes.Buffer
	stop func()
}

func (w *stopWhenServing) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("msg=serving")) || bytes.Contains(p, []byte(`"msg":"serving"`)) {
		w.stop()
	}
	return w.Buffer.Write(p)
}

func openSettings(t *testing.T, url string) store.Store {
	t.Helper()
	return storetest.Open(t, url)
}

// signIn tries a password for admin against the Authenticator.
func signIn(a *auth.Authenticator, password string) error {
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	return a.Login(httptest.NewRecorder(), r, "admin", password)
}

func TestFirstStartGeneratesAdminPassword(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	env := map[string]string{"DATABASE_URL": url}

	code, errOut := serveOnce(t, env)
	if code != 0 {
		t.Fatalf("first start: exit %d\n%s", code, errOut)
	}
	m := passwordLine.FindAllStringSubmatch(errOut, -1)
	if len(m) != 1 {
		t.Fatalf("first start printed %d password lines; want 1:\n%s", len(m), errOut)
	}
	password := m[0][1]
	if len(password) != 20 {
		t.Errorf("generated password %q has %d characters; want 20", password, len(password))
	}
	if n := strings.Count(errOut, password); n != 1 {
		t.Errorf("the password appears %d times on stderr (logs included); want once", n)
	}
	if !strings.Contains(errOut, "AUTH_PASSWORD_HASH") {
		t.Error("the first start does not say how to choose a password instead")
	}

	st := openSettings(t, url)
	hash, err := st.Setting(context.Background(), generatedPasswordSetting)
	if err != nil {
		t.Fatalf("no stored hash: %v", err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, password) || auth.CheckHash(hash) != nil {
		t.Errorf("stored %q; want an argon2id hash", hash)
	}
	if !auth.VerifyPassword(hash, password) || auth.VerifyPassword(hash, password+"x") || auth.VerifyPassword(hash, strings.ToUpper(password)) {
		t.Error("the stored hash does not match exactly the printed password")
	}

	// The second start reuses the stored hash and prints nothing.
	code, errOut = serveOnce(t, env)
	if code != 0 {
		t.Fatalf("second start: exit %d\n%s", code, errOut)
	}
	if strings.Contains(errOut, "password") {
		t.Errorf("second start talks about a password:\n%s", errOut)
	}
	if again, err := st.Setting(context.Background(), generatedPasswordSetting); err != nil || again != hash {
		t.Errorf("the stored hash changed on the second start: %v", err)
	}
}

func TestNewAuthenticatorGeneratedPasswordSignsIn(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	st := openSettings(t, url)
	cfg, err := parseConfig("diundashboard serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var logs, shown bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	a, err := newAuthenticator(ctx, cfg, st, log, &shown)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode() != auth.ModeBuiltin {
		t.Fatalf("mode %q; want builtin", a.Mode())
	}
	m := passwordLine.FindStringSubmatch(shown.String())
	if m == nil {
		t.Fatalf("no password shown:\n%s", shown.String())
	}
	password := m[1]
	if strings.Contains(logs.String(), password) {
		t.Error("the password went to the log")
	}
	if err := signIn(a, password); err != nil {
		t.Errorf("the printed password does not sign in: %v", err)
	}
	if err := signIn(a, "wrong-password"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("a wrong password: %v; want ErrBadCredentials", err)
	}
	if err := a.Login(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/login", nil), "root", password); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("another user with the password: %v; want ErrBadCredentials", err)
	}

	// A restart (a new store over the same database) and a second replica: nothing new.
	for i := range 2 {
		shown.Reset()
		b, err := newAuthenticator(ctx, cfg, openSettings(t, url), log, &shown)
		if err != nil {
			t.Fatal(err)
		}
		if shown.Len() != 0 {
			t.Errorf("start %d showed %q", i+2, shown.String())
		}
		if err := signIn(b, password); err != nil {
			t.Errorf("start %d: the first password no longer signs in: %v", i+2, err)
		}
	}

	// AUTH_MODE=builtin written out behaves as the default.
	cfg.AuthMode = "builtin"
	shown.Reset()
	if _, err := newAuthenticator(ctx, cfg, st, log, &shown); err != nil || shown.Len() != 0 {
		t.Errorf("AUTH_MODE=builtin: %v, showed %q", err, shown.String())
	}
}

func TestAuthSettingsAtStart(t *testing.T) {
	bhash, err := bcrypt.GenerateFromPassword([]byte("a real password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		// wantErr is part of the error; "" means the start succeeds.
		wantErr string
		mode    auth.Mode
	}{
		{name: "none", env: map[string]string{"AUTH_MODE": "none"}, mode: auth.ModeNone},
		{name: "proxy", env: map[string]string{"AUTH_MODE": "proxy", "TRUSTED_PROXIES": "10.0.0.0/8"}, mode: auth.ModeProxy},
		{name: "proxy header alone", env: map[string]string{"AUTH_PROXY_HEADER": "X-User", "TRUSTED_PROXIES": "10.0.0.1"}, mode: auth.ModeProxy},
		{name: "configured user", env: map[string]string{"AUTH_USERNAME": "alice", "AUTH_PASSWORD_HASH": string(bhash)}, mode: auth.ModeBuiltin},
		{name: "username without hash", env: map[string]string{"AUTH_USERNAME": "alice"}, wantErr: "needs AUTH_USERNAME and AUTH_PASSWORD_HASH"},
		{name: "hash without username", env: map[string]string{"AUTH_PASSWORD_HASH": string(bhash)}, wantErr: "needs AUTH_USERNAME and AUTH_PASSWORD_HASH"},
		{name: "invalid hash", env: map[string]string{"AUTH_USERNAME": "alice", "AUTH_PASSWORD_HASH": "hunter2"}, wantErr: "AUTH_PASSWORD_HASH must be a bcrypt"},
		{name: "hash with its $ eaten by compose", env: map[string]string{"AUTH_USERNAME": "alice", "AUTH_PASSWORD_HASH": "argon2idv=19m=19456,t=2,p=1"}, wantErr: "hash-password"},
		{name: "truncated argon2id", env: map[string]string{"AUTH_USERNAME": "alice", "AUTH_PASSWORD_HASH": "$argon2id$v=19$m=19456,t=2,p=1$abc"}, wantErr: "not a valid argon2id hash"},
		{name: "proxy without proxies", env: map[string]string{"AUTH_MODE": "proxy"}, wantErr: "TRUSTED_PROXIES"},
		{name: "bad trusted proxy", env: map[string]string{"AUTH_MODE": "proxy", "TRUSTED_PROXIES": "10.0.0.1,gateway"}, wantErr: `"gateway"`},
		{name: "trusted proxies: two halves of the Internet", env: map[string]string{"AUTH_MODE": "proxy", "TRUSTED_PROXIES": "0.0.0.0/1,128.0.0.0/1"}, wantErr: `"0.0.0.0/1" is a network of public addresses broader than /8`},
		{name: "trusted proxies: every IPv4-mapped address", env: map[string]string{"AUTH_MODE": "proxy", "TRUSTED_PROXIES": "::ffff:0:0/96"}, wantErr: `"::ffff:0:0/96" would trust every address`},
		{name: "trusted proxies: the private ranges", env: map[string]string{"AUTH_MODE": "proxy", "TRUSTED_PROXIES": "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"}, mode: auth.ModeProxy},
		{name: "unknown mode", env: map[string]string{"AUTH_MODE": "open"}, wantErr: `AUTH_MODE "open"`},
		{name: "bad cookie setting", env: map[string]string{"AUTH_MODE": "none", "COOKIE_SECURE": "yes"}, wantErr: "COOKIE_SECURE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
			st := openSettings(t, url)
			cfg, err := parseConfig("diundashboard serve", nil, func(k string) string { return c.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var shown bytes.Buffer
			a, err := newAuthenticator(context.Background(), cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), &shown)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error %v; want one saying %q", err, c.wantErr)
				}
			} else if err != nil || a.Mode() != c.mode {
				t.Errorf("got %v, %v; want mode %q", a, err, c.mode)
			}
			// No password is generated unless nothing at all was chosen.
			if shown.Len() != 0 {
				t.Errorf("showed %q", shown.String())
			}
			if _, err := st.Setting(context.Background(), generatedPasswordSetting); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a password was stored: %v", err)
			}

			// The same through the binary: the error ends the start with exit 1, on stderr.
			code, errOut := serveOnce(t, map[string]string{"DATABASE_URL": url, "AUTH_MODE": c.env["AUTH_MODE"],
				"AUTH_USERNAME": c.env["AUTH_USERNAME"], "AUTH_PASSWORD_HASH": c.env["AUTH_PASSWORD_HASH"], "AUTH_PROXY_HEADER": c.env["AUTH_PROXY_HEADER"],
				"TRUSTED_PROXIES": c.env["TRUSTED_PROXIES"], "COOKIE_SECURE": c.env["COOKIE_SECURE"]})
			// The text log quotes the message: read it unescaped.
			if c.wantErr != "" && (code != 1 || !strings.Contains(strings.ReplaceAll(errOut, `\"`, `"`), c.wantErr)) {
				t.Errorf("serve: exit %d; want 1 and %q on stderr:\n%s", code, c.wantErr, errOut)
			}
			if c.wantErr == "" && code != 0 {
				t.Errorf("serve: exit %d\n%s", code, errOut)
			}
			if passwordLine.MatchString(errOut) {
				t.Errorf("serve generated a password:\n%s", errOut)
			}
			if c.mode == auth.ModeNone && !strings.Contains(errOut, "sign-in is off") {
				t.Errorf("AUTH_MODE=none starts without its warning:\n%s", errOut)
			}
		})
	}
}
