package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"diundashboard/internal/proctest"
	"diundashboard/server/auth"
	"diundashboard/server/metrics"
	"diundashboard/server/store"
)

// The DNS rebinding checks: a page on evil.example whose name now resolves to the dashboard
// sends same-origin requests with "Host: evil.example:8080" and whatever ambient authority the
// browser has: nothing at all with AUTH_MODE=none, the session cookie, or (through the proxy)
// the proxy's user header. The dashboard must answer them 421, and keep answering requests that
// carry a token (Diun, Prometheus, API clients) whatever their Host.

const (
	rebindHost     = "evil.example:8080"
	hostPassword   = "a password for the host check tests"
	hostMetricsTok = "metrics-token-for-host-tests-0123"
)

var hostPasswordHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(hostPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// modeEnv is a server whose sign-in runs in one mode, with /metrics, over a real store.
type modeEnv struct {
	*testEnv
	mode auth.Mode
	// ambient is what a signed-in browser of this mode sends without any token: the session
	// cookie (builtin), the trusted proxy's user header (proxy), nothing (none).
	ambient []string
	// readToken is an API token of scope read.
	readToken string
	// logs is everything the server logged (testEnv.logs stays empty).
	logs *proctest.SyncBuffer
}

// newModeEnv builds the server; the proxy mode trusts 127.0.0.1, so X-Forwarded-For names the
// client and Remote-User the user.
func newModeEnv(t *testing.T, st store.Store, mode auth.Mode, opts Options) *modeEnv {
	t.Helper()
	logs := &proctest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := auth.Config{Mode: mode, Username: "admin", PasswordHash: hostPasswordHash, ProxyHeader: "Remote-User", CookieSecure: "false"}
	cfg.TrustedProxies, _ = auth.ParseTrustedProxies("127.0.0.1")
	a, err := auth.New(cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	opts.Auth, opts.Logger = a, log
	if opts.WebhookToken == "" {
		opts.WebhookToken = testToken
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New(st, metrics.Options{})
	}
	srv := New(st, opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Hub().Close()
		hs.CloseClientConnections()
		hs.Close()
	})
	tok, _, err := a.NewAPIToken(context.Background(), "reader", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	e := &modeEnv{testEnv: &testEnv{t: t, store: st, srv: srv, http: hs, logs: &bytes.Buffer{}}, mode: mode, logs: logs, readToken: tok}
	switch mode {
	case auth.ModeProxy:
		e.ambient = []string{"Remote-User", "alice"}
	case auth.ModeBuiltin:
		r := e.send(http.MethodPost, "/login", "", []byte(url.Values{"username": {"admin"}, "password": {hostPassword}}.Encode()),
			"Content-Type", "application/x-www-form-urlencoded")
		var cookie string
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Value != "" {
				cookie = c.Name + "=" + c.Value
			}
		}
		if r.Status != http.StatusSeeOther || cookie == "" {
			t.Fatalf("sign-in: %d, cookie %q: %s", r.Status, cookie, r.Body)
		}
		e.ambient = []string{"Cookie", cookie}
	}
	return e
}

// logText returns what the server has logged so far.
func (e *modeEnv) logText() string { return e.logs.String() }

// send makes one request naming host in Host ("" keeps the listener's 127.0.0.1:port),
// without following redirects.
func (e *modeEnv) send(method, path, host string, body []byte, header ...string) response {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.http.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s (Host %q): %v", method, path, host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s (Host %q): reading the body: %v", method, path, host, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (e *modeEnv) apiTokenCount() int {
	e.t.Helper()
	toks, err := e.store.ListAPITokens(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(toks)
}

var ambientModes = []auth.Mode{auth.ModeNone, auth.ModeBuiltin, auth.ModeProxy}

// TestHostCheckRefusesDNSRebinding: with a foreign Host, requests that ride on ambient
// authority are answered 421, in JSON for API and fetch clients and in plain text for a
// browser, naming ALLOWED_HOSTS; the same requests with the dashboard's own address work, so
// the credential was good and the Host is what was refused; no token gets minted.
func TestHostCheckRefusesDNSRebinding(t *testing.T) {
	for _, name := range storeNames() {
		for _, mode := range ambientModes {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				e := newModeEnv(t, storeFactories[name](t), mode, Options{})
				sameOrigin := []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://" + rebindHost}
				for _, c := range []struct {
					method, path, accept string
					body                 string
					json                 bool
				}{
					{method: http.MethodGet, path: "/api/v1/summary", json: true},
					{method: http.MethodGet, path: "/api/v1/images?state=all", json: true},
					{method: http.MethodGet, path: "/connect"},
					{method: http.MethodGet, path: "/"},
					{method: http.MethodGet, path: "/metrics"},
					{method: http.MethodGet, path: "/events"},
					{method: http.MethodPost, path: "/tokens", body: "name=stolen&scope=write", accept: "application/json", json: true},
					{method: http.MethodPost, path: "/tokens", body: "name=stolen&scope=write"},
				} {
					header := append(slices.Clone(e.ambient), sameOrigin...)
					header = append(header, "Content-Type", "application/x-www-form-urlencoded")
					if c.accept != "" {
						header = append(header, "Accept", c.accept)
					}
					r := e.send(c.method, c.path, rebindHost, []byte(c.body), header...)
					if r.Status != http.StatusMisdirectedRequest {
						t.Errorf("%s %s with Host %s: %d, want 421: %.300s", c.method, c.path, rebindHost, r.Status, r.Body)
						continue
					}
					var msg string
					if c.json {
						msg = r.errorMessage(t)
					} else {
						if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
							t.Errorf("%s %s: 421 as %q, want plain text for a browser", c.method, c.path, ct)
						}
						msg = string(r.Body)
					}
					for _, want := range []string{"ALLOWED_HOSTS", "BASE_URL", `"evil.example:8080"`} {
						if !strings.Contains(msg, want) {
							t.Errorf("%s %s: the 421 does not say %s: %s", c.method, c.path, want, msg)
						}
					}
				}
				if n := e.apiTokenCount(); n != 1 {
					t.Errorf("%d API tokens after the refused requests; want only the test's own", n)
				}
				if !strings.Contains(e.logText(), `host=evil.example:8080`) {
					t.Errorf("the refusal is not logged with the host name to allow:\n%s", e.logText())
				}
				// The same credential, at the dashboard's own address: let in.
				for _, path := range []string{"/api/v1/summary", "/connect", "/metrics"} {
					if r := e.send(http.MethodGet, path, "", nil, e.ambient...); r.Status != http.StatusOK {
						t.Errorf("GET %s at 127.0.0.1 with the %s credential: %d, want 200: %.200s", path, mode, r.Status, r.Body)
					}
				}
			})
		}
	}
}

