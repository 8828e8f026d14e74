package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

func TestPagesNeedSignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for _, path := range []string{"/", "/images/1", "/connect"} {
			res, _ := e.get(path, nil)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
				t.Errorf("GET %s signed out: %d → %q, want a redirect to /login", path, res.StatusCode, res.Header.Get("Location"))
			}
		}
		res := e.post("/images/1/acknowledge", nil, jsonAccept)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("fetch action signed out: %d, want 401", res.StatusCode)
		}
		res, _ = e.get("/events", nil)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /events signed out: %d, want 401", res.StatusCode)
		}
		res, _ = e.get("/api/v1/images", nil)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/images signed out: %d, want 401", res.StatusCode)
		}
		// The webhook token is Diun's: it does not open the API.
		res, _ = e.get("/api/v1/images", map[string]string{"Authorization": "Bearer " + webhookToken})
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/images with the webhook token: %d, want 401", res.StatusCode)
		}
		res, body := e.get("/login", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
			t.Errorf("GET /login: %d", res.StatusCode)
		}
		res, _ = e.get("/static/app.css", nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /static/app.css: %d", res.StatusCode)
		}
	})
}

func TestLogin(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		res, body := e.postBody("/login", url.Values{"username": {testUser}, "password": {"wrong"}, "next": {"/connect"}}, nil)
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password") {
			t.Errorf("wrong password: %d", res.StatusCode)
		}
		res = e.post("/login", url.Values{"username": {testUser}, "password": {testPassword}, "next": {"/connect"}}, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connect" {
			t.Fatalf("sign in: %d → %q", res.StatusCode, res.Header.Get("Location"))
		}
		var cookie *http.Cookie
		for _, c := range res.Cookies() {
			cookie = c
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", cookie)
		}
		// The store keeps only the hash of the cookie's id.
		if _, err := e.st.GetSession(t.Context(), cookie.Value); err == nil {
			t.Error("the session id is stored in the clear")
		}
		if _, err := e.st.GetSession(t.Context(), auth.Hash(cookie.Value)); err != nil {
			t.Errorf("GetSession(hash of the cookie): %v", err)
		}
		if res, _ := e.get("/", nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET / signed in: %d", res.StatusCode)
		}
		// An open redirect is refused.
		res = e.post("/login", url.Values{"username": {testUser}, "password": {testPassword}, "next": {"//evil.example/"}}, nil)
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("next=//evil.example/ redirected to %q, want /", loc)
		}
		// Sign out ends the session in the store too.
		u, _ := url.Parse(e.ts.URL)
		cookie = e.client.Jar.Cookies(u)[0]
		e.post("/logout", nil, nil)
		if _, err := e.st.GetSession(t.Context(), auth.Hash(cookie.Value)); err == nil {
			t.Error("the session survived sign-out")
		}
		if res, _ := e.get("/", nil); res.StatusCode != http.StatusSeeOther {
			t.Errorf("GET / after sign-out: %d, want 303", res.StatusCode)
		}
	})
}

