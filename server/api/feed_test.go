package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"

	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

// storeFactories opens a fresh, migrated store per call; postgres_test.go adds PostgreSQL.
var storeFactories = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store { return storetest.Open(t, "sqlite:"+t.TempDir()+"/dd.db") },
}

func forEachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	names := make([]string, 0, len(storeFactories))
	for name := range storeFactories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { fn(t, storeFactories[name](t)) })
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// feedEnv is the whole server (middleware, host check, request log) over a real store.
type feedEnv struct {
	t                 *testing.T
	st                store.Store
	http              *httptest.Server
	logs              *lockedBuffer
	readTok, writeTok string
}

const webhookToken = "webhook-token-0123456789abcdef"

func newFeedEnv(t *testing.T, st store.Store, baseURL string) *feedEnv {
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := auth.TokensOnly(st, log)
	srv := server.New(st, server.Options{WebhookToken: webhookToken, Auth: a, Logger: log, BaseURL: baseURL, Version: "1.2.3"})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	ctx := context.Background()
	read, _, err := a.NewAPIToken(ctx, "feed reader", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	write, _, err := a.NewAPIToken(ctx, "automation", store.ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	return &feedEnv{t: t, st: st, http: hs, logs: logs, readTok: read, writeTok: write}
}

func (e *feedEnv) record(host, image, digest string, at time.Time) int64 {
	e.t.Helper()
	res, err := e.st.Record(context.Background(), store.Notification{DiunVersion: "4.29.0", Hostname: host, Status: "update",
		Provider: "docker", Image: image, HubLink: "https://hub.docker.com/_/nginx", Digest: digest, Platform: "linux/amd64", ReceivedAt: at})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.ImageID
}

// get requests path with the given headers ("Host" sets the Host).
func (e *feedEnv) get(path string, headers map[string]string) (int, http.Header, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.http.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func (e *feedEnv) bearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// parse reads body with gofeed, as a feed reader would.
func parse(t *testing.T, body string) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("not a feed: %v\n%s", err, body)
	}
	if f.FeedType != "atom" || f.FeedVersion != "1.0" {
		t.Fatalf("feed type %s %s, want atom 1.0", f.FeedType, f.FeedVersion)
	}
	return f
}

func TestFeed(t *testing.T) { forEachStore(t, testFeed) }

func testFeed(t *testing.T, st store.Store) {
	e := newFeedEnv(t, st, "https://dash.example.org")
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	nginx := e.record("h1", "docker.io/library/nginx:1.29-alpine", "sha256:216e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a", t0)
	evilImage := `ghcr.io/x/<script>alert("x")</script>&amp;:latest`
	evil := e.record(`h2<b>`, evilImage, "sha256:1111111111112222222222223333333333334444444444445555555555556666", t0.Add(time.Hour))
	acked := e.record("h1", "docker.io/library/redis:7", "sha256:9999999999998888888888887777777777776666666666665555555555554444", t0.Add(2*time.Hour))
	if _, err := st.SetStates(context.Background(), []int64{acked}, store.Transition{State: store.StateAcknowledged}, "admin"); err != nil {
		t.Fatal(err)
	}

	status, hdr, body := e.get("/api/v1/feed.atom", e.bearer(e.readTok))
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s\n%s", status, hdr.Get("Content-Type"), body)
	}
	// The feed names hosts and images and may be fetched with ?token=: no cache (a proxy's,
	// the reader's disk) may keep it (found by an outside review: it was private, no-cache).
	if cc := hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	f := parse(t, body)
	if len(f.Items) != 2 {
		t.Fatalf("open updates: %d entries, want 2:\n%s", len(f.Items), body)
	}
	// Newest activity first; untrusted text comes back exactly as sent, and never as markup.
	if !strings.Contains(f.Items[0].Title, evilImage) || !strings.Contains(f.Items[0].Title, "h2<b>") {
		t.Errorf("first entry title %q", f.Items[0].Title)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "<b>") {
		t.Errorf("untrusted text is not escaped:\n%s", body)
	}
	for i, id := range []int64{evil, nginx} {
		it := f.Items[i]
		if it.Link != "https://dash.example.org/images/"+itoa(id) || !strings.HasPrefix(it.GUID, "tag:dash.example.org,2026:image/") || it.UpdatedParsed == nil {
			t.Errorf("entry %d: link %q, id %q, updated %v", i, it.Link, it.GUID, it.UpdatedParsed)
		}
	}
	if f.Items[1].GUID != "tag:dash.example.org,2026:image/h1/docker.io%2Flibrary%2Fnginx:1.29-alpine@sha256:216e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a" {
		t.Errorf("entry id %q", f.Items[1].GUID)
	}
	if f.Items[1].UpdatedParsed == nil || !f.Items[1].UpdatedParsed.Equal(t0) {
		t.Errorf("nginx updated %v, want %v", f.Items[1].UpdatedParsed, t0)
	}
	raw, err := (&atom.Parser{}).Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if raw.ID == "" || raw.Title != "DiunDashboard: Open updates" || raw.Updated == "" || len(raw.Authors) != 1 {
		t.Errorf("feed head: id %q title %q updated %q authors %v", raw.ID, raw.Title, raw.Updated, raw.Authors)
	}
	links := map[string]string{}
	for _, l := range raw.Links {
		links[l.Rel] = l.Href
	}
	if links["self"] != "https://dash.example.org/api/v1/feed.atom" || links["alternate"] != "https://dash.example.org/" {
		t.Errorf("feed links %v", links)
	}

	// Filters as in the API; ids stay the same from one fetch to the next.
	_, _, body = e.get("/api/v1/feed.atom?state=all&host=h1", e.bearer(e.readTok))
	all := parse(t, body)
	if len(all.Items) != 2 || !strings.Contains(all.Items[0].Title, "redis:7") || !strings.Contains(all.Items[0].Title, "(acknowledged)") {
		t.Errorf("state=all&host=h1: %d entries, first %q", len(all.Items), firstTitle(all))
	}
	if all.Items[1].GUID != f.Items[1].GUID {
		t.Errorf("the same image and digest has two ids: %q and %q", all.Items[1].GUID, f.Items[1].GUID)
	}
	if all.Title != "DiunDashboard: Updates on h1" || !strings.Contains(body, `href="https://dash.example.org/api/v1/feed.atom?host=h1&amp;state=all"`) {
		t.Errorf("filtered feed title %q or self link:\n%s", all.Title, body)
	}
	if status, _, _ := e.get("/api/v1/feed.atom?state=maybe", e.bearer(e.readTok)); status != http.StatusBadRequest {
		t.Errorf("a bad filter: %d", status)
	}

	// Feed readers send no headers: a read token in ?token=, on this route only.
	status, _, body = e.get("/api/v1/feed.atom?token="+e.readTok, nil)
	if status != http.StatusOK || len(parse(t, body).Items) != 2 {
		t.Errorf("?token= with a read token: %d\n%s", status, body)
	}
	if strings.Contains(body, e.readTok) {
		t.Error("the feed shows its token (self link?)")
	}
	// It is judged alone, so the Host check lets it through like a bearer token.
	if status, _, body := e.get("/api/v1/feed.atom?token="+e.readTok, map[string]string{"Host": "reader-name.example"}); status != http.StatusOK {
		t.Errorf("?token= by another host name: %d %s", status, body)
	}
	for _, tc := range []struct {
		path   string
		hdr    map[string]string
		status int
		says   string
	}{
		{"/api/v1/feed.atom?token=" + e.writeTok, nil, http.StatusForbidden, "scope read"},
		{"/api/v1/feed.atom?token=" + webhookToken, nil, http.StatusUnauthorized, "not API tokens"},
		{"/api/v1/feed.atom?token=dd_not-a-token", nil, http.StatusUnauthorized, "unknown or revoked"},
		{"/api/v1/feed.atom?token=" + e.readTok, e.bearer(e.readTok), http.StatusBadRequest, "one way only"},
		{"/api/v1/feed.atom", nil, http.StatusUnauthorized, "API token"},
		{"/api/v1/images?token=" + e.readTok, nil, http.StatusUnauthorized, "API token"},
		{"/api/v1/summary?token=" + e.readTok, nil, http.StatusUnauthorized, "API token"},
	} {
		status, _, body := e.get(tc.path, tc.hdr)
		if status != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s; want %d saying %q", strings.SplitN(tc.path, "?", 2)[0], status, body, tc.status, tc.says)
		}
		if strings.Contains(body, e.writeTok) || strings.Contains(body, webhookToken) || strings.Contains(body, e.readTok) {
			t.Errorf("%s: the answer repeats the token: %s", tc.path, body)
		}
	}
	// The request log prints paths without their query: no token in it.
	logs := e.logs.String()
	if !strings.Contains(logs, "/api/v1/feed.atom") {
		t.Errorf("the feed requests are not in the log:\n%s", logs)
	}
	for _, tok := range []string{e.readTok, e.writeTok, webhookToken} {
		if strings.Contains(logs, tok) {
			t.Errorf("the log shows a token:\n%s", logs)
		}
	}
}

