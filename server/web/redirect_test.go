package web_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"diundashboard/server/auth"
)

// redirectAttacks are values an attacker puts where the dashboard takes a page to go back to
// (login's next, a form's return, the Referer), hoping for a Location that a browser reads as
// another site. Each must end on a page of this site.
var redirectAttacks = []string{
	"/\t/evil.example",         // the reported one: browsers drop the tab and see //evil.example
	"/\n/evil.example",         // so are newlines
	"/\r\n/evil.example",       //
	"\t//evil.example",         // leading whitespace is trimmed by browsers
	" //evil.example",          //
	"//evil.example",           // scheme-relative
	"///evil.example",          //
	"//evil.example/%2F..",     //
	"/\\evil.example",          // browsers read \ as /
	"\\/evil.example",          //
	"/\\/evil.example",         //
	"\\\\evil.example",         //
	"/%2F/evil.example",        // an encoded slash, for whatever decodes the value again
	"/%2f%2fevil.example",      //
	"/%5C/evil.example",        // an encoded backslash
	"/%09/evil.example",        // an encoded tab
	"/.//evil.example",         // a dot segment before a double slash
	"/\x00/evil.example",       // NUL and DEL
	"/\x7f/evil.example",       //
	"/\u200b/evil.example",     // a zero-width space (invisible)
	"/\u3000/evil.example",     // an ideographic space
	"/\u202e/evil.example",     // a right-to-left override
	"\uff0f\uff0fevil.example", // fullwidth solidi
	"https://evil.example",     // absolute URLs
	"HTTPS://evil.example/",    //
	"https:evil.example",       // scheme without slashes
	"http:/evil.example",       //
	"javascript:alert(1)",      //
	"JaVaScRiPt:alert(1)",      //
	"data:text/html,<script>alert(1)</script>",
	"evil.example",       // relative, not a path
	"/%",                 // not a URL at all
	"/\xff/evil.example", // invalid UTF-8
}

// safeTargets are honest pages to go back to: each must come back as it was.
var safeTargets = []string{"/", "/connect", "/images/12", "/?host=alpha&state=all", "/?q=a%20b&sort=image&limit=50"}

// browserTarget resolves a Location the way a browser's URL parser (WHATWG) does, which Go's
// url package does not: it drops tabs and newlines anywhere, trims C0 controls and spaces at
// both ends and reads a backslash as a slash in an http(s) URL.
func browserTarget(base *url.URL, loc string) (*url.URL, error) {
	loc = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, loc)
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	u, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(u), nil
}

// checkLocal fails unless loc is a page of e's site for a browser, and, when it is the
// sign-in page, unless its next page is one too.
func checkLocal(t *testing.T, e *env, what, loc string) {
	t.Helper()
	if loc == "" {
		t.Errorf("%s: no Location", what)
		return
	}
	if strings.HasPrefix(loc, "//") || strings.ContainsFunc(loc, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		t.Errorf("%s: Location %q holds a character a browser reinterprets", what, loc)
	}
	base, _ := url.Parse(e.ts.URL + "/login")
	target, err := browserTarget(base, loc)
	if err != nil {
		t.Errorf("%s: Location %q does not parse: %v", what, loc, err)
		return
	}
	if target.Scheme != base.Scheme || target.Host != base.Host {
		t.Errorf("%s: Location %q takes a browser to %s://%s", what, loc, target.Scheme, target.Host)
	}
	if target.Path == "/login" {
		if next := target.Query().Get("next"); next != "" {
			checkLocal(t, e, what+" (its next)", next)
		}
	}
}