func TestLoginRateLimited(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	limited := false
	for i := range 20 {
		res := e.post("/login", url.Values{"username": {testUser}, "password": {fmt.Sprint("guess", i)}}, nil)
		if res.StatusCode == http.StatusTooManyRequests {
			limited = res.Header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Error("20 wrong passwords in a row were never refused with 429 and Retry-After")
	}
}

func TestOverview(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("alpha", "docker.io/library/nginx:1.29", digestN(1), `{"ctn_names":"web-1"}`)
		e.notify("alpha", "ghcr.io/acme/app:2.0", digestN(2), `{"pod_name":"app-7f","pod_namespace":"prod"}`)
		e.notify("beta", "docker.io/library/redis:7", digestN(3), `{"svc_id":"abcdef1234567890","ctn_name":"cache"}`)
		e.notify("beta", "docker.io/acme/job:1", digestN(4), `{"job_name":"batch","task_name":"worker"}`)
		res, body := e.get("/", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /: %d", res.StatusCode)
		}
		for _, want := range []string{
			`data-host="alpha"`, `data-host="beta"`, "nginx", ":1.29", "container web-1", "pod prod/app-7f",
			"service cache", "job batch, task worker", `<time datetime=`, "https://hub.docker.com/r/acme/app",
			`<svg viewBox`, "4 notifications in the last 30 days", "2 open",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("overview lacks %q", want)
			}
		}
		// Filters, search and sort come from the URL.
		_, body = e.get("/?host=beta&q=redis&sort=image", nil)
		if !strings.Contains(body, "redis") || strings.Contains(body, "nginx<") || strings.Contains(body, "/acme/job") {
			t.Errorf("host=beta&q=redis shows other images")
		}
		_, body = e.get("/?state=acknowledged", nil)
		if !strings.Contains(body, "No image in this state") {
			t.Error("state=acknowledged should be empty")
		}
		res, _ = e.get("/?state=bogus", nil)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("state=bogus: %d, want 400", res.StatusCode)
		}
		// Paging: limit=1 gives a next link that continues.
		_, body = e.get("/?limit=1", nil)
		if !strings.Contains(body, `rel="next"`) {
			t.Error("limit=1 has no next page link")
		}
		// app.js refreshes the main element only.
		_, frag := e.get("/", map[string]string{"X-Fragment": "main"})
		if strings.Contains(frag, "<html") || !strings.Contains(frag, `data-host="alpha"`) {
			t.Error("X-Fragment: main should give the main element only")
		}
		_, body = e.get("/?days=90", nil)
		if !strings.Contains(body, "in the last 90 days") {
			t.Error("days=90 did not switch the chart")
		}
	})
}

func TestSecurityHeadersAndGzip(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	for i := range 30 {
		e.notify("h", fmt.Sprintf("docker.io/acme/app%d:1", i), digestN(i+1), "")
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/", nil)
	req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport then leaves the body compressed
	res, err := http.DefaultTransport.RoundTrip(withCookies(e, req))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", res.Header.Get("Content-Encoding"))
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Error("CSP allows inline code")
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" {
		t.Error("X-Content-Type-Options or Referrer-Policy missing")
	}
}

func withCookies(e *env, req *http.Request) *http.Request {
	for _, c := range e.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	return req
}

func TestNoInlineScriptOrStyle(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("h", "docker.io/acme/app:1", digestN(1), `{"ctn_names":"x"}`)
	for _, path := range []string{"/", "/images/1", "/connect", "/login"} {
		_, body := e.get(path, nil)
		for _, bad := range []string{"<script>", "style=", "onclick=", "onerror=", "<style"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q: the CSP would block it", path, bad)
			}
		}
	}
}

func TestUntrustedTextIsEscaped(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify(`evil<b>host`, `docker.io/acme/<img src=x onerror=alert(1)>:1`, digestN(1), `{"ctn_names":"<script>alert(2)</script>","note":"</code><script>alert(3)</script>"}`)
		for _, path := range []string{"/", "/images/1"} {
			_, body := e.get(path, nil)
			for _, bad := range []string{"<img src=x", "<script>alert", "<b>host"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s renders %q unescaped", path, bad)
				}
			}
			if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
				t.Errorf("%s does not show the image name as text", path)
			}
		}
	})
}

// A right-to-left override in an actor's name (a token made before names were checked, a
// proxy's user) reversed the rest of its line in the audit trail: the name is isolated.
func TestActorNamesAreIsolatedFromTheirLine(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("vm", "docker.io/acme/app:1", digestN(1), `{}`)
		actor := "token:ci\u202e (snooze ended)"
		if _, err := e.st.SetStates(context.Background(), []int64{1}, store.Transition{State: store.StateAcknowledged}, actor); err != nil {
			t.Fatal(err)
		}
		_, body := e.get("/images/1", nil)
		if !strings.Contains(body, "<bdi>"+actor+"</bdi>") {
			t.Errorf("the audit trail does not isolate the actor %q in <bdi>: %s", actor, body)
		}
	})
}

