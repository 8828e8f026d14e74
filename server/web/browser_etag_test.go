package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
)

// TestBrowserRevalidatesTheLiveRefresh: the browser's fetch of the overview's fragment (what a
// live refresh asks for) sends the tag it was given and takes the 304: the second fetch of an
// unchanged page transfers its headers only.
func TestBrowserRevalidatesTheLiveRefresh(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seed(e)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	// Two fetches the way app.js's refresh makes them, one after the other.
	eval[bool](t, ctx, `(() => {
		const get = () => fetch(location.href, { headers: { "X-Fragment": "main" }, credentials: "same-origin" }).then((r) => r.text());
		window.__fetched = 0;
		get().then(() => { window.__fetched = 1; return get(); }).then(() => { window.__fetched = 2; });
		return true;
	})()`)
	step(t, ctx, "both fetches", 5*time.Second, chromedp.Poll[chromedp.Void](`window.__fetched === 2`))
	// Resource timing: a response revalidated with 304 transfers less than its body.
	got := eval[[]map[string]float64](t, ctx, `performance.getEntriesByType("resource").filter((r) => r.initiatorType === "fetch" && new URL(r.name).pathname === "/").map((r) => ({transfer: r.transferSize, body: r.encodedBodySize}))`)
	if len(got) < 2 {
		t.Fatalf("resource timings of the fetches: %v, want two", got)
	}
	first, second := got[len(got)-2], got[len(got)-1]
	if first["transfer"] <= first["body"] || second["transfer"] >= second["body"] {
		t.Errorf("first fetch transferred %v bytes for a %v-byte body, second %v for %v: want the second answered 304 from the browser's copy", first["transfer"], first["body"], second["transfer"], second["body"])
	}
}
