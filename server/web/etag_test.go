package web_test

import (
	"net/http"
	"strings"
	"testing"

	"diundashboard/server/auth"
)

// getTagged asks for path with If-None-Match: tag (none when ""). A page's tag includes the
// minute, so an answer 200 where 304 was expected is asked again once with the new tag: the
// minute cannot turn twice within a test.
func (e *env) getTagged(path, tag string, header map[string]string) (*http.Response, string) {
	e.t.Helper()
	h := map[string]string{}
	for k, v := range header {
		h[k] = v
	}
	if tag != "" {
		h["If-None-Match"] = tag
	}
	return e.get(path, h)
}

// TestOverviewAnswersNotModified: a live refresh (the overview's fragment) that would render
// what the browser has is answered 304 with no body, before the store is read; a notification,
// another view and another person each get the fragment. A navigation stays no-store.
func TestOverviewAnswersNotModified(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("alpha", "docker.io/acme/one:1", digestN(1), "")
	fragment := map[string]string{"X-Fragment": "main"}

	// A page kept by the browser would go into its back/forward cache with its live stream open.
	if page, _ := e.getTagged("/", "", nil); page.Header.Get("ETag") != "" || page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET / (a navigation): ETag %q, Cache-Control %q; want none and no-store", page.Header.Get("ETag"), page.Header.Get("Cache-Control"))
	}

	first, body := e.getTagged("/", "", fragment)
	tag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || tag == "" || !strings.Contains(body, "acme/one") {
		t.Fatalf("GET / fragment: %d, ETag %q; want 200 with a tag and the image", first.StatusCode, tag)
	}
	// The browser keeps the fragment to revalidate it; no-store would keep it from sending the tag.
	if cc := first.Header.Get("Cache-Control"); cc != "private, no-cache" {
		t.Errorf("Cache-Control %q, want private, no-cache", cc)
	}
	if v := strings.Join(first.Header.Values("Vary"), ", "); !strings.Contains(v, "X-Fragment") || !strings.Contains(v, "Cookie") {
		t.Errorf("Vary %q, want X-Fragment and Cookie among them", v)
	}

	res, body := e.getTagged("/", tag, fragment)
	if res.StatusCode == http.StatusOK { // the minute turned: once more with the new tag
		tag = res.Header.Get("ETag")
		res, body = e.getTagged("/", tag, fragment)
	}
	if res.StatusCode != http.StatusNotModified || body != "" || res.Header.Get("ETag") != tag {
		t.Fatalf("fragment again with its tag: %d, %d bytes, ETag %q; want 304, no body, the same tag", res.StatusCode, len(body), res.Header.Get("ETag"))
	}

	// Another view is another page.
	if res, _ := e.getTagged("/?state=open", tag, fragment); res.StatusCode == http.StatusNotModified {
		t.Errorf("another view with the overview's tag: 304, want the view")
	}

	// A notification changes the page: the old tag no longer matches.
	e.notify("alpha", "docker.io/acme/two:1", digestN(2), "")
	res, body = e.getTagged("/", tag, fragment)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "acme/two") || res.Header.Get("ETag") == tag {
		t.Fatalf("fragment after a notification: %d, ETag %q (was %q); want 200 with the new image and a new tag", res.StatusCode, res.Header.Get("ETag"), tag)
	}

	// Someone else (another session, another CSRF token) never gets this person's 304.
	other := withOwnJar(e)
	other.login()
	if res, _ := other.getTagged("/", res.Header.Get("ETag"), fragment); res.StatusCode != http.StatusOK {
		t.Errorf("another session with the first one's tag: %d, want 200", res.StatusCode)
	}
}
