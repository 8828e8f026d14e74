package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// notifyCreated sends a notification whose image was built at created (Diun's "created").
func (e *env) notifyCreated(host, image, digest, created string) {
	e.t.Helper()
	body := `{"diun_version":"v4.33.0","hostname":"` + host + `","status":"new","provider":"docker","image":"` + image +
		`","digest":"` + digest + `","created":"` + created + `","platform":"linux/amd64"}`
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+webhookToken)
	if res, out := e.do(req); res.StatusCode != http.StatusOK {
		e.t.Fatalf("webhook: %d %s", res.StatusCode, out)
	}
}

// idOf is the id of the image ref on host.
func idOf(t *testing.T, e *env, host, ref string) string {
	t.Helper()
	return fmt.Sprint(imageID(t, e, host, ref))
}

// Issue 11, bug 10: a placeholder build date (1970-01-01, 0001-01-01) is no age.
func TestPlaceholderBuildDate(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notifyCreated("h", "docker.io/acme/epoch:1", digestN(1), "1970-01-01T00:00:00Z")
	e.notifyCreated("h", "docker.io/acme/zero:1", digestN(2), "0001-01-01T00:00:00Z")
	e.notifyCreated("h", "docker.io/acme/real:1", digestN(3), "2025-06-01T00:00:00Z")
	_, body := e.get("/", nil)
	if n := strings.Count(body, "build date not set"); n != 2 {
		t.Errorf("the overview says %d times that the build date is not set, want 2", n)
	}
	if strings.Contains(body, "years ago") {
		t.Error("a placeholder build date is shown as an age in years")
	}
	if n := strings.Count(body, "age-old"); n != 1 {
		t.Errorf("%d ages are coloured old, want 1 (the real one)", n)
	}
	_, body = e.get("/images/"+idOf(t, e, "h", "docker.io/acme/epoch:1"), nil)
	if !strings.Contains(body, "build date not set") || strings.Contains(body, "1970") {
		t.Error("the image page shows a placeholder build date as a date")
	}
}

// Issue 11, bug 11: the chart's range and the filters keep each other.
func TestChartRangeAndFiltersKeepEachOther(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	_, body := e.get("/?host=nas&q=app&state=all", nil)
	link := hrefOf(t, body, ">show 90 days<")
	u, _ := url.Parse(link)
	for k, want := range map[string]string{"host": "nas", "q": "app", "state": "all", "days": "90"} {
		if got := u.Query().Get(k); got != want {
			t.Errorf("the chart's 90-day link %q has %s=%q, want %q", link, k, got, want)
		}
	}
	_, body = e.get("/?days=90&host=nas", nil)
	if !strings.Contains(body, `<input type="hidden" name="days" value="90">`) {
		t.Error("the filter form drops the chart's range")
	}
	if link := hrefOf(t, body, ">show 30 days<"); strings.Contains(link, "days") || !strings.Contains(link, "host=nas") {
		t.Errorf("the chart's 30-day link is %q, want the view without days", link)
	}
	if link := hrefOf(t, body, ">Clear filters<"); link != "/?days=90" {
		t.Errorf("Clear links to %q, want the overview with the range kept", link)
	}
	if link := hrefOf(t, body, `<strong>0</strong> <span class="long">acknowledged`); !strings.Contains(link, "days=90") || !strings.Contains(link, "host=nas") || !strings.Contains(link, "state=acknowledged") {
		t.Errorf("the acknowledged count links to %q, want the view in that state", link)
	}
}

// hrefOf is the href of the link whose markup contains marker, unescaped.
func hrefOf(t *testing.T, body, marker string) string {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no %q in the page", marker)
	}
	a := strings.LastIndex(body[:i], `href="`)
	if a < 0 {
		t.Fatalf("no link before %q", marker)
	}
	rest := body[a+len(`href="`):]
	return html.UnescapeString(rest[:strings.IndexByte(rest, '"')])
}