type actionJSON struct {
	Message string `json:"message"`
	Undo    *struct {
		Action string      `json:"action"`
		Fields [][2]string `json:"fields"`
	} `json:"undo"`
	Error string `json:"error"`
}

func postJSON(t *testing.T, e *env, path string, form url.Values) actionJSON {
	t.Helper()
	res, body := e.postBody(path, form, jsonAccept)
	var out actionJSON
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("POST %s: %d %q is not JSON", path, res.StatusCode, body)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, out.Error)
	}
	return out
}

// undoWith posts an action's undo form.
func undoWith(t *testing.T, e *env, a actionJSON) {
	t.Helper()
	if a.Undo == nil {
		t.Fatalf("%q offers no undo", a.Message)
	}
	form := url.Values{}
	for _, f := range a.Undo.Fields {
		form.Add(f[0], f[1])
	}
	postJSON(t, e, a.Undo.Action, form)
}

func stateOf(t *testing.T, e *env, id int64) store.Image {
	t.Helper()
	img, err := e.st.GetImage(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestImageActionsAndUndo(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("h", "docker.io/acme/app:1", digestN(1), "")
		const id = 1
		for _, tc := range []struct {
			action string
			form   url.Values
			want   store.State
		}{
			{"acknowledge", nil, store.StateAcknowledged},
			{"ignore", nil, store.StateIgnored},
			{"snooze", url.Values{"for": {"7d"}}, store.StateSnoozed},
			{"snooze", url.Values{"until_local": {time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")}}, store.StateSnoozed},
			{"reopen", nil, store.StateOpen},
		} {
			before := stateOf(t, e, id)
			a := postJSON(t, e, fmt.Sprintf("/images/%d/%s", id, tc.action), tc.form)
			if got := stateOf(t, e, id); got.State != tc.want {
				t.Errorf("%s: state %s, want %s", tc.action, got.State, tc.want)
			}
			undoWith(t, e, a)
			if got := stateOf(t, e, id); got.State != before.State {
				t.Errorf("undo %s: state %s, want %s back", tc.action, got.State, before.State)
			}
			postJSON(t, e, fmt.Sprintf("/images/%d/%s", id, tc.action), tc.form)
		}
		// Tags: a new tag by name, then undo detaches it.
		a := postJSON(t, e, "/images/1/tag", url.Values{"new_tag": {"prod"}})
		if img := stateOf(t, e, id); len(img.Tags) != 1 || img.Tags[0].Name != "prod" {
			t.Errorf("tags after tagging: %+v", img.Tags)
		}
		undoWith(t, e, a)
		if img := stateOf(t, e, id); len(img.Tags) != 0 {
			t.Errorf("tags after undo: %+v", img.Tags)
		}
		// The image page shows timeline, metadata and tags.
		res, body := e.get("/images/1", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Timeline") || !strings.Contains(body, "sha256:000000000000") {
			t.Errorf("GET /images/1: %d", res.StatusCode)
		}
		if res, _ := e.get("/images/999", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /images/999: %d, want 404", res.StatusCode)
		}
		// Delete without confirmation asks (plain form), then deletes.
		res, body = e.postBody("/images/1/delete", nil, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "cannot be undone") {
			t.Errorf("delete without confirm: %d, want the confirmation page", res.StatusCode)
		}
		stateOf(t, e, id)
		res = e.post("/images/1/delete", url.Values{"confirm": {"yes"}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("confirmed delete: %d, want 303", res.StatusCode)
		}
		if _, err := e.st.GetImage(t.Context(), id); err == nil {
			t.Error("the image survived a confirmed delete")
		}
		res, _ = e.postBody("/images/1/frobnicate", nil, jsonAccept)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown action: %d, want 404", res.StatusCode)
		}
	})
}

func TestPlainFormFallback(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("h", "docker.io/acme/app:1", digestN(1), "")
	res := e.post("/images/1/acknowledge", nil, map[string]string{"Referer": e.ts.URL + "/?host=h"})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/?host=h") || !strings.Contains(loc, "notice=") {
		t.Errorf("plain post: %d → %q, want a redirect back to /?host=h with a notice", res.StatusCode, loc)
	}
	_, body := e.get(loc, nil)
	if !strings.Contains(body, "Acknowledged") {
		t.Error("the page does not show the notice of a plain form post")
	}
}

func TestBulkActions(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		for i := range 3 {
			e.notify("a", fmt.Sprintf("docker.io/acme/a%d:1", i), digestN(i+1), "")
			e.notify("b", fmt.Sprintf("docker.io/acme/b%d:1", i), digestN(i+10), "")
		}
		// Selection: images 1 and 2.
		a := postJSON(t, e, "/bulk", url.Values{"action": {"acknowledge"}, "id": {"1", "2"}})
		if !strings.Contains(a.Message, "2 images") {
			t.Errorf("message %q", a.Message)
		}
		if stateOf(t, e, 1).State != store.StateAcknowledged || stateOf(t, e, 2).State != store.StateAcknowledged || stateOf(t, e, 3).State != store.StateOpen {
			t.Error("bulk acknowledge moved the wrong images")
		}
		undoWith(t, e, a)
		if stateOf(t, e, 1).State != store.StateOpen || stateOf(t, e, 2).State != store.StateOpen {
			t.Error("bulk undo did not reopen")
		}
		// A whole host, in the state viewed.
		a = postJSON(t, e, "/bulk?host=b&state=open", url.Values{"action": {"snooze"}, "for": {"7d"}, "shown": {"3"}})
		page, err := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "b", State: store.StateSnoozed}, store.SortHost, store.PageRequest{})
		if err != nil || len(page.Images) != 3 {
			t.Errorf("host b snoozed: %d images (%v), want 3", len(page.Images), err)
		}
		undoWith(t, e, a)
		page, _ = e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "b", State: store.StateOpen}, store.SortHost, store.PageRequest{})
		if len(page.Images) != 3 {
			t.Errorf("host b open after undo: %d, want 3", len(page.Images))
		}
		// Tagging a selection with a new tag.
		postJSON(t, e, "/bulk", url.Values{"action": {"tag"}, "new_tag": {"web"}, "id": {"1", "3"}})
		tags, _ := e.st.ListTags(t.Context())
		if len(tags) != 1 || tags[0].Images != 2 {
			t.Errorf("tags after bulk tag: %+v", tags)
		}
		// Bulk delete needs confirm=yes.
		postJSON(t, e, "/bulk", url.Values{"action": {"delete"}, "id": {"1", "2"}, "confirm": {"yes"}})
		if _, err := e.st.GetImage(t.Context(), 1); err == nil {
			t.Error("bulk delete left image 1")
		}
		a = postJSON(t, e, "/bulk", url.Values{"action": {"acknowledge"}})
		if !strings.Contains(a.Message, "Nothing selected") {
			t.Errorf("empty selection: %q", a.Message)
		}
	})
}

