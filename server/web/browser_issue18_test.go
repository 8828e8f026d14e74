package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
)

// markProblems lists the marks ("new", "new digest since you acknowledged") that show only in
// part or not at all: outside their row's name (a phone puts them on a line of their own under
// the badges), clipped by the one-line box of the badges or covered (what shows at their
// middle is not them), or cut sideways.
const markProblems = `(() => {
  const out = [];
  for (const m of document.querySelectorAll("li.img .name .mark")) {
    m.scrollIntoView({block: "center"});
    const b = m.getBoundingClientRect(), name = m.closest(".name").getBoundingClientRect();
    if (b.top < name.top - 0.5 || b.bottom > name.bottom + 0.5 || b.left < name.left - 0.5 || b.right > name.right + 0.5) out.push(m.textContent + " is outside its row's name");
    const at = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    if (!at || !m.contains(at)) out.push(m.textContent + " is out of sight (clipped or covered)");
    if (m.scrollWidth > m.clientWidth + 1) out.push(m.textContent + " is cut sideways");
  }
  return out;
})()`

// detailsCut lists the row details shown in part (an ellipsis mid-word: "s…",
// "snoozed unti…"): a detail either shows whole or not at all.
const detailsCut = `[...document.querySelectorAll("li.img .meta > *")].filter(el => {
  const b = el.getBoundingClientRect(), m = el.parentElement.getBoundingClientRect();
  return b.width > 0 && b.top < m.bottom - 0.5 && (el.scrollWidth > el.clientWidth + 1 || b.right > m.right + 0.5);
}).map(el => el.textContent.trim() + " (" + Math.round(el.getBoundingClientRect().width) + " of " + el.scrollWidth + " px shown)")`