// Issue 11, bug 12: a filter on a host that has no images any more still names it.
func TestFilterOnAVanishedHost(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	e.notify("", "docker.io/acme/nohost:1", digestN(2), "")
	_, body := e.get("/?host=old-server", nil)
	if !strings.Contains(body, `<option value="old-server" selected>old-server (no images now)</option>`) {
		t.Error("the host filter does not name the host it filters on")
	}
	if strings.Contains(body, `<option value="" selected>`) {
		t.Error("the host filter claims all hosts")
	}
	// The images without a hostname have no name to filter on: no empty option beside "all hosts".
	if strings.Contains(body, "<option></option>") {
		t.Error("the host filter offers an empty host, which would mean all hosts")
	}
}

// Issue 11, bug 13: references pinned by digest keep it.
func TestDigestPinnedReferences(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	pin := "sha256:" + strings.Repeat("ab", 32)
	e.notify("h", "docker.io/acme/pinned@"+pin, digestN(1), "")
	e.notify("h", "ghcr.io/acme/both:2.0@"+pin, digestN(2), "")
	e.notify("h", "registry.lan:5000/acme/port", digestN(3), "")
	_, body := e.get("/", nil)
	for _, want := range []string{
		`acme/pinned</span><span class="tag">@sha256:abababababab</span>`,
		`ghcr.io/acme/both</span><span class="tag">:2.0@sha256:abababababab</span>`,
		`registry.lan:5000/acme/port</span><span class="tag">:latest</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %s", want)
		}
	}
	if strings.Contains(body, "pinned</span><span class=\"tag\">:sha256") {
		t.Error("name@sha256:… is shown as name:sha256:…")
	}
	_, body = e.get("/images/"+idOf(t, e, "h", "ghcr.io/acme/both:2.0@"+pin), nil)
	if !strings.Contains(body, "<title>ghcr.io/acme/both:2.0@sha256:abababababab · h · DiunDashboard</title>") {
		t.Error("the image page's title drops the digest")
	}
}

// Issue 11, bug 14: messages say what happened, in order, in a person's words.
func TestActionWording(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	for i := range 3 {
		e.notify("nas", fmt.Sprintf("docker.io/acme/app%d:1", i), digestN(i+1), "")
	}
	app0 := idOf(t, e, "nas", "docker.io/acme/app0:1")
	a := postJSON(t, e, "/images/"+app0+"/snooze", url.Values{"for": {"7d"}})
	if !strings.HasPrefix(a.Message, "Snoozed acme/app0:1 on nas until ") || !strings.HasSuffix(a.Message, " UTC.") {
		t.Errorf("snooze says %q, want the image, then until when", a.Message)
	}
	a = postJSON(t, e, "/images/"+app0+"/snooze", url.Values{"for": {"7d"}})
	a = postJSON(t, e, "/images/"+app0+"/reopen", nil)
	a = postJSON(t, e, "/images/"+app0+"/reopen", nil)
	if a.Message != "Nothing changed: acme/app0:1 on nas is open already." || a.Undo != nil {
		t.Errorf("reopening an open image says %q (undo %v), want that nothing changed", a.Message, a.Undo != nil)
	}
	_, body := e.get("/?state=snoozed", nil)
	if strings.Contains(body, "until in ") {
		t.Error(`a row says "snoozed until in …"`)
	}
	// Snooze errors speak of what was picked, not of API parameters.
	for _, form := range []url.Values{{"until_local": {"yesterday"}}, {"until": {"2001-01-01T00:00:00Z"}}, {}} {
		res, body := e.postBody("/images/"+app0+"/snooze", form, jsonAccept)
		var out struct{ Error string }
		_ = json.Unmarshal([]byte(body), &out)
		if res.StatusCode != http.StatusUnprocessableEntity || out.Error == "" || strings.Contains(out.Error, "RFC 3339") || strings.Contains(out.Error, `"until"`) {
			t.Errorf("snooze %v: %d %q, want a message about the date picked", form, res.StatusCode, out.Error)
		}
	}
	res, body := e.postBody("/images/"+app0+"/tag", url.Values{"new_tag": {"\x01"}}, jsonAccept)
	if res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(strings.ToLower(body), "invalid:") {
		t.Errorf("a bad tag name: %d %s, want the reason without the store's category", res.StatusCode, body)
	}
	// Pages that refuse an address say so in words, not in the API's.
	for _, path := range []string{"/images/abc", "/images/" + app0 + "?cursor=bogus", "/?cursor=bogus"} {
		_, body := e.get(path, nil)
		for _, api := range []string{"image id", "is not a valid id", "cursor", "invalid"} {
			if strings.Contains(body, api) {
				t.Errorf("GET %s says %q", path, api)
			}
		}
	}
	// The confirmation of a plain form names what it deletes, and how many.
	_, body = e.postBody("/images/"+app0+"/delete", nil, nil)
	if !strings.Contains(body, "<h1>Delete acme/app0:1 on nas?</h1>") {
		t.Error("the delete confirmation does not name the image")
	}
	ids := []string{app0, idOf(t, e, "nas", "docker.io/acme/app1:1"), idOf(t, e, "nas", "docker.io/acme/app2:1")}
	a = postJSON(t, e, "/bulk", url.Values{"action": {"delete"}, "id": ids, "confirm": {"yes"}})
	if a.Message != "Deleted 3 images and their history." {
		t.Errorf("bulk delete says %q", a.Message)
	}
}

// Issue 11, bug 9: deleting an image from its own page tells where to go with the outcome.
func TestDeleteFromTheImagePageCarriesTheNotice(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	id := idOf(t, e, "nas", "docker.io/acme/app:1")
	var out struct{ Message, Location string }
	res, body := e.postBody("/images/"+id+"/delete", url.Values{"confirm": {"yes"}}, map[string]string{"Accept": "application/json", "Referer": e.ts.URL + "/images/" + id})
	if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d %s", res.StatusCode, body)
	}
	if !strings.HasPrefix(out.Location, "/?notice=") {
		t.Fatalf("location %q: want the overview with the notice", out.Location)
	}
	_, page := e.get(out.Location, nil)
	if !strings.Contains(page, "Deleted acme/app:1 on nas and its history.") {
		t.Error("the overview after the deletion does not say what was deleted")
	}
}

// Issue 11, bug 2: a host's buttons fit the state viewed, and ask before reaching rows the
// page does not show.
func TestHostActionsFitTheView(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		for i := range 5 {
			e.notify("nas", fmt.Sprintf("docker.io/acme/app%d:1", i), digestN(i+1), "")
		}
		postJSON(t, e, "/images/"+idOf(t, e, "nas", "docker.io/acme/app0:1")+"/acknowledge", nil)
		postJSON(t, e, "/images/"+idOf(t, e, "nas", "docker.io/acme/app1:1")+"/ignore", nil)

		_, body := e.get("/?state=acknowledged", nil)
		if strings.Contains(body, ">Acknowledge all") || !strings.Contains(body, `value="reopen">Reopen all <span class="n">(1)</span>`) {
			t.Error("the acknowledged view offers to acknowledge them, or no Reopen all")
		}
		_, body = e.get("/?state=all", nil)
		if !strings.Contains(body, `action="/bulk?host=nas&amp;state=open"`) || !strings.Contains(body, "Acknowledge all open <span class=\"n\">(3)</span>") {
			t.Error("in the view of every state, a host's buttons must act on its open images, and say so")
		}
		_, body = e.get("/?state=ignored", nil)
		if strings.Contains(body, ">Ignore all") || !strings.Contains(body, ">Reopen all") {
			t.Error("the ignored view offers to ignore them")
		}

		// Two of the three open images on this page: the third is on the next one.
		_, body = e.get("/?limit=2", nil)
		if !strings.Contains(body, `name="shown" value="2"`) || !strings.Contains(body, "1 more on other pages") {
			t.Fatal("the page does not say that the host's buttons reach rows of other pages")
		}
		res, out := e.postBody("/bulk?host=nas&state=open", url.Values{"action": {"acknowledge"}, "shown": {"2"}}, jsonAccept)
		var ask struct {
			Confirm string
			Count   int
		}
		_ = json.Unmarshal([]byte(out), &ask)
		if res.StatusCode != http.StatusOK || ask.Count != 3 || ask.Confirm != "Acknowledge all 3 open images on nas? 1 of them is not on this page." {
			t.Fatalf("a host action past the page: %d %s, want a question with the count", res.StatusCode, out)
		}
		if open, _ := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "nas", State: store.StateOpen}, store.SortHost, store.PageRequest{}); len(open.Images) != 3 {
			t.Fatalf("asking changed images: %d open, want 3", len(open.Images))
		}
		// Without a script: a page that asks, then the same post confirmed.
		res, out = e.postBody("/bulk?host=nas&state=open", url.Values{"action": {"snooze-7d"}, "shown": {"2"}}, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(out, "<h1>Snooze all 3 open images on nas until ") || !strings.Contains(out, `name="shown" value="2"`) {
			t.Fatalf("plain host action past the page: %d, want a confirmation page", res.StatusCode)
		}
		a := postJSON(t, e, "/bulk?host=nas&state=open", url.Values{"action": {"acknowledge"}, "shown": {"2"}, "confirm": {"yes"}})
		if a.Message != "Acknowledged 3 images on nas." {
			t.Errorf("confirmed: %q", a.Message)
		}
		a = postJSON(t, e, "/bulk?host=nas&state=open", url.Values{"action": {"acknowledge"}, "shown": {"0"}})
		if !strings.HasPrefix(a.Message, "Nothing changed") {
			t.Errorf("acting on an empty view says %q, want that nothing changed", a.Message)
		}
	})
}

// makeToken posts the token form as a browser does, follows its redirect and returns the page
// that shows the new token.
func (e *env) makeToken(form url.Values) string {
	e.t.Helper()
	res := e.post("/tokens", form, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect#tok-h" {
		e.t.Fatalf("POST /tokens: %d → %q, want 303 to /connect", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := e.get("/connect", nil)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /connect after making a token: %d", res.StatusCode)
	}
	return body
}

// newEnvWithBaseURL is newEnv with BASE_URL set.
func newEnvWithBaseURL(t *testing.T, baseURL string) *env {
	t.Helper()
	dbURL := databases["sqlite"](t)
	if err := store.Migrate(t.Context(), dbURL); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(auth.Config{Mode: auth.ModeBuiltin, Username: testUser, PasswordHash: testHash}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, server.Options{WebhookToken: webhookToken, Auth: a, Version: "test", Logger: quietLog, BaseURL: baseURL})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Hub().Close(); ts.CloseClientConnections(); ts.Close() })
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{t: t, st: st, srv: srv, ts: ts, client: client}
}

// snippet is the full text (the token unmasked) of the <pre id=id> of a page, unescaped.
func snippet(t *testing.T, body, id string) string {
	t.Helper()
	return snippetPart(t, body, id, "full")
}

// snippetPart is the text of the <code class=part> in the <pre id=id> of a page, unescaped.
func snippetPart(t *testing.T, body, id, part string) string {
	t.Helper()
	i := strings.Index(body, `<pre class="snippet" id="`+id+`">`)
	if i < 0 {
		t.Fatalf("no snippet %s", id)
	}
	pre := body[i:]
	pre = pre[:strings.Index(pre, "</pre>")]
	j := strings.Index(pre, `<code class="`+part+`"`)
	if j < 0 {
		t.Fatalf("the snippet %s has no %s text", id, part)
	}
	rest := pre[j:]
	rest = rest[strings.IndexByte(rest, '>')+1:]
	return html.UnescapeString(rest[:strings.Index(rest, "</code>")])
}

var envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Issue 11, bug 6: the Connect page gives the URLs Diun can use and settings that work
// pasted as they are.
func TestConnectURLsAndSnippets(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	port := e.ts.URL[strings.LastIndexByte(e.ts.URL, ':')+1:]
	compose := "http://dashboard:" + port + "/webhook"

	// The browser on 127.0.0.1: that address means nothing to Diun elsewhere.
	_, body := e.get("/connect", nil)
	if !strings.Contains(body, `<code id="url-compose">`+compose+`</code>`) {
		t.Errorf("the compose URL %s is not shown", compose)
	}
	if !strings.Contains(body, `id="loopback-warning"`) || strings.Contains(body, `<code id="url-other">http://127.0.0.1`) {
		t.Error("a loopback address is offered to Diun elsewhere, or not warned about")
	}
	bearer := "Bearer " + webhookToken
	if got := snippet(t, body, "snippet-compose"); got != "    environment:\n"+
		"      DIUN_NOTIF_WEBHOOK_ENDPOINT: "+compose+"\n"+
		"      DIUN_NOTIF_WEBHOOK_METHOD: POST\n"+
		"      DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION: "+bearer+"\n"+
		"      DIUN_NOTIF_WEBHOOK_TIMEOUT: 10s" {
		t.Errorf("compose snippet:\n%s", got)
	}
	envFile := snippet(t, body, "snippet-env")
	for line := range strings.SplitSeq(envFile, "\n") {
		name, value, _ := strings.Cut(line, "=")
		if !envName.MatchString(name) {
			t.Errorf("the env file has the variable name %q, which shells and env files refuse", name)
		}
		if strings.ContainsAny(value, `"'`) {
			t.Errorf("the env file's %s has quotes, which Diun would send: %q", name, value)
		}
	}
	if !strings.Contains(envFile, "\nDIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION="+bearer+"\n") {
		t.Errorf("env file:\n%s", envFile)
	}
	if y := snippet(t, body, "snippet-yml"); !strings.Contains(y, "    endpoint: "+compose+"\n") || !strings.Contains(y, "      authorization: "+bearer+"\n") {
		t.Errorf("diun.yml:\n%s", y)
	}
	// The docker run options, as a shell reads them.
	run := snippet(t, body, "snippet-run")
	out, err := exec.Command("sh", "-c", "printf '%s\\n' "+run+"\n").Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	if want := "-e\nDIUN_NOTIF_WEBHOOK_ENDPOINT=" + compose + "\n-e\nDIUN_NOTIF_WEBHOOK_METHOD=POST\n-e\nDIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION=" + bearer + "\n-e\nDIUN_NOTIF_WEBHOOK_TIMEOUT=10s\n"; string(out) != want {
		t.Errorf("the docker run options give the arguments\n%s\nwant\n%s", out, want)
	}

	// The browser on a LAN address: that is the URL for Diun elsewhere. (A session belongs to
	// the address it was made on: sign in there.)
	onLAN := func(method, path string, form url.Values) string {
		req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(form.Encode()))
		req.Host = "192.168.1.20:" + port
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		_, body := e.do(req)
		return body
	}
	onLAN(http.MethodPost, "/login", url.Values{"username": {testUser}, "password": {testPassword}})
	body = onLAN(http.MethodGet, "/connect?diun=other", nil)
	lan := "http://192.168.1.20:" + port + "/webhook"
	if !strings.Contains(body, `<code id="url-other">`+lan+`</code>`) || strings.Contains(body, `id="loopback-warning"`) {
		t.Errorf("the LAN URL %s is not offered, or a warning shown", lan)
	}
	if env := snippet(t, body, "snippet-env"); !strings.HasPrefix(env, "DIUN_NOTIF_WEBHOOK_ENDPOINT="+lan+"\n") {
		t.Errorf("the snippets for Diun elsewhere use:\n%s", env)
	}

	// BASE_URL wins over the browser's address.
	b := newEnvWithBaseURL(t, "https://diun.example.com/")
	b.login()
	_, body = b.get("/connect?diun=other", nil)
	if !strings.Contains(body, `<code id="url-other">https://diun.example.com/webhook</code>`) || !strings.Contains(body, "from BASE_URL") {
		t.Error("BASE_URL is not the URL for Diun elsewhere")
	}
	if y := snippet(t, body, "snippet-yml"); !strings.Contains(y, "endpoint: https://diun.example.com/webhook\n") {
		t.Errorf("diun.yml with BASE_URL:\n%s", y)
	}
	if strings.Contains(body, `id="loopback-warning"`) {
		t.Error("a loopback warning with BASE_URL set")
	}
}

