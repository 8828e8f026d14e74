package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

// Security checks as tests: every state-changing route refuses unauthenticated and
// cross-origin requests; tokens are compared in constant time and never logged; stored API
// tokens and session ids are hashed; error bodies leak no SQL or secrets (see also
// TestHostileInputCorpus, which checks every error body of its corpus for leakMarkers).

// registeredRoutes finds every route pattern registered in the server's packages by reading
// their source: each call of Handle or HandleFunc. A pattern that is not a string literal fails
// the test, so that no route can be registered where this check does not see it.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	var patterns []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "store") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: a route whose pattern is not a string literal: the security checks cannot see it", fset.Position(call.Pos()))
				return true
			}
			p, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			patterns = append(patterns, p)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"POST /webhook", "GET /webhook", "DELETE /api/v1/images/{id}", "POST /api/v1/tags", "POST /login"} {
		if !slices.Contains(patterns, want) {
			t.Fatalf("route enumeration missed %q (found %v)", want, patterns)
		}
	}
	return patterns
}

// stateChanging reports whether a route changes state: every method but GET and HEAD, a
// pattern without a method, and the webhook, which Diun calls with GET by default.
func stateChanging(pattern string) bool {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return true
	}
	return (method != http.MethodGet && method != http.MethodHead) || path == "/webhook"
}

// concretePath fills a pattern's wildcards with plausible values.
func concretePath(path string, imageID, tagID int64) string {
	r := strings.NewReplacer("{id}", fmt.Sprint(imageID), "{tag_id}", fmt.Sprint(tagID), "{hostname}", "vm",
		"{action}", "acknowledge", "{file}", "app.js", "{$}", "", "{path...}", "x")
	return r.Replace(path)
}

// securityEnv is a server with built-in sign-in over a SQLite file whose raw rows the test reads.
type securityEnv struct {
	*testEnv
	path     string
	password string
	apiToken string
}