// Issue 18 B5, B6, B11: the mark of a reopened row shows whole on a phone; the Legend opens
// on the screen with a filter set; no row detail is cut mid-word at 1280 px.
func TestBrowserMarksLegendAndDetailsShowWhole(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRowLayout(t, e)
	// Long container names crowd the details' line of a snoozed row.
	for i, ref := range []string{"ghcr.io/home-assistant/home-assistant:2026.12.1", "docker.io/grafana/grafana-enterprise:12.3.0"} {
		e.notify("nas", ref, digestN(400+i), `{"ctn_names":"/a-container-with-a-very-long-name-indeed-`+itoa(int64(i))+`","stack":"observability-and-home-automation"}`)
	}
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "connect page", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/connect"), chromedp.WaitVisible(chromedp.CSS("h1")))
	eval[bool](t, ctx, `localStorage.setItem("dd-last-looked", "2000-01-01T00:00:00Z") === undefined`)

	for _, w := range []int64{1280, 1024, 800} {
		step(t, ctx, "the all view", 10*time.Second, chromedp.EmulateViewport(w, 800), chromedp.Navigate(e.ts.URL+"/?state=all"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
		if cut := eval[[]string](t, ctx, detailsCut); len(cut) > 0 {
			t.Errorf("at %d px, details cut mid-word: %s", w, strings.Join(cut, "; "))
		}
	}

	// Grouped by stack, every row says its host, however long its name (an outside review
	// found "on k3s-control" hidden by a long quay.io name: it stood on the details' line).
	for i, host := range []string{"k3s-control", "k3s-node-2"} {
		e.notify(host, "quay.io/prometheus-operator/prometheus-config-reloader-with-a-long-name:v0.77.1", digestN(420+i), `{"pod_namespace":"monitoring","pod_name":"prometheus-0"}`)
	}
	for _, w := range []int64{1280, 1024} {
		step(t, ctx, "grouped by stack", 10*time.Second, chromedp.EmulateViewport(w, 800), chromedp.Navigate(e.ts.URL+"/?group=stack&state=all"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
		hidden := eval[[]string](t, ctx, `[...document.querySelectorAll("li.img")].filter(li => {
			const h = li.querySelector(".on-host");
			if (!h) return true;
			const r = h.getBoundingClientRect(), c = h.closest("p").getBoundingClientRect();
			return r.width === 0 || r.bottom > c.bottom + 1 || r.right > c.right + 1;
		}).map(li => li.querySelector("a[title]").title)`)
		if len(hidden) > 0 {
			t.Errorf("at %d px grouped by stack, rows that do not show their host: %s", w, strings.Join(hidden, "; "))
		}
	}

	// B6: with filters set the Legend's summary sits further left; its box stays on screen.
	for _, w := range []int64{1280, 1100, 1024, 900, 800, 700} {
		step(t, ctx, "a filtered view", 10*time.Second, chromedp.EmulateViewport(w, 800), chromedp.Navigate(e.ts.URL+"/?stack=media-server&state=all&q=bazarr&tag=media"), chromedp.WaitVisible(chromedp.CSS("#legend")))
		step(t, ctx, "open the Legend", 5*time.Second, chromedp.Click(chromedp.CSS("#legend > summary")), chromedp.WaitVisible(chromedp.CSS(".legend-body")))
		if r := eval[[]float64](t, ctx, `(() => { const b = document.querySelector(".legend-body").getBoundingClientRect(); return [b.left, b.right, document.documentElement.clientWidth]; })()`); r[0] < 0 || r[1] > r[2] {
			t.Errorf("at %d px with a filter set the Legend opens at x %.0f–%.0f in a %.0f px window", w, r[0], r[1], r[2])
		}
	}

	// B5: a phone shows the mark whole ("last looked" when the new digest reopened bazarr, set
	// on a page without rows: the first thing since is that digest).
	reopened, err := e.st.GetImage(t.Context(), imageID(t, e, "nas", "lscr.io/linuxserver/bazarr:latest"))
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "360×740", 10*time.Second, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile), chromedp.Navigate(e.ts.URL+"/connect"), chromedp.WaitVisible(chromedp.CSS("h1")))
	eval[bool](t, ctx, `localStorage.setItem("dd-last-looked", "`+reopened.StateChangedAt.UTC().Format(time.RFC3339)+`") === undefined`)
	step(t, ctx, "overview at 360", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if p := eval[[]string](t, ctx, markProblems); len(p) > 0 {
		t.Errorf("at 360 px: %s", strings.Join(p, "; "))
	}
	if n := eval[int](t, ctx, `[...document.querySelectorAll("li.img .mark")].filter(m => /new digest/.test(m.textContent)).length`); n != 1 {
		t.Errorf("%d marks of a new digest, want 1", n)
	}
	artifactShot(t, ctx, "issue18-mobile.png", chromedp.CaptureScreenshot())
}

// Issue 18 F7 and F10: after tagging from the bulk bar the ticks and the tag field are
// cleared; the bulk bar comes after the rows in the tab order; / goes to the search, i
// ignores the focused row, Enter opens it.
func TestBrowserBulkBarClearsAndKeys(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seed(e)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if !eval[bool](t, ctx, `!!(document.getElementById("bulk").compareDocumentPosition([...document.querySelectorAll("li.img")].pop()) & Node.DOCUMENT_POSITION_PRECEDING)`) {
		t.Error("the bulk bar comes before the rows in the tab order")
	}

	step(t, ctx, "tick two rows, name a new tag, Tag", 10*time.Second,
		chromedp.Click(chromedp.CSS(`li.img:nth-child(1) input[name="id"]`)),
		chromedp.Click(chromedp.CSS(`li.img:nth-child(2) input[name="id"]`)),
		chromedp.SendKeys(chromedp.CSS("#bulk-newtag"), "later"),
		chromedp.Click(chromedp.CSS(`#bulk button[value="tag"]`)))
	waitTrue(t, ctx, "the outcome of tagging", `/Tagged 2 images/.test(document.getElementById("notice").textContent)`)
	waitTrue(t, ctx, "the rows with their new tag", `document.querySelectorAll('li.img a.chip[href="/?tag=later"]').length === 2`)
	if n := eval[int](t, ctx, `document.querySelectorAll('input[name="id"]:checked').length`); n != 0 {
		t.Errorf("after tagging %d rows are still ticked", n)
	}
	if v := eval[string](t, ctx, `document.getElementById("bulk-newtag").value`); v != "" {
		t.Errorf("after tagging the tag field still says %q", v)
	}

	// Keys: / to the search (from anywhere but a field), i ignores, Enter opens.
	// The key down alone, as a page event: DevTools would send the character as an event of
	// its own, which a browser does not send when the key down's default is prevented.
	step(t, ctx, "click outside the fields", 5*time.Second, chromedp.Click(chromedp.CSS("h1")))
	eval[bool](t, ctx, `document.body.dispatchEvent(new KeyboardEvent("keydown", {key: "/", bubbles: true, cancelable: true}))`)
	if id := eval[string](t, ctx, `document.activeElement.id`); id != "filter-q" {
		t.Errorf("/ put the focus on %q, want the search field", id)
	}
	first := eval[string](t, ctx, `document.querySelector("li.img").id`)
	step(t, ctx, "j i", 10*time.Second, chromedp.Click(chromedp.CSS("h1")), chromedp.KeyEvent("j"), chromedp.KeyEvent("i"), chromedp.WaitNotPresent(chromedp.ID(first)))
	waitTrue(t, ctx, "the outcome of ignoring", `/Ignored/.test(document.getElementById("notice").textContent)`)
	id, _ := strconv.ParseInt(strings.TrimPrefix(first, "img-"), 10, 64)
	if img := stateOf(t, e, id); img.State != "ignored" {
		t.Errorf("i left the row %s", img.State)
	}
	step(t, ctx, "Enter on a row", 10*time.Second, chromedp.Click(chromedp.CSS("h1")), chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#tl-h")))
	if p := eval[string](t, ctx, `location.pathname`); !strings.HasPrefix(p, "/images/") {
		t.Errorf("Enter on a row went to %s, want its page", p)
	}
}