// Issue 11, bug 6: a refused webhook request shows on the Connect page, with why.
func TestConnectShowsTheLastRefusedRequest(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	if _, body := e.get("/connect", nil); strings.Contains(body, `id="refused"`) {
		t.Fatal("a refused request is shown before any")
	}
	// What a compose list with quotes sends.
	const sent = "wrong-token-that-must-not-be-shown"
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(`{}`))
	req.Header.Set("Authorization", `"Bearer `+sent+`"`)
	req.Header.Set("User-Agent", "diun/v4.33.0")
	if res, _ := e.do(req); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("webhook with a quoted header: %d", res.StatusCode)
	}
	_, body := e.get("/connect", nil)
	for _, want := range []string{`id="refused"`, "from <code>127.0.0.1</code>", "diun/v4.33.0", "answered <strong>401</strong>", "missing or wrong webhook token", "came with quotes around it"} {
		if !strings.Contains(body, html.EscapeString(want)) && !strings.Contains(body, want) {
			t.Errorf("the refused request lacks %q", want)
		}
	}
	if strings.Contains(body, sent) {
		t.Error("the page shows the token that was sent")
	}
	// Once a notification arrives, the page says that the refusal is history.
	e.notify("h", "docker.io/acme/app:1", digestN(1), "")
	if _, body = e.get("/connect", nil); !strings.Contains(body, "A notification arrived after it") {
		t.Error("the page does not say that Diun got through since")
	}
	// No token at all.
	req, _ = http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(`{}`))
	e.do(req)
	if _, body = e.get("/connect", nil); !strings.Contains(body, "No token was sent") {
		t.Error("a request without a token is not explained")
	}
}

