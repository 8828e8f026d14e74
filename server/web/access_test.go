package web_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// withOwnJar is e with a browser of its own (its own cookies).
func withOwnJar(e *env) *env {
	c := *e
	jar, _ := cookiejar.New(nil)
	c.client = &http.Client{Jar: jar, CheckRedirect: e.client.CheckRedirect}
	return &c
}

// Finding 4: "Sign out everywhere" ends every session, this browser's and the others'.
func TestSignOutEverywhere(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		phone := withOwnJar(e)
		e.login()
		phone.login()
		_, page := e.get("/connect", nil)
		if !strings.Contains(page, `action="/sessions/revoke-all"`) {
			t.Fatal("the Connect page offers no way to sign out everywhere")
		}
		res := e.post("/sessions/revoke-all", nil, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("POST /sessions/revoke-all: %d to %q; want 303 to /login", res.StatusCode, res.Header.Get("Location"))
		}
		for name, b := range map[string]*env{"this browser": e, "the other browser": phone} {
			if res, _ := b.get("/", nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Errorf("%s after signing out everywhere: GET / = %d %q; want the sign-in page", name, res.StatusCode, res.Header.Get("Location"))
			}
		}
		// A signed-out browser cannot do it (nor learn anything from trying).
		if res := phone.post("/sessions/revoke-all", nil, nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("signed out: POST /sessions/revoke-all = %d %q; want the sign-in page", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

// Without sessions (proxy, none) there is nothing to sign out of.
func TestNoSignOutEverywhereWithoutSessions(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeNone)
	if _, page := e.get("/connect", nil); strings.Contains(page, "/sessions/revoke-all") {
		t.Error("AUTH_MODE=none offers to sign out everywhere")
	}
}

// Finding 3: a token's scope is chosen when it is made (read unless asked) and shown.
func TestTokenScopeInTheUI(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		_, page := e.get("/connect", nil)
		if !strings.Contains(page, `<select name="scope"`) || !strings.Contains(page, `<option value="read" selected>`) {
			t.Error("the token form does not offer a scope, read by default")
		}
		for _, c := range []struct {
			form url.Values
			want store.TokenScope
		}{
			{url.Values{"name": {"widget"}}, store.ScopeRead},
			{url.Values{"name": {"automation"}, "scope": {"write"}}, store.ScopeWrite},
		} {
			if body := e.makeToken(c.form); !strings.Contains(body, "(scope "+string(c.want)+")") {
				t.Errorf("create %v: the scope %s is not shown", c.form, c.want)
			}
		}
		res, body := e.postBody("/tokens", url.Values{"name": {"root"}, "scope": {"admin"}}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "scope") {
			t.Errorf("a token of scope admin: %d; want 422 naming the scope", res.StatusCode)
		}
		toks, err := e.st.ListAPITokens(t.Context())
		if err != nil || len(toks) != 2 || toks[0].Scope != store.ScopeWrite || toks[1].Scope != store.ScopeRead {
			t.Fatalf("stored tokens %+v, %v; want automation (write) and widget (read)", toks, err)
		}
		if _, page := e.get("/connect", nil); !strings.Contains(page, "<td>write</td>") || !strings.Contains(page, "<td>read</td>") {
			t.Error("the token list does not show each token's scope")
		}
	})
}

// A person who lost the generated password learns on the sign-in page how to get a new one;
// with a configured password the page says nothing of it.
func TestSignInPageNamesPasswordReset(t *testing.T) {
	for _, generated := range []bool{false, true} {
		e := newEnvWith(t, databases["sqlite"](t), auth.Config{Mode: auth.ModeBuiltin, Username: testUser, PasswordHash: testHash, GeneratedPassword: generated})
		_, page := e.get("/login", nil)
		if strings.Contains(page, "diundashboard reset-password") != generated {
			t.Errorf("generated password %v: the sign-in page names reset-password: %v", generated, !generated)
		}
		// Where the password is: the log of the first start.
		if strings.Contains(page, "docker compose logs dashboard") != generated {
			t.Errorf("generated password %v: the sign-in page says where the log is: %v", generated, !generated)
		}
	}
}

