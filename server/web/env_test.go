package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// databases maps a dialect to a function giving a fresh, empty database URL. SQLite always
// runs; postgres_test.go adds PostgreSQL under -tags postgres.
var databases = map[string]func(t testing.TB) string{
	"sqlite": func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "dd.db") },
}

// eachStore runs fn once per database.
func eachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for name, newURL := range databases {
		t.Run(name, func(t *testing.T) { fn(t, newEnv(t, newURL(t), auth.ModeBuiltin)) })
	}
}

const (
	testUser     = "admin"
	testPassword = "correct horse battery"
	webhookToken = "test-webhook-token"
)

// testHash is made once: bcrypt at its lowest cost keeps the tests fast.
var testHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// env is a whole server (API, webhook and UI) over a real store, served by httptest.
type env struct {
	t      testing.TB
	st     store.Store
	srv    *server.Server
	ts     *httptest.Server
	client *http.Client
}

func newEnv(t testing.TB, databaseURL string, mode auth.Mode) *env {
	t.Helper()
	return newEnvWith(t, databaseURL, modeConfig(mode))
}

// newEnvWith is newEnv with a sign-in configuration of the test's own.
func newEnvWith(t testing.TB, databaseURL string, cfg auth.Config) *env {
	t.Helper()
	return newEnvLogging(t, databaseURL, cfg, quietLog)
}

// modeConfig is the sign-in configuration newEnv uses for mode.
func modeConfig(mode auth.Mode) auth.Config {
	cfg := auth.Config{Mode: mode, Username: testUser, PasswordHash: testHash, ProxyHeader: "Remote-User"}
	if mode == auth.ModeProxy {
		cfg.TrustedProxies, _ = auth.ParseTrustedProxies("127.0.0.1/32")
	}
	return cfg
}

// newEnvLogging is newEnvWith with the server's log going to log.
func newEnvLogging(t testing.TB, databaseURL string, cfg auth.Config, log *slog.Logger) *env {
	t.Helper()
	return newEnvOptions(t, databaseURL, cfg, log, nil)
}

// newEnvOptions is newEnvLogging with server options of the test's own (set, when not nil,
// changes them before the server is made).
func newEnvOptions(t testing.TB, databaseURL string, cfg auth.Config, log *slog.Logger, set func(*server.Options)) *env {
	t.Helper()
	ctx := context.Background()
	if err := store.Migrate(ctx, databaseURL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	st, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{WebhookToken: webhookToken, Auth: a, Version: "test", Logger: log}
	if set != nil {
		set(&opts)
	}
	srv := server.New(st, opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		// Open event streams would hold Close up forever.
		srv.Hub().Close()
		ts.CloseClientConnections()
		ts.Close()
	})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{t: t, st: st, srv: srv, ts: ts, client: client}
}

// login signs the env's client in with the built-in user.
func (e *env) login() {
	e.t.Helper()
	res := e.post("/login", url.Values{"username": {testUser}, "password": {testPassword}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("POST /login: %d, want 303", res.StatusCode)
	}
}

func (e *env) do(req *http.Request) (*http.Response, string) {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (e *env) get(path string, header map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

func (e *env) post(path string, form url.Values, header map[string]string) *http.Response {
	e.t.Helper()
	res, _ := e.postBody(path, form, header)
	return res
}

func (e *env) postBody(path string, form url.Values, header map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

// notify sends a webhook body the way Diun does, and returns the image id.
func (e *env) notify(host, image, digest string, metadata string) {
	e.t.Helper()
	e.notifyFrom("docker", host, image, digest, metadata)
}

// notifyFrom is notify from one of Diun's providers.
func (e *env) notifyFrom(provider, host, image, digest string, metadata string) {
	e.t.Helper()
	if metadata == "" {
		metadata = "null"
	}
	body := `{"diun_version":"v4.33.0","hostname":"` + host + `","status":"update","provider":"` + provider + `","image":"` + image +
		`","hub_link":"https://hub.docker.com/r/acme/app","mime_type":"application/vnd.oci.image.index.v1+json","digest":"` + digest +
		`","created":"2026-06-27T13:20:19Z","platform":"linux/amd64","metadata":` + metadata + `}`
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+webhookToken)
	res, out := e.do(req)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("webhook: %d %s", res.StatusCode, out)
	}
}

func digestN(n int) string {
	const hex = "0123456789abcdef"
	b := []byte(strings.Repeat("0", 64))
	for i := 63; n > 0 && i >= 0; i-- {
		b[i] = hex[n%16]
		n /= 16
	}
	return "sha256:" + string(b)
}

// quietLog keeps request logs out of test output.
var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

var jsonAccept = map[string]string{"Accept": "application/json"}