// storeNames lists storeFactories in a stable order.
func storeNames() []string {
	var names []string
	for name := range storeFactories {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// TestHostCheckAllowsTheDashboardsOwnNames: localhost and its subdomains, IP literals (v4,
// bracketed v6, with or without port), the host of BASE_URL and ALLOWED_HOSTS (exact names
// and *.domain patterns, any case, any port) are let in; look-alikes are not.
func TestHostCheckAllowsTheDashboardsOwnNames(t *testing.T) {
	allowed, err := ParseAllowedHosts(" diun.lan, *.example.com ,,")
	if err != nil {
		t.Fatal(err)
	}
	e := newModeEnv(t, storeFactories["sqlite"](t), auth.ModeNone, Options{BaseURL: "https://Dash.Example.org/diun/", AllowedHosts: allowed})
	for _, host := range []string{
		"localhost", "localhost:8080", "LOCALHOST:8080", "localhost.:8080", "app.localhost:3000",
		"127.0.0.1", "127.0.0.1:8080", "192.168.1.20:8080", "[::1]", "[::1]:8080", "[2001:db8::7]:443",
		"dash.example.org", "DASH.example.org:443", "diun.lan:8080", "diun.lan.", "a.example.com", "b.c.example.com:8080",
	} {
		if r := e.send(http.MethodGet, "/api/v1/summary", host, nil); r.Status != http.StatusOK {
			t.Errorf("Host %q: %d, want 200: %.200s", host, r.Status, r.Body)
		}
	}
	for _, host := range []string{
		"evil.example", "example.com", "evilexample.com", "example.com.evil.net", "diun.lan.evil.net", "xdiun.lan",
		"dash.example.org.evil.net", "localhost.evil.net", "evil-localhost", "127.0.0.1.nip.io", "dashboard:8080",
	} {
		if r := e.send(http.MethodGet, "/api/v1/summary", host, nil); r.Status != http.StatusMisdirectedRequest {
			t.Errorf("Host %q: %d, want 421", host, r.Status)
		}
	}
}

// TestHostCheckLetsTokensThrough: what carries a token needs no Host check, since a rebinding
// page has none: Diun reaching http://diundashboard:8080/webhook in compose (token in the
// header or the URL), Prometheus with METRICS_TOKEN, an API client with its token, and the
// health checks keep working with no setting.
func TestHostCheckLetsTokensThrough(t *testing.T) {
	for _, name := range storeNames() {
		for _, mode := range ambientModes {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				e := newModeEnv(t, storeFactories[name](t), mode, Options{MetricsToken: hostMetricsTok})
				const host = "diundashboard:8080"
				body := `{"hostname":"nas","image":"docker.io/library/nginx:1","digest":"sha256:` + strings.Repeat("a", 64) + `","status":"new"}`
				if r := e.send(http.MethodPost, "/webhook", host, []byte(body), "Authorization", "Bearer "+testToken); r.Status != http.StatusOK {
					t.Errorf("webhook with the token in the header: %d: %s", r.Status, r.Body)
				}
				if r := e.send(http.MethodGet, "/webhook?token="+testToken, host, []byte(body)); r.Status != http.StatusOK {
					t.Errorf("webhook with ?token=: %d: %s", r.Status, r.Body)
				}
				// Without a token the webhook says so (401), not 421: it takes no ambient authority.
				if r := e.send(http.MethodPost, "/webhook", host, []byte(body), e.ambient...); r.Status != http.StatusUnauthorized {
					t.Errorf("webhook without a token: %d, want 401: %s", r.Status, r.Body)
				}
				if _, events := e.counts(); events != 2 {
					t.Errorf("%d events stored; want the 2 with the token", events)
				}
				if r := e.send(http.MethodGet, "/metrics", host, nil, "Authorization", "Bearer "+hostMetricsTok); r.Status != http.StatusOK {
					t.Errorf("/metrics with METRICS_TOKEN: %d: %.200s", r.Status, r.Body)
				}
				if r := e.send(http.MethodGet, "/api/v1/summary", host, nil, "Authorization", "Bearer "+e.readToken); r.Status != http.StatusOK {
					t.Errorf("API with a token: %d: %s", r.Status, r.Body)
				}
				for _, path := range []string{"/healthz", "/readyz"} {
					if r := e.send(http.MethodGet, path, host, nil); r.Status != http.StatusOK {
						t.Errorf("GET %s: %d: %s", path, r.Status, r.Body)
					}
				}
			})
		}
	}
}