// roundTrip sends one request with e's cookies straight through the transport: unlike the
// client, it hands back a Location that Go's URL parser refuses (the very ones under test).
func (e *env) roundTrip(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if e.client.Jar != nil {
		withCookies(e, req)
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// headerSafe tells whether Go's client can send v as a header value at all.
func headerSafe(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}

var (
	hiddenReturn = regexp.MustCompile(`name="return" value="([^"]*)"`)
	cancelLink   = regexp.MustCompile(`<a href="([^"]*)">Cancel</a>`)
)

func TestRedirectsStayOnSite(t *testing.T) {
	// AUTH_MODE=none takes every path without a sign-in; builtin adds the signed-in and the
	// signed-out redirects.
	open := newEnv(t, databases["sqlite"](t), auth.ModeNone)
	open.notify("h", "docker.io/acme/app:1", digestN(1), "")
	signedIn := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	signedIn.login()
	signedIn.notify("h", "docker.io/acme/app:1", digestN(1), "")
	signedOut := newClientless(signedIn)

	for i, attack := range redirectAttacks {
		t.Run(fmt.Sprintf("%d_%q", i, attack), func(t *testing.T) {
			for _, e := range []*env{open, signedIn} {
				res, _ := e.roundTrip(http.MethodGet, "/login?next="+url.QueryEscape(attack), nil, nil)
				checkLocal(t, e, "GET /login?next=", res.Header.Get("Location"))
			}
			res, _ := open.roundTrip(http.MethodPost, "/login", url.Values{"next": {attack}}, nil)
			checkLocal(t, open, "POST /login next= (AUTH_MODE=none)", res.Header.Get("Location"))

			res, _ = open.roundTrip(http.MethodPost, "/images/1/acknowledge", url.Values{"return": {attack}}, nil)
			checkLocal(t, open, "plain form return=", res.Header.Get("Location"))

			// The confirmation page carries its return into a hidden field and a Cancel link.
			_, body := open.roundTrip(http.MethodPost, "/images/1/delete", url.Values{"return": {attack}}, nil)
			for _, re := range []*regexp.Regexp{hiddenReturn, cancelLink} {
				m := re.FindStringSubmatch(body)
				if m == nil {
					t.Fatalf("the delete confirmation page has no %s", re)
				}
				checkLocal(t, open, "confirmation page "+re.String(), html.UnescapeString(m[1]))
			}

			if headerSafe(attack) {
				ref := map[string]string{"Referer": open.ts.URL + attack}
				res, _ = open.roundTrip(http.MethodPost, "/images/1/reopen", nil, ref)
				checkLocal(t, open, "Referer return", res.Header.Get("Location"))
				ref = map[string]string{"Referer": signedOut.ts.URL + attack}
				res, _ = signedOut.roundTrip(http.MethodPost, "/images/1/acknowledge", nil, ref)
				checkLocal(t, signedOut, "signed-out post, Referer", res.Header.Get("Location"))
			}
		})
	}
	// A sign-in with a password, once: the login limiter would refuse one per attack.
	res, _ := newClientless(signedIn).roundTrip(http.MethodPost, "/login", url.Values{"username": {testUser}, "password": {testPassword}, "next": {"/\t/evil.example"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	checkLocal(t, signedIn, "POST /login next= (builtin)", res.Header.Get("Location"))

	// Honest targets survive the same paths unchanged.
	for _, want := range safeTargets {
		if res, _ := open.get("/login?next="+url.QueryEscape(want), nil); res.Header.Get("Location") != want {
			t.Errorf("GET /login?next=%s redirected to %q", want, res.Header.Get("Location"))
		}
		res := open.post("/images/1/acknowledge", url.Values{"return": {want}}, nil)
		if loc := res.Header.Get("Location"); !samePage(want, loc) {
			t.Errorf("return=%s redirected to %q", want, loc)
		}
		res = open.post("/images/1/reopen", nil, map[string]string{"Referer": open.ts.URL + want})
		if loc := res.Header.Get("Location"); !samePage(want, loc) {
			t.Errorf("Referer %s redirected to %q", want, loc)
		}
		res = signedOut.post("/images/1/acknowledge", nil, map[string]string{"Referer": signedOut.ts.URL + want})
		if loc := res.Header.Get("Location"); loc != "/login?next="+url.QueryEscape(want) {
			t.Errorf("signed out, Referer %s: redirected to %q", want, loc)
		}
	}
}

// samePage tells whether loc is the page want with its query, give or take the notice a
// plain form post adds.
func samePage(want, loc string) bool {
	w, err1 := url.Parse(want)
	l, err2 := url.Parse(loc)
	if err1 != nil || err2 != nil || w.Path != l.Path {
		return false
	}
	got := l.Query()
	for k, vs := range w.Query() {
		if !slices.Equal(got[k], vs) {
			return false
		}
	}
	return got.Get("notice") != ""
}