// A host's "Acknowledge all" acts on exactly what the view shows: with ?tag=media showing two
// rows of a host's five, it acknowledges those two, on every page.
func TestHostActionKeepsToTheView(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		for i := range 5 {
			e.notify("nas", "docker.io/acme/app"+string(rune('a'+i))+":1", digestN(i+1), "")
		}
		e.notify("", "docker.io/acme/nohost:1", digestN(9), "")
		media, err := e.st.CreateTag(t.Context(), "media")
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "nas"}, store.SortImage, store.PageRequest{})
		if err != nil || len(page.Images) != 5 {
			t.Fatalf("seed: %v, %d", err, len(page.Images))
		}
		tagged := []int64{page.Images[0].ID, page.Images[1].ID}
		if _, err := e.st.TagImages(t.Context(), tagged, media.ID); err != nil {
			t.Fatal(err)
		}
		_, body := e.get("/?tag=media", nil)
		if !strings.Contains(body, `action="/bulk?host=nas&amp;state=open&amp;tag=media"`) {
			t.Fatal("the host's form does not carry the view's filter")
		}
		res := e.post("/bulk?host=nas&state=open&tag=media", url.Values{"action": {"acknowledge"}, "shown": {"2"}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("host action: %d", res.StatusCode)
		}
		for _, img := range page.Images {
			got, _ := e.st.GetImage(t.Context(), img.ID)
			want := store.StateOpen
			if img.ID == tagged[0] || img.ID == tagged[1] {
				want = store.StateAcknowledged
			}
			if got.State != want {
				t.Errorf("%s is %s, want %s: the action must change exactly the rows of the view", img.Image, got.State, want)
			}
		}
		// The (no hostname) group's buttons act on it, and only on it.
		res = e.post("/bulk?host=&state=open", url.Values{"action": {"ignore"}, "shown": {"1"}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("no-hostname action: %d", res.StatusCode)
		}
		nohost, _ := e.st.ListImages(t.Context(), store.ImageFilter{ExactHost: true}, store.SortImage, store.PageRequest{})
		if len(nohost.Images) != 1 || nohost.Images[0].State != store.StateIgnored {
			t.Errorf("the (no hostname) group: %+v, want its one image ignored", nohost.Images)
		}
		if open, _ := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "nas", State: store.StateOpen}, store.SortImage, store.PageRequest{}); len(open.Images) != 3 {
			t.Errorf("nas has %d open images after the no-hostname action, want 3", len(open.Images))
		}
	})
}

// The image's timeline shows its triage changes beside the notifications: who, what, when.
// An unknown platform ("/" from Diun) shows as nothing.
func TestTimelineShowsTriageChanges(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
		page, err := e.st.ListImages(t.Context(), store.ImageFilter{}, store.SortImage, store.PageRequest{})
		if err != nil || len(page.Images) != 1 {
			t.Fatalf("seed: %v", err)
		}
		id := page.Images[0].ID
		if res := e.post(fmt.Sprintf("/images/%d/acknowledge", id), nil, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("acknowledge: %d", res.StatusCode)
		}
		e.notify("nas", "docker.io/acme/app:1", digestN(2), "") // reopens it
		_, body := e.get(fmt.Sprintf("/images/%d", id), nil)
		i := strings.Index(body, `class="timeline"`)
		if i < 0 {
			t.Fatal("no timeline")
		}
		tl := body[i:]
		ack := strings.Index(tl, `<span class="state">acknowledged</span>`)
		if ack < 0 || !strings.Contains(tl[ack:], "<strong><bdi>admin</bdi></strong>") {
			t.Fatalf("the timeline does not show the acknowledgement by admin:\n%s", tl)
		}
		// Newest first: the second notification, then the acknowledgement, then the first.
		first, second := strings.Index(tl, digestN(1)), strings.Index(tl, digestN(2))
		if !(second < ack && ack < first) {
			t.Errorf("timeline order: notification 2 at %d, acknowledgement at %d, notification 1 at %d; want newest first", second, ack, first)
		}
		// Diun's "/" for an unknown platform.
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(`{"hostname":"nas","image":"docker.io/acme/noplatform:1","digest":"`+digestN(3)+`","status":"new","platform":"/"}`))
		req.Header.Set("Authorization", "Bearer "+webhookToken)
		if res, out := e.do(req); res.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %d %s", res.StatusCode, out)
		}
		np, _ := e.st.ListImages(t.Context(), store.ImageFilter{Query: "noplatform"}, store.SortImage, store.PageRequest{})
		if len(np.Images) != 1 {
			t.Fatal("the image without a platform was not stored")
		}
		_, body = e.get(fmt.Sprintf("/images/%d", np.Images[0].ID), nil)
		if strings.Contains(body, "<dd>/</dd>") || strings.Contains(body, "/ · Diun") || strings.Contains(body, "<dt>Platform</dt>") {
			t.Error("an unknown platform shows as /")
		}
	})
}