func newSecurityEnv(t *testing.T) *securityEnv {
	path := filepath.Join(t.TempDir(), "dd.db")
	st := storetest.Open(t, "sqlite:"+path)
	password := "correct horse battery staple 1"
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := auth.New(auth.Config{Mode: auth.ModeBuiltin, Username: "admin", PasswordHash: hash, CookieSecure: "false"}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(st, Options{WebhookToken: testToken, Logger: log, Auth: a})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	env := &testEnv{t: t, store: st, srv: srv, http: hs, logs: logs}
	tok, _, err := a.NewAPIToken(context.Background(), "security-test", store.ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	return &securityEnv{testEnv: env, path: path, password: password, apiToken: tok}
}

// request sends a request without following redirects, so that a redirect to /login is seen.
func (e *securityEnv) request(method, path string, body []byte, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := *e.http.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// snapshot is everything a refused request must leave as it was.
func (e *securityEnv) snapshot() string {
	e.t.Helper()
	ctx := context.Background()
	images, events := e.counts()
	page, err := e.store.ListImages(ctx, store.ImageFilter{}, store.SortImage, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "images=%d events=%d webhook=%s\n", images, events, e.srv.token.Token())
	for _, img := range page.Images {
		fmt.Fprintf(&b, "%d %s %s %v\n", img.ID, img.State, img.Digest, img.Tags)
	}
	tags, err := e.store.ListTags(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(&b, "tags=%v\n", tags)
	toks, err := e.store.ListAPITokens(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(&b, "api tokens=%d\n", len(toks))
	return b.String()
}

func TestEveryStateChangingRouteRefusesUnauthenticatedAndCrossOrigin(t *testing.T) {
	env := newSecurityEnv(t)
	ids := env.seed(1, 2)
	tag, err := env.store.CreateTag(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.store.TagImages(context.Background(), ids[1:2], tag.ID); err != nil {
		t.Fatal(err)
	}
	before := env.snapshot()
	checked := 0
	for _, pattern := range registeredRoutes(t) {
		if !stateChanging(pattern) {
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		p := concretePath(path, ids[0], tag.ID)
		// The pattern must be what the real mux routes this request to.
		req := httptest.NewRequest(method, p, nil)
		if _, got := env.srv.mux.Handler(req); got != pattern {
			t.Errorf("%s: the request %s %s is routed to %q", pattern, method, p, got)
			continue
		}
		form := "name=x&ids=" + fmt.Sprint(ids[0]) + "&action=delete&username=admin&password=" + url.QueryEscape(env.password)
		formHeader := []string{"Content-Type", "application/x-www-form-urlencoded"}

		// Unauthenticated: no token, no session (a plain form post and a fetch call).
		for _, extra := range [][]string{nil, {"Accept", "application/json"}} {
			body := form
			if pattern == "POST /login" {
				body = "username=admin&password=wrong"
			}
			r := env.request(method, p, []byte(body), append(slices.Clone(formHeader), extra...)...)
			switch {
			case r.Status == http.StatusUnauthorized:
			case r.Status == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/login"):
			default:
				t.Errorf("%s without credentials: status %d (Location %q), want 401 or a redirect to /login: %.200s", pattern, r.Status, r.Header.Get("Location"), r.Body)
			}
		}
		// Cross-origin, with valid credentials: a browser sending it for another site.
		if method != http.MethodGet {
			for _, h := range [][]string{
				{"Sec-Fetch-Site", "cross-site"},
				{"Origin", "https://evil.example"},
				{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.evil.example"},
			} {
				hdr := append(append(slices.Clone(formHeader), "Authorization", "Bearer "+env.apiToken), h...)
				if pattern == "POST /webhook" {
					hdr[3] = "Bearer " + testToken
				}
				r := env.request(method, p, []byte(form), hdr...)
				if r.Status != http.StatusForbidden {
					t.Errorf("%s cross-origin (%v): status %d, want 403: %.200s", pattern, h, r.Status, r.Body)
				}
			}
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d state-changing routes checked", checked)
	}
	if after := env.snapshot(); after != before {
		t.Errorf("refused requests changed the state:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	t.Logf("%d state-changing routes refuse unauthenticated and cross-origin requests", checked)
}

func TestTokensAreNeverLogged(t *testing.T) {
	env := newSecurityEnv(t)
	good := `{"hostname":"vm","image":"docker.io/library/nginx:1.29","digest":"sha256:0123abcd00000000000000000000000000000000000000000000000000000000","status":"new"}`
	wrong := "wrong-token-that-must-not-be-logged-42"
	// Right and wrong tokens in the header and the query, on the webhook, the API and the UI.
	env.wantStatus(env.request(http.MethodGet, "/webhook?token="+testToken, []byte(good)), http.StatusOK)
	env.wantStatus(env.request(http.MethodPost, "/webhook", []byte(good), "Authorization", "Bearer "+testToken), http.StatusOK)
	env.wantStatus(env.request(http.MethodPost, "/webhook?token="+wrong, []byte(good)), http.StatusUnauthorized)
	env.wantStatus(env.request(http.MethodPost, "/webhook", []byte(good), "Authorization", "Bearer "+wrong), http.StatusUnauthorized)
	env.wantStatus(env.request(http.MethodPost, "/webhook?token="+testToken, []byte(`{"image":`)), http.StatusBadRequest)
	env.wantStatus(env.request(http.MethodGet, "/api/v1/images?token="+env.apiToken, nil, "Authorization", "Bearer "+env.apiToken), http.StatusOK)
	env.wantStatus(env.request(http.MethodGet, "/api/v1/images", nil, "Authorization", "Bearer "+wrong), http.StatusUnauthorized)
	env.wantStatus(env.request(http.MethodGet, "/api/v1/images/x?token="+testToken, nil, "Authorization", "Bearer "+env.apiToken), http.StatusBadRequest)
	env.request(http.MethodPost, "/login", []byte("username=admin&password="+url.QueryEscape(wrong)), "Content-Type", "application/x-www-form-urlencoded")
	env.request(http.MethodPost, "/login", []byte("username=admin&password="+url.QueryEscape(env.password)), "Content-Type", "application/x-www-form-urlencoded")
	logs := env.logs.String()
	if !strings.Contains(logs, "/webhook") {
		t.Fatalf("nothing was logged: the check would prove nothing:\n%s", logs)
	}
	for name, secret := range map[string]string{"webhook token": testToken, "API token": env.apiToken, "wrong token": wrong, "password": env.password, "API token body": env.apiToken[3:]} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the log:\n%s", name, logs)
		}
	}
}

// TestSecretsAreStoredHashed reads the raw rows: API tokens and session ids are kept as their
// SHA-256 only, and the password appears nowhere. (The webhook token is kept as it is, in
// settings, by design: the Connect page shows it and every replica must present the same one.)
func TestSecretsAreStoredHashed(t *testing.T) {
	env := newSecurityEnv(t)
	r := env.request(http.MethodPost, "/login", []byte("username=admin&password="+url.QueryEscape(env.password)), "Content-Type", "application/x-www-form-urlencoded")
	var session string
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if strings.Contains(c.Name, "session") {
			session = c.Value
		}
	}
	if r.Status != http.StatusSeeOther || session == "" {
		t.Fatalf("sign-in: status %d, no session cookie: %v", r.Status, r.Header)
	}
	db, err := sql.Open("sqlite", "file:"+env.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dump := dumpTables(t, db)
	hashOf := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	for name, secret := range map[string]string{"API token": env.apiToken, "API token body": env.apiToken[8:], "session id": session, "password": env.password} {
		if strings.Contains(dump, secret) {
			t.Errorf("the %s is stored in clear", name)
		}
	}
	for name, h := range map[string]string{"API token": hashOf(env.apiToken), "session id": hashOf(session)} {
		if !strings.Contains(dump, h) {
			t.Errorf("the SHA-256 of the %s is not stored: is it stored some other way?", name)
		}
	}
}

// dumpTables returns every row of every table as text.
func dumpTables(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s: %v\n", table, vals)
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					fmt.Fprintf(&b, "%s\n", bs)
				}
			}
		}
		rows.Close()
	}
	return b.String()
}

// TestErrorsLeakNoSQLWhenTheDatabaseFails closes the database under the server: every route
// then fails, and no answer may show SQL, a driver's message or a secret.
func TestErrorsLeakNoSQLWhenTheDatabaseFails(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(1, 1)
		tok, _, err := env.srv.auth.NewAPIToken(context.Background(), "leak-test", store.ScopeWrite)
		if err != nil {
			t.Fatal(err)
		}
		_ = env.store.Close()
		good := `{"hostname":"vm","image":"docker.io/library/nginx:1.29","digest":"sha256:4567000000000000000000000000000000000000000000000000000000000000","status":"update"}`
		requests := []struct{ method, path, body string }{
			{"POST", "/webhook?token=" + testToken, good},
			{"GET", "/readyz", ""},
		}
		for _, p := range registeredRoutes(t) {
			method, path, _ := strings.Cut(p, " ")
			if strings.HasPrefix(path, "/api/") {
				requests = append(requests, struct{ method, path, body string }{method, concretePath(path, ids[0], 1), `{"name":"x","for":"1d"}`})
			}
		}
		for _, rq := range requests {
			r := env.request(rq.method, rq.path, []byte(rq.body), "Authorization", "Bearer "+tok)
			if r.Status < 400 {
				continue
			}
			body := string(r.Body)
			for _, m := range append(leakMarkers, testToken, tok, "closed") {
				if strings.Contains(body, m) {
					t.Errorf("%s %s (status %d) leaks %q: %s", rq.method, rq.path, r.Status, m, body)
				}
			}
			if r.Status >= 500 && r.Status != http.StatusServiceUnavailable {
				t.Errorf("%s %s: status %d, want 503 when the database fails", rq.method, rq.path, r.Status)
			}
		}
	})
}