// TestHostCheckMadeUpTokenGainsNothing: adding "Authorization: Bearer …" skips the host check,
// so it must never bring the ambient authority back. Every route, in every mode, with the
// ambient credential, a foreign Host and a made-up token in every form: nothing but the public
// routes answers 2xx, and nothing changes. With the proxy's user header, a bearer token that is
// not an API token (oauth2-proxy passes the user's id_token on) is the proxy's business, so
// Identify believes the header: the host check must apply then.
func TestHostCheckMadeUpTokenGainsNothing(t *testing.T) {
	public := map[string]bool{"GET /static/{file}": true, "GET /login": true, "GET /healthz": true, "GET /readyz": true}
	for _, name := range storeNames() {
		for _, mode := range ambientModes {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				e := newModeEnv(t, storeFactories[name](t), mode, Options{MetricsToken: hostMetricsTok})
				ids := e.seed(1, 1)
				before := hostSnapshot(e)
				form := "name=stolen&scope=write&ids=" + jsonNumber(ids[0]) + "&action=acknowledge"
				// Signing out last: it ends the session the other routes are tried with.
				routes := registeredRoutes(t)
				slices.SortStableFunc(routes, func(a, b string) int {
					return map[bool]int{true: 1}[a == "POST /logout"] - map[bool]int{true: 1}[b == "POST /logout"]
				})
				for _, pattern := range routes {
					method, path, _ := strings.Cut(pattern, " ")
					p := concretePath(path, ids[0], 1)
					for _, authz := range []string{"Bearer dd_made-up", "Bearer made-up", "Bearer ", "bearer dd_x", "BEARER  dd_x "} {
						header := append(slices.Clone(e.ambient), "Authorization", authz, "Sec-Fetch-Site", "same-origin",
							"Content-Type", "application/x-www-form-urlencoded")
						r := e.send(method, p, rebindHost, []byte(form), header...)
						if r.Status >= 200 && r.Status < 300 && !public[pattern] {
							t.Errorf("%s with %q and Host %s: %d: %.200s", pattern, authz, rebindHost, r.Status, r.Body)
						}
						oauth2Proxy := mode == auth.ModeProxy && !strings.Contains(authz, "dd_") && strings.TrimSpace(strings.TrimPrefix(authz, "Bearer")) != ""
						if oauth2Proxy && pattern != "POST /webhook" && pattern != "GET /webhook" && !public[pattern] && r.Status != http.StatusMisdirectedRequest {
							t.Errorf("%s with the proxy's header and a non-API bearer %q, Host %s: %d, want 421", pattern, authz, rebindHost, r.Status)
						}
					}
				}
				if after := hostSnapshot(e); after != before {
					t.Errorf("requests with made-up tokens changed the state:\nbefore: %s\nafter:  %s", before, after)
				}
			})
		}
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// hostSnapshot is what a request with a made-up token must leave as it was.
func hostSnapshot(e *modeEnv) string {
	e.t.Helper()
	ctx := context.Background()
	page, err := e.store.ListImages(ctx, store.ImageFilter{}, store.SortImage, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	for _, img := range page.Images {
		b.WriteString(img.Image + " " + string(img.State) + ";")
	}
	tags, err := e.store.ListTags(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	b.WriteString(" tags=" + jsonNumber(int64(len(tags))))
	b.WriteString(" tokens=" + jsonNumber(int64(e.apiTokenCount())))
	b.WriteString(" webhook=" + e.srv.token.Token())
	return b.String()
}

// TestHostCheckRefusesJunkPorts: found by a black-box test. "127.0.0.1:18471.evil.com" and
// "localhost:evil" were judged by the name before the colon alone; a port, when present, must
// be decimal digits up to 65535, or the Host names no address of ours.
func TestHostCheckRefusesJunkPorts(t *testing.T) {
	e := newModeEnv(t, storeFactories["sqlite"](t), auth.ModeNone, Options{BaseURL: "https://dash.example.org/"})
	for _, host := range []string{
		"127.0.0.1:18471.evil.com", "localhost:evil", "localhost:65536", "localhost:123456", "localhost:80a",
		"[::1]:x", "[::1]:8080.evil.com", "dash.example.org:443.evil.com", "localhost:-1", "localhost:+80",
	} {
		if r := e.send(http.MethodGet, "/api/v1/summary", host, nil); r.Status != http.StatusMisdirectedRequest {
			t.Errorf("Host %q: %d, want 421: %.200s", host, r.Status, r.Body)
		}
	}
	for _, host := range []string{"localhost:65535", "localhost:1", "127.0.0.1:08080", "[::1]:0", "dash.example.org:443"} {
		if r := e.send(http.MethodGet, "/api/v1/summary", host, nil); r.Status != http.StatusOK {
			t.Errorf("Host %q: %d, want 200: %.200s", host, r.Status, r.Body)
		}
	}
}
