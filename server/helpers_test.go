package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"

	"diundashboard/server/api"
	"diundashboard/server/httpx"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

// storeFactories opens a fresh, migrated, empty store per call; postgres_test.go adds
// PostgreSQL under the postgres build tag.
var storeFactories = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		return storetest.Open(t, "sqlite:"+t.TempDir()+"/dd.db")
	},
}

// forEachStore runs fn once per Store implementation, each on a fresh database.
func forEachStore(t *testing.T, fn func(t *testing.T, env *testEnv)) {
	names := make([]string, 0, len(storeFactories))
	for name := range storeFactories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			fn(t, newTestEnv(t, storeFactories[name](t)))
		})
	}
}

const testToken = "test-token-0123456789"

// testEnv is a server over a real store behind a real HTTP listener.
type testEnv struct {
	t     *testing.T
	store store.Store
	srv   *Server
	http  *httptest.Server
	logs  *bytes.Buffer
	// apiToken is an API token the tests use to read and write through the API.
	apiToken string
}

func newTestEnv(t *testing.T, st store.Store) *testEnv {
	logs := &bytes.Buffer{}
	srv := New(st, Options{WebhookToken: testToken, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	tok, _, err := srv.auth.NewAPIToken(context.Background(), "tests", store.ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, store: st, srv: srv, http: hs, logs: logs, apiToken: tok}
}

// response is a finished request: its status, headers and body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
}

// errorMessage returns the "error" of a JSON error body, failing when there is none.
func (r response) errorMessage(t *testing.T) string {
	t.Helper()
	var e httpx.ErrorBody
	r.json(t, &e)
	if e.Error == "" {
		t.Fatalf("no error message in %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("error Content-Type %q", ct)
	}
	return e.Error
}

func (e *testEnv) do(req *http.Request) response {
	e.t.Helper()
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func (e *testEnv) request(method, path string, body []byte, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

// authorize is how a test client proves it may use the API: an API token.
func (e *testEnv) authorize() []string { return []string{"Authorization", "Bearer " + e.apiToken} }

// post sends a webhook body the way Diun does by default: GET, no Content-Type.
func (e *testEnv) webhook(body string) response {
	e.t.Helper()
	return e.request(http.MethodGet, "/webhook?token="+testToken, []byte(body))
}

func (e *testEnv) api(method, path string, body any) response {
	e.t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.request(method, path, b, e.authorize()...)
}

func (e *testEnv) wantStatus(r response, status int) {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// listImages returns GET /api/v1/images?query.
func (e *testEnv) listImages(query string) (images []api.Image, next string) {
	e.t.Helper()
	r := e.api(http.MethodGet, "/api/v1/images?"+query, nil)
	e.wantStatus(r, http.StatusOK)
	var page struct {
		Images     []api.Image `json:"images"`
		NextCursor string      `json:"next_cursor"`
	}
	r.json(e.t, &page)
	return page.Images, page.NextCursor
}

// counts returns how many images and events the store holds, to prove a refused request
// stored nothing.
func (e *testEnv) counts() (images, events int) {
	e.t.Helper()
	ctx := context.Background()
	page, err := e.store.ListImages(ctx, store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, img := range page.Images {
		evs, err := e.store.ListEvents(ctx, img.ID, store.PageRequest{Limit: store.MaxPageSize})
		if err != nil {
			e.t.Fatal(err)
		}
		events += len(evs.Events)
	}
	checks, err := e.store.ListChecks(ctx, store.MaxPageSize)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(page.Images), events + len(checks)
}
