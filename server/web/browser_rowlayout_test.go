package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
)

// Issue 11's walkthrough of the overview's rows: tag chips, stack chips and links that were
// in the DOM but out of sight, a mark that crushed the name, words cut in the middle, a bulk
// bar over the site's header, tabs off a phone's edge.

// seedRowLayout is the walkthrough's kind of data: long names, stack and namespace chips,
// three tagged rows, a row reopened by a new digest, a snoozed row, Docker's raw ctn_names.
// It returns the ids of the acknowledged and the snoozed rows.
func seedRowLayout(t *testing.T, e *env) (acked, snoozed int64) {
	t.Helper()
	seed(e)
	e.notify("nas", "lscr.io/linuxserver/bazarr:latest", digestN(300), `{"ctn_names":"/bazarr","com.docker.compose.project":"media-server"}`)
	e.notify("k3s-main", "ghcr.io/argoproj/argocd:v2.11.3", digestN(301), `{"pod_name":"argocd-server-5f7","pod_namespace":"monitoring","stack":"gitops"}`)
	e.notify("nas", "docker.io/jwilder/nginx-proxy:1.7", digestN(302), `{"ctn_names":"/nginx-proxy,/nginx-proxy-2"}`)
	e.notify("nas", "docker.io/acme/later:2.0", digestN(303), `{"ctn_names":"later"}`)
	e.notify("nas", "ghcr.io/immich-app/immich-machine-learning:v2.3.1", digestN(304), `{"ctn_names":"immich_machine_learning","stack":"immich"}`)
	bazarr := imageID(t, e, "nas", "lscr.io/linuxserver/bazarr:latest")
	snoozed = imageID(t, e, "nas", "docker.io/acme/later:2.0")
	acked = imageID(t, e, "nas", "docker.io/library/nginx:1.29-alpine")
	e.login()
	postJSON(t, e, fmt.Sprintf("/images/%d/snooze", snoozed), url.Values{"for": {"7d"}})
	postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", acked), nil)
	postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", bazarr), nil)
	// A new digest reopens bazarr: "new digest since you acknowledged" to one who looked in
	// the second it did (the marks compare whole seconds), after its first report.
	nextSecond()
	e.notify("nas", "lscr.io/linuxserver/bazarr:latest", digestN(305), `{"ctn_names":"/bazarr","com.docker.compose.project":"media-server"}`)
	var ids []int64
	for _, ref := range []string{"ghcr.io/immich-app/immich-server:v2.3.1", "lscr.io/linuxserver/bazarr:latest", "ghcr.io/immich-app/immich-machine-learning:v2.3.1"} {
		ids = append(ids, imageID(t, e, "nas", ref))
	}
	ids = append(ids, imageID(t, e, "k3s-main", "ghcr.io/argoproj/argocd:v2.11.3"))
	for _, name := range []string{"media", "critical", "weekend"} {
		tag, err := e.st.CreateTag(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.TagImages(t.Context(), ids, tag.ID); err != nil {
			t.Fatal(err)
		}
	}
	return acked, snoozed
}

// rowProblems lists what a person cannot see or read whole in the rows: a chip, badge, mark,
// state or link of the name's line outside its row's box, under the row's buttons or over the
// image's name, a word
// of it cut without an ellipsis and a title; a detail cut sideways (a detail that does not
// fit must be wholly hidden, below the details' line); a repository crushed under 5 em.
const rowProblems = `((wide) => {
  const out = [];
  const where = (row) => row.querySelector(".repo").textContent + row.querySelector(".tag").textContent;
  for (const row of document.querySelectorAll("li.img")) {
    if (!row.checkVisibility()) continue;
    const info = row.querySelector(".info").getBoundingClientRect();
    const acts = row.querySelector(".acts").getBoundingClientRect();
    const sideBySide = acts.top < info.bottom && acts.left >= info.right - 1;
    const title = row.querySelector(".name > a").getBoundingClientRect();
    for (const el of row.querySelectorAll(".name .chip, .name .link, .name .badge, .name .mark, .name .state, .name .tag")) {
      const b = el.getBoundingClientRect();
      const name = where(row) + ": " + el.textContent.trim();
      if (b.width < 1 || !el.checkVisibility()) { out.push(name + " is not shown"); continue; }
      // A phone shows one line of them, whole items, as many as fit. The mark has a line of
      // its own under them (markProblems checks it shows).
      const line = !el.matches(".mark") && el.closest(".extras");
      if (line && b.top >= line.getBoundingClientRect().bottom - 0.5) { if (wide) out.push(name + " wrapped out of sight"); continue; }
      if (b.left < info.left - 0.5 || b.right > info.right + 0.5 || b.top < info.top - 0.5 || b.bottom > info.bottom + 0.5)
        out.push(name + " at x " + Math.round(b.left) + "–" + Math.round(b.right) + " outside its row's box " + Math.round(info.left) + "–" + Math.round(info.right));
      if (sideBySide && b.right > acts.left) out.push(name + " under the row's buttons");
      if (!el.matches(".tag") && b.left < title.right - 0.5 && b.right > title.left && b.top < title.bottom - 0.5 && b.bottom > title.top + 0.5) out.push(name + " over the image's name");
      if (el.scrollWidth > el.clientWidth + 1 && !(getComputedStyle(el).textOverflow === "ellipsis" && (el.title || el.closest("[title]")))) out.push(name + " cut without an ellipsis and a title");
    }
    const repo = row.querySelector(".repo");
    if (repo.scrollWidth > repo.clientWidth + 1 && repo.getBoundingClientRect().width < 5 * parseFloat(getComputedStyle(repo).fontSize)) out.push(where(row) + ": the repository is crushed to " + Math.round(repo.getBoundingClientRect().width) + " px");
    const meta = row.querySelector(".meta").getBoundingClientRect();
    for (const el of row.querySelectorAll(".meta > *")) {
      const b = el.getBoundingClientRect();
      if (b.top >= meta.bottom - 0.5) continue; // wrapped out of sight, whole
      const name = where(row) + ": " + el.textContent.trim();
      if (b.right > meta.right + 0.5) out.push(name + " cut at the details' end");
      if (b.bottom > meta.bottom + 0.5) out.push(name + " cut at the details' bottom");
      if (el.scrollWidth > el.clientWidth + 1 && !el.title) out.push(name + " cut without a title");
    }
  }
  return out;
})`

// TestBrowserRowLayout: at 1280×800 every tag chip, stack chip, badge, mark and link of a
// row is inside the row and clear of its buttons, the mark leaves the name readable, no
// detail is cut mid-word; the same holds at 360×740 with the tabs on the screen; container
// names read as names; a snooze says its end as a local day; the chart shows it unfolds.
func TestBrowserRowLayout(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRowLayout(t, e)
	signIn(t, ctx, e.ts.URL)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Pacific/Kiritimati"}); err != nil {
		t.Fatal(err)
	}
	// "Last looked" when a new digest reopened bazarr, set on a page without rows (leaving one
	// with rows moves it on): the reopened row carries its mark.
	step(t, ctx, "connect page", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/connect"), chromedp.WaitVisible(chromedp.CSS("h1")))
	reopened, err := e.st.GetImage(t.Context(), imageID(t, e, "nas", "lscr.io/linuxserver/bazarr:latest"))
	if err != nil {
		t.Fatal(err)
	}
	eval[bool](t, ctx, `localStorage.setItem("dd-last-looked", "`+reopened.StateChangedAt.UTC().Format(time.RFC3339)+`") === undefined`)
	step(t, ctx, "overview at 1280", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")), chromedp.WaitVisible(chromedp.CSS("li.img .mark")))

	if m := eval[string](t, ctx, `document.querySelector("li.img[data-marks*='new digest since'] .mark").textContent`); m != "new digest since you acknowledged" {
		t.Errorf("the reopened row's mark says %q", m)
	}
	if p := eval[[]string](t, ctx, rowProblems+"(true)"); len(p) > 0 {
		t.Errorf("at 1280×800:\n%s", strings.Join(p, "\n"))
	}
	// The tagged rows show all three chips, the ghcr.io rows their source and release notes.
	if n := eval[int](t, ctx, `[...document.querySelectorAll("li.img .name a.chip:not(.ctx)")].filter(c => c.checkVisibility()).length`); n != 12 {
		t.Errorf("%d tag chips shown, want 12 (3 on each of 4 rows)", n)
	}
	if n := eval[int](t, ctx, `[...document.querySelectorAll("li.img .name .link")].filter(c => c.checkVisibility() && /release notes/.test(c.textContent)).length`); n < 3 {
		t.Errorf("%d release-notes links shown, want one on each of the 3 open ghcr.io and lscr.io rows", n)
	}
	if got := eval[string](t, ctx, `[...document.querySelectorAll(".runs")].map(r => r.textContent).find(s => s.includes("nginx-proxy")) || ""`); got != "container nginx-proxy, nginx-proxy-2" {
		t.Errorf("Docker's names read %q, want %q", got, "container nginx-proxy, nginx-proxy-2")
	}
	if arrow := eval[string](t, ctx, `getComputedStyle(document.querySelector("#chart > summary"), "::before").content`); !strings.Contains(arrow, "▸") {
		t.Errorf("the folded chart's summary shows no disclosure arrow (::before is %s)", arrow)
	}
	artifactShot(t, ctx, "rowlayout-light.png", chromedp.CaptureScreenshot())

	// The bulk bar leaves the header in sight and offers only what changes a ticked row.
	step(t, ctx, "tick an open row", 5*time.Second, chromedp.Click(chromedp.CSS(`li.img:not([data-state]) input[name="id"]`)))
	if !eval[bool](t, ctx, `(() => { const b = document.querySelector(".who button").getBoundingClientRect(); const at = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2); return !!at && !!at.closest(".who"); })()`) {
		t.Error("with a box ticked, Sign out is covered")
	}
	if !eval[bool](t, ctx, `(() => { const a = document.querySelector(".top nav a").getBoundingClientRect(); const at = document.elementFromPoint(a.left + a.width / 2, a.top + a.height / 2); return !!at && !!at.closest(".top nav"); })()`) {
		t.Error("with a box ticked, the navigation is covered")
	}
	if shown := bulkButtons(t, ctx); shown != "acknowledge ignore snooze tag delete" {
		t.Errorf("with an open row ticked the bar offers %q, want no reopen", shown)
	}
	step(t, ctx, "all view", 10*time.Second, chromedp.Navigate(e.ts.URL+"/?state=all"), chromedp.WaitVisible(chromedp.CSS(`li.img[data-state="acknowledged"]`)))
	step(t, ctx, "tick the acknowledged row", 5*time.Second, chromedp.Click(chromedp.CSS(`li.img[data-state="acknowledged"] input[name="id"]`)))
	if shown := bulkButtons(t, ctx); shown != "reopen ignore snooze tag delete" {
		t.Errorf("with an acknowledged row ticked the bar offers %q, want no acknowledge", shown)
	}
	step(t, ctx, "tick an open row too", 5*time.Second, chromedp.Click(chromedp.CSS(`li.img:not([data-state]) input[name="id"]`)))
	if shown := bulkButtons(t, ctx); shown != "acknowledge reopen ignore snooze tag delete" {
		t.Errorf("with an open and an acknowledged row ticked the bar offers %q, want all", shown)
	}
	step(t, ctx, "untick", 5*time.Second, chromedp.Click(chromedp.CSS(`li.img:not([data-state]) input[name="id"]`)), chromedp.Click(chromedp.CSS(`li.img[data-state="acknowledged"] input[name="id"]`)))

	// A snooze says its end as a day in the browser's zone (UTC+14 here).
	snooze := eval[[]string](t, ctx, `(() => { const el = document.querySelector("li.img[data-state=snoozed] time[data-day]"); return [el.parentElement.textContent, new Intl.DateTimeFormat(undefined, {weekday: "short", day: "numeric", month: "short", timeZone: "Pacific/Kiritimati"}).format(new Date(el.dateTime))]; })()`)
	if !eval[bool](t, ctx, `(() => { const el = document.querySelector("li.img[data-state=snoozed] time[data-day]").parentElement, b = el.getBoundingClientRect(), m = el.parentElement.getBoundingClientRect(); return b.width > 0 && b.top < m.bottom && b.right <= m.right + 0.5; })()`) {
		t.Error("at 1280 px the snoozed row does not show until when")
	}
	if snooze[0] != "snoozed until "+snooze[1] {
		t.Errorf("the snoozed row says %q, want %q", snooze[0], "snoozed until "+snooze[1])
	}
	if p := eval[[]string](t, ctx, rowProblems+"(true)"); len(p) > 0 {
		t.Errorf("the all view at 1280×800:\n%s", strings.Join(p, "\n"))
	}
	artifactShot(t, ctx, "rowlayout-all-light.png", chromedp.CaptureScreenshot())

	// A phone.
	step(t, ctx, "360×740", 10*time.Second, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if p := eval[[]string](t, ctx, rowProblems+"(false)"); len(p) > 0 {
		t.Errorf("at 360×740:\n%s", strings.Join(p, "\n"))
	}
	if off := eval[[]string](t, ctx, `[...document.querySelectorAll(".tab")].filter(a => a.getBoundingClientRect().right > document.documentElement.clientWidth).map(a => a.textContent)`); len(off) > 0 {
		t.Errorf("at 360 px the tabs %q run off the screen", off)
	}
	step(t, ctx, "the all view on a phone", 10*time.Second, chromedp.Navigate(e.ts.URL+"/?state=all"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if off := eval[[]string](t, ctx, `[...document.querySelectorAll(".tab")].filter(a => a.getBoundingClientRect().right > document.documentElement.clientWidth).map(a => a.textContent)`); len(off) > 0 {
		t.Errorf("at 360 px in the all view the tabs %q run off the screen", off)
	}
	if !eval[bool](t, ctx, `(() => { const el = document.querySelector("li.img[data-state=snoozed] time[data-day]").parentElement, b = el.getBoundingClientRect(), m = el.parentElement.getBoundingClientRect(); return b.width > 0 && b.top < m.bottom && b.right <= m.right + 0.5; })()`) {
		t.Error("at 360 px the snoozed row does not show until when")
	}
	if p := eval[[]string](t, ctx, rowProblems+"(false)"); len(p) > 0 {
		t.Errorf("the all view at 360×740:\n%s", strings.Join(p, "\n"))
	}
	step(t, ctx, "tick on a phone", 5*time.Second, chromedp.Click(chromedp.CSS(`li.img input[name="id"]`)))
	if h := eval[float64](t, ctx, `document.getElementById("bulk").getBoundingClientRect().height`); h > 80 {
		t.Errorf("at 360 px the bulk bar is %.0f px high, want two lines at most (80 px)", h)
	}
	if sw, cw := eval[int](t, ctx, `document.documentElement.scrollWidth`), eval[int](t, ctx, `document.documentElement.clientWidth`); sw > cw {
		t.Errorf("at 360 px with the bulk bar the page is %d px wide in a %d px window", sw, cw)
	}
	artifactShot(t, ctx, "rowlayout-mobile.png", chromedp.CaptureScreenshot())
	// The image page's title keeps its tag in one piece.
	step(t, ctx, "image page at 360", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")),
		chromedp.Click(chromedp.CSS(`li.img:not([data-state]) .name a[href^="/images/"]`)), chromedp.WaitVisible(chromedp.CSS("h1 .tag")))
	if n := eval[int](t, ctx, `document.querySelector("h1 .tag").getClientRects().length`); n != 1 {
		t.Errorf("at 360 px the image page's tag is broken over %d lines", n)
	}

	// Without a script, the Legend stays on the filters' line at 1280 px.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "no script", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#legend")))
	if d := eval[float64](t, ctx, `document.querySelector("#legend > summary").getBoundingClientRect().top - document.querySelector("#filter-q").getBoundingClientRect().top`); d > 12 {
		t.Errorf("without a script the Legend is %.0f px below the search field: on a line of its own", d)
	}
	artifactShot(t, ctx, "rowlayout-noscript-light.png", chromedp.CaptureScreenshot())
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}
}

// bulkButtons is the values of the bulk bar's buttons that show, in order.
func bulkButtons(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `[...document.querySelectorAll("#bulk button")].filter(b => b.checkVisibility()).map(b => b.value).join(" ")`)
}
