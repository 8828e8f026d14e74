package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"diundashboard/server/auth"
)

// TestBrowserScreenshotsOfTheMarks (issue 18, F2; `make screenshots` saves them): with "last
// looked" after the first reports, each open row that changed since carries a mark that says
// what happened first: new, a new digest that reopened it, a newer digest since it opened,
// back from its snooze; a row a person reopened carries none. Each mark's title says when. At 1280 and at 360 px, light and dark, the marks keep
// to their rows and leave the names, badges and links readable, and the state tabs show whole.
func TestBrowserScreenshotsOfTheMarks(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	ids, looked := seedMarks(t, e)
	signIn(t, ctx, e.ts.URL)
	marks := func() map[int64]string {
		got := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("li.img")].map(r => [r.id, (r.querySelector(".name .mark") || {}).textContent || ""]))`)
		out := map[int64]string{}
		for mark, id := range ids {
			out[id] = got["img-"+strconv.FormatInt(id, 10)]
			if mark == "person" {
				mark = ""
			}
			if out[id] != mark {
				t.Errorf("row %d shows the mark %q, want %q", id, out[id], mark)
			}
		}
		return out
	}
	for _, mode := range screenshotModes[:3] { // light, dark, mobile (screenshots_test.go)
		size := struct {
			w    int64
			wide bool
			shot string
		}{mode.width, mode.width > 400, "marks-" + mode.suffix + ".png"}
		useMode(t, ctx, mode)
		// "Last looked" after the first reports, set on a page without rows (leaving one with
		// rows moves it on).
		step(t, ctx, "connect page", 10*time.Second, chromedp.Navigate(e.ts.URL+"/connect"), chromedp.WaitVisible(chromedp.CSS("h1")))
		eval[bool](t, ctx, `localStorage.setItem("dd-last-looked", "`+looked.UTC().Format(time.RFC3339)+`") === undefined`)
		step(t, ctx, "overview", 10*time.Second, chromedp.Navigate(e.ts.URL+"/?host=marks"),
			chromedp.WaitVisible(chromedp.CSS("#live-status.on")), chromedp.WaitVisible(chromedp.CSS("li.img .mark")))
		marks()
		// The title says when, not the text again.
		if bad := eval[[]string](t, ctx, `[...document.querySelectorAll("li.img .mark")].filter(m => !/\d\d:\d\d/.test(m.title) || m.title.includes(m.textContent)).map(m => m.textContent + ": " + m.title)`); len(bad) > 0 {
			t.Errorf("marks whose title does not say when: %q", bad)
		}
		if p := eval[[]string](t, ctx, rowProblems+"("+map[bool]string{true: "true", false: "false"}[size.wide]+")"); len(p) > 0 {
			t.Errorf("at %d px:\n%s", size.w, strings.Join(p, "\n"))
		}
		// The marks show whole; they leave the badge and the links on their line (a phone's
		// row showed the mark alone there, the rest wrapped out of sight).
		if p := eval[[]string](t, ctx, markProblems); len(p) > 0 {
			t.Errorf("at %d px: %s", size.w, strings.Join(p, "; "))
		}
		if p := eval[[]string](t, ctx, `[...document.querySelectorAll("li.img")].flatMap(row => {
			const line = row.querySelector(".extras").getBoundingClientRect();
			return [...row.querySelectorAll(".extras > .badge, .extras > .link")].filter(el => el.getBoundingClientRect().top >= line.bottom - 0.5).map(el => row.id + ": " + el.textContent + " wrapped out of sight"); })`); len(p) > 0 {
			t.Errorf("at %d px:\n%s", size.w, strings.Join(p, "\n"))
		}
		// Every state tab is whole on the screen (a phone showed "0 ack…").
		if p := eval[[]string](t, ctx, `[...document.querySelectorAll(".tab")].filter(a => { const b = a.getBoundingClientRect(); return a.scrollWidth > a.clientWidth + 1 || b.left < 0 || b.right > document.documentElement.clientWidth; }).map(a => a.textContent)`); len(p) > 0 {
			t.Errorf("at %d px the tabs %q are cut or off the screen", size.w, p)
		}
		reviewShot(t, ctx, size.shot)
	}
}

// TestBrowserSearchEscape (issue 18): Escape in the search clears it and applies at once: the
// address loses its q and every row is back.
func TestBrowserSearchEscape(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedMarks(t, e)
	signIn(t, ctx, e.ts.URL)
	rows := `document.querySelectorAll("main li.img").length`
	step(t, ctx, "overview", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/?host=marks"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	step(t, ctx, "search", 10*time.Second, chromedp.SendKeys(chromedp.ID("filter-q"), "fresh"),
		chromedp.Poll[chromedp.Void](rows+` === 1 && location.search.includes("q=fresh")`, chromedp.WithPollingTimeout(5*time.Second)))
	// At once: not after the pause that ends a typed search (Chromium clears a search field on
	// Escape by itself, and the search then applied 400 ms later; other browsers do not).
	step(t, ctx, "escape", 10*time.Second, chromedp.KeyEvent(kb.Escape))
	if q := eval[string](t, ctx, `location.search`); strings.Contains(q, "q=") {
		t.Errorf("right after Escape the address is %q, still with the search", q)
	}
	step(t, ctx, "every row back", 10*time.Second, chromedp.Poll[chromedp.Void](rows+` === 5 && !location.search.includes("q=")`, chromedp.WithPollingTimeout(3*time.Second)))
	if v := eval[string](t, ctx, `document.getElementById("filter-q").value + "|" + (document.activeElement && document.activeElement.id)`); v != "|filter-q" {
		t.Errorf("after Escape the search field holds and focus is %q, want empty and still in the field", v)
	}
}