func TestConnectPage(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		_, body := e.get("/connect", nil)
		for _, want := range []string{"http://dashboard:" + e.ts.URL[strings.LastIndexByte(e.ts.URL, ':')+1:] + "/webhook", webhookToken, "DIUN_NOTIF_WEBHOOK_ENDPOINT", "No test notification yet"} {
			if !strings.Contains(body, want) {
				t.Errorf("connect page lacks %q", want)
			}
		}
		e.notify("vm", store.TestImage, digestN(99), "")
		_, body = e.get("/connect", nil)
		if !strings.Contains(body, "A test notification arrived") {
			t.Error("connect page does not show the test notification")
		}
		// Rotation: the old token stops working for the webhook, the new one works.
		res := e.post("/connect/rotate", nil, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("rotate: %d", res.StatusCode)
		}
		tok, err := e.st.Setting(t.Context(), "webhook_token")
		if err != nil || tok == webhookToken {
			t.Fatalf("stored token after rotation: %q, %v", tok, err)
		}
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook?token="+url.QueryEscape(webhookToken), strings.NewReader(`{}`))
		if res, _ := e.do(req); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("old webhook token after rotation: %d, want 401", res.StatusCode)
		}
		_, body = e.get("/connect", nil)
		if !strings.Contains(body, tok) {
			t.Error("connect page does not show the new token")
		}
	})
}