// Issue 11, bug 8: making a token answers with a redirect (a reload makes no other), and the
// token is shown once, never in a URL.
func TestNewTokenPostRedirectGet(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeProxy)
	alice := map[string]string{"Remote-User": "alice"}
	res, body := e.postBody("/tokens", url.Values{"name": {"widget"}}, alice)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /tokens: %d, want 303 (a reload of the answer would make another token)", res.StatusCode)
	}
	toks, _ := e.st.ListAPITokens(t.Context())
	if len(toks) != 1 {
		t.Fatalf("%d tokens", len(toks))
	}
	if loc := res.Header.Get("Location"); strings.Contains(loc, toks[0].Prefix) || strings.Contains(body, toks[0].Prefix) {
		t.Errorf("the token travels in the redirect: %q", loc)
	}
	// Someone else with the cookie sees nothing of it.
	u, _ := url.Parse(e.ts.URL + "/connect")
	bob := newClientless(e)
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/connect", nil)
	req.Header.Set("Remote-User", "bob")
	for _, c := range e.client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	if _, body = bob.do(req); strings.Contains(body, `id="new-token"`) {
		t.Error("another user sees the new token")
	}
	_, body = e.get("/connect", alice)
	i := strings.Index(body, `<code id="new-token">`)
	if i < 0 {
		t.Fatal("the page after the redirect does not show the token")
	}
	tok := body[i+len(`<code id="new-token">`):]
	tok = tok[:strings.IndexByte(tok, '<')]
	if auth.Hash(tok) != toks[0].TokenHash {
		t.Error("the token shown is not the one stored")
	}
	// A reload shows it no more, and makes nothing.
	_, body = e.get("/connect", alice)
	if strings.Contains(body, tok) || strings.Contains(body, `id="new-token-missed"`) {
		t.Error("a reload shows the token again, or a warning")
	}
	if toks, _ := e.st.ListAPITokens(t.Context()); len(toks) != 1 {
		t.Errorf("%d tokens after a reload, want 1", len(toks))
	}
	// A cookie for a token this server does not hold (another replica's): the page says so.
	req, _ = http.NewRequest(http.MethodGet, e.ts.URL+"/connect", nil)
	req.Header.Set("Remote-User", "alice")
	req.AddCookie(&http.Cookie{Name: "dd_new_token", Value: "0123456789abcdef0123456789abcdef"})
	if _, body = e.do(req); !strings.Contains(body, `id="new-token-missed"`) {
		t.Error("a token that cannot be shown any more is not explained")
	}
}