// Without BASE_URL, links and ids use the host the reader asked for.
func TestFeedWithoutBaseURL(t *testing.T) {
	st := storeFactories["sqlite"](t)
	e := newFeedEnv(t, st, "")
	id := e.record("h1", "nginx:1", "sha256:216e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a", time.Now())
	_, _, body := e.get("/api/v1/feed.atom?token="+e.readTok, map[string]string{"Host": "nas.lan:8080"})
	f := parse(t, body)
	if len(f.Items) != 1 || f.Items[0].Link != "http://nas.lan:8080/images/"+itoa(id) || !strings.HasPrefix(f.Items[0].GUID, "tag:nas.lan,2026:") {
		t.Errorf("entries %+v", f.Items)
	}
	// An empty feed is still a valid one.
	_, _, body = e.get("/api/v1/feed.atom?host=nobody", e.bearer(e.readTok))
	if f := parse(t, body); len(f.Items) != 0 || f.UpdatedParsed == nil {
		t.Errorf("empty feed: %+v", f)
	}
}

func firstTitle(f *gofeed.Feed) string {
	if len(f.Items) == 0 {
		return ""
	}
	return f.Items[0].Title
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// An entry says when the image's newest event was read from Diun over gRPC (reconcile,
// backfill) rather than sent by its webhook (an outside tester could not tell from the feed).
func TestFeedSaysRecovered(t *testing.T) { forEachStore(t, testFeedSaysRecovered) }

func testFeedSaysRecovered(t *testing.T, st store.Store) {
	e := newFeedEnv(t, st, "https://dash.example.org")
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	ctx := context.Background()
	record := func(host, image string, dig int, at time.Time, src store.Source) {
		t.Helper()
		if _, err := st.Record(ctx, store.Notification{Hostname: host, Status: "update", Image: image,
			Digest: "sha256:" + strings.Repeat(strconv.Itoa(dig), 64), ReceivedAt: at, Source: src}); err != nil {
			t.Fatal(err)
		}
	}
	const evil = `ghcr.io/x/<i>y</i>:1`
	record("h1", "docker.io/library/nginx:1", 1, t0, store.SourceWebhook)
	record(`h<b>2`, evil, 2, t0.Add(time.Minute), store.SourceReconcile)
	record("h1", "docker.io/library/redis:7", 3, t0.Add(2*time.Minute), store.SourceBackfill)
	// Recovered, then its webhook arrived late: the newest event is the webhook's.
	record("h1", "docker.io/library/caddy:2", 4, t0.Add(3*time.Minute), store.SourceReconcile)
	record("h1", "docker.io/library/caddy:2", 4, t0.Add(4*time.Minute), store.SourceWebhook)

	_, _, body := e.get("/api/v1/feed.atom?state=all", e.bearer(e.readTok))
	f := parse(t, body)
	summaries := map[string]string{}
	categories := map[string][]string{}
	for _, it := range f.Items {
		for _, name := range []string{"nginx", "<i>y</i>", "redis", "caddy"} {
			if strings.Contains(it.Title, name) {
				summaries[name] = it.Description
				categories[name] = it.Categories
			}
		}
	}
	if len(summaries) != 4 {
		t.Fatalf("entries %v:\n%s", summaries, body)
	}
	const recovered, known = "Recovered from Diun over gRPC", "Read from Diun over gRPC"
	for name, want := range map[string]string{"<i>y</i>": recovered, "redis": known} {
		if !strings.Contains(summaries[name], want) {
			t.Errorf("%s: %q does not say %q", name, summaries[name], want)
		}
	}
	for _, name := range []string{"nginx", "caddy"} {
		if s := summaries[name]; strings.Contains(s, recovered) || strings.Contains(s, known) {
			t.Errorf("%s came last by webhook, yet: %q", name, s)
		}
	}
	if !strings.Contains(body, `term="source:reconcile"`) {
		t.Errorf("no source category:\n%s", body)
	}
	// gofeed gives a category's label.
	if !slicesContains(categories["<i>y</i>"], "recovered from Diun") || !slicesContains(categories["redis"], "known to Diun") || len(categories["nginx"]) != 2 {
		t.Errorf("categories %v", categories)
	}
	// The untrusted host and image next to it are escaped as everywhere in the feed.
	if strings.Contains(body, "<i>") || strings.Contains(body, "<b>") || !strings.Contains(summaries["<i>y</i>"], "h<b>2") {
		t.Errorf("untrusted text is not escaped:\n%s", body)
	}
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