func TestAPITokens(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		body := e.makeToken(url.Values{"name": {"widget"}})
		i := strings.Index(body, `id="new-token">`)
		if i < 0 {
			t.Fatal("the new token is not shown")
		}
		tok := body[i+len(`id="new-token">`):]
		tok = tok[:strings.IndexByte(tok, '<')]
		toks, _ := e.st.ListAPITokens(t.Context())
		if len(toks) != 1 || toks[0].TokenHash != auth.Hash(tok) || strings.Contains(toks[0].TokenHash, tok) {
			t.Fatalf("stored tokens %+v: want one, stored as the hash", toks)
		}
		bearer := map[string]string{"Authorization": "Bearer " + tok}
		anon := newClientless(e)
		if res, _ := anon.get("/api/v1/summary", bearer); res.StatusCode != http.StatusOK {
			t.Errorf("API with the token: %d", res.StatusCode)
		}
		if res, _ := anon.get("/api/v1/summary", map[string]string{"Authorization": "Bearer nope"}); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("API with a wrong token: %d, want 401", res.StatusCode)
		}
		e.post(fmt.Sprintf("/tokens/%d/revoke", toks[0].ID), nil, nil)
		if res, _ := anon.get("/api/v1/summary", bearer); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("API with a revoked token: %d, want 401", res.StatusCode)
		}
		// A signed-in browser may use the API too (the session cookie).
		if res, _ := e.get("/api/v1/summary", nil); res.StatusCode != http.StatusOK {
			t.Errorf("API with a session: %d", res.StatusCode)
		}
	})
}

// newClientless is the same server seen by a client without cookies.
func newClientless(e *env) *env {
	c := *e
	c.client = &http.Client{CheckRedirect: e.client.CheckRedirect}
	return &c
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("h", "docker.io/acme/app:1", digestN(1), "")
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		res := e.post("/images/1/acknowledge", nil, h)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin POST %v: %d, want 403", h, res.StatusCode)
		}
	}
	if stateOf(t, e, 1).State != store.StateOpen {
		t.Error("a cross-origin POST changed the image")
	}
}

func TestProxyMode(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeProxy)
	if res, _ := e.get("/", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("proxy mode without the header: %d, want 401", res.StatusCode)
	}
	res, body := e.get("/", map[string]string{"Remote-User": "alice"})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "alice") {
		t.Errorf("proxy mode with the header from a trusted proxy: %d", res.StatusCode)
	}
}

func TestProxyHeaderFromUntrustedPeerIgnored(t *testing.T) {
	st := databases["sqlite"](t)
	e := newEnv(t, st, auth.ModeBuiltin)
	// In builtin mode the header means nothing at all.
	if res, _ := e.get("/", map[string]string{"Remote-User": "alice"}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("Remote-User in builtin mode: %d, want the sign-in redirect", res.StatusCode)
	}
}

func TestOpenMode(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeNone)
	res, body := e.get("/", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Sign-in is off") {
		t.Errorf("AUTH_MODE=none: %d, want the page with a warning banner", res.StatusCode)
	}
	if res, _ := e.get("/api/v1/images", nil); res.StatusCode != http.StatusOK {
		t.Errorf("API with AUTH_MODE=none: %d", res.StatusCode)
	}
}
