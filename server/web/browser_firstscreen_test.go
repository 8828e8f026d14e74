package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// seedRealistic is a week of updates as a home lab sees them: several hosts, long names,
// tags, containers, pods and services.
func seedRealistic(t *testing.T, e *env) {
	t.Helper()
	seed(e)
	for i := range 12 {
		e.notify("nas", fmt.Sprintf("ghcr.io/linuxserver-community/very-long-image-name-for-a-media-service-%02d:2026.11.%d-ls%d", i, i+1, 200+i), digestN(100+i),
			fmt.Sprintf(`{"ctn_names":"media-stack-service-%02d-1","com.docker.compose.project":"media"}`, i))
	}
	for i := range 4 {
		e.notify("pi-garage", fmt.Sprintf("docker.io/homeassistant/home-assistant:2026.11.%d", i), digestN(200+i), `{"ctn_names":"homeassistant"}`)
	}
	e.login()
	postJSON(t, e, "/tags", map[string][]string{"name": {"media"}})
}

// rowsInView counts the image rows wholly inside the window (the layout viewport, which
// is what a person sees without zooming).
const rowsInView = `[...document.querySelectorAll("li.img")].filter(r => { const b = r.getBoundingClientRect(); return b.height > 0 && b.top >= 0 && b.bottom <= document.documentElement.clientHeight; }).length`

// smallTargets lists the buttons, links and boxes in rows, tabs, pagers and the bulk bar
// that are smaller than 24×24 px.
const smallTargets = `[...document.querySelectorAll("li.img a, li.img button, li.img input, li.img summary, .tabs a, .pager a, #bulk button, #bulk select, #bulk input:not([type=hidden]), .select-all")]
  .filter(el => el.checkVisibility())
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, b]) => b.width < 24 || b.height < 24)
  .map(([el, b]) => el.outerHTML.slice(0, 60) + " " + Math.round(b.width) + "×" + Math.round(b.height))`

// TestBrowserFirstScreenNumbers: with realistic data, the first screen shows at least 12 rows
// at 1280×800 and 3 at 360×740 (light theme), every touch target is at least 24×24 px at
// 360 px, and nothing overflows sideways.
func TestBrowserFirstScreenNumbers(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRealistic(t, e)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "1280×800", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if n := eval[int](t, ctx, rowsInView); n < 12 {
		t.Errorf("%d rows on the first screen at 1280×800, want at least 12", n)
	} else {
		t.Logf("%d rows on the first screen at 1280×800", n)
	}
	artifactShot(t, ctx, "first-screen-realistic.png", chromedp.CaptureScreenshot())

	step(t, ctx, "360×740", 10*time.Second, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if n := eval[int](t, ctx, rowsInView); n < 3 {
		t.Errorf("%d rows on the first screen at 360×740, want at least 3", n)
	} else {
		t.Logf("%d rows on the first screen at 360×740", n)
	}
	artifactShot(t, ctx, "first-screen-realistic-mobile.png", chromedp.CaptureScreenshot())
	// The bulk bar shows once a box is ticked: measure it too.
	step(t, ctx, "tick a box", 5*time.Second, chromedp.Click(chromedp.CSS(`li.img input[name="id"]`)))
	if small := eval[[]string](t, ctx, smallTargets); len(small) > 0 {
		t.Errorf("touch targets under 24×24 px at 360 px:\n%s", strings.Join(small, "\n"))
	}
	if sw, cw := eval[int](t, ctx, `document.documentElement.scrollWidth`), eval[int](t, ctx, `document.documentElement.clientWidth`); sw > cw {
		t.Errorf("at 360 px the page is %d px wide in a %d px window: %v", sw, cw, eval[[]string](t, ctx, `[...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest(".tabs, .meta")).slice(0, 6).map(el => el.outerHTML.slice(0, 80))`))
	}
	// A pager with pages: its links are targets too.
	step(t, ctx, "paged", 10*time.Second, chromedp.Navigate(e.ts.URL+"/?limit=5"), chromedp.Click(chromedp.CSS(`a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)))
	if small := eval[[]string](t, ctx, smallTargets); len(small) > 0 {
		t.Errorf("touch targets under 24×24 px on the second page at 360 px:\n%s", strings.Join(small, "\n"))
	}
	if r := eval[string](t, ctx, `document.querySelector(".range").textContent`); r != "6–10 of 23" {
		t.Errorf("the second page of 5 says %q, want 6–10 of 23", r)
	}
}

// TestBrowserFiltersApplyInPlace: a filter applies as it changes, the address stays clean,
// and the search field keeps its focus and caret while the list follows the typing.
func TestBrowserFiltersApplyInPlace(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRealistic(t, e)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if eval[bool](t, ctx, `document.querySelector("#filters .apply").checkVisibility()`) {
		t.Error("the Apply button shows although the filters apply by themselves")
	}
	// A marker on the window tells a refresh in place from a page load.
	eval[bool](t, ctx, `window.samePage = true`)
	step(t, ctx, "type a search", 10*time.Second,
		chromedp.Click(chromedp.ID("filter-q")),
		chromedp.SendKeys(chromedp.ID("filter-q"), "home-assist"),
		chromedp.WaitNotPresent(chromedp.CSS(`details[data-host="nas"]`)),
	)
	if loc := eval[string](t, ctx, `location.pathname + location.search`); loc != "/?q=home-assist" {
		t.Errorf("after typing the address is %q, want /?q=home-assist", loc)
	}
	if !eval[bool](t, ctx, `window.samePage === true`) {
		t.Error("the search reloaded the page")
	}
	if got := eval[string](t, ctx, `document.activeElement.id + ":" + document.activeElement.selectionStart + ":" + document.activeElement.value`); got != "filter-q:11:home-assist" {
		t.Errorf("after the search applied, focus, caret and text are %q, want filter-q:11:home-assist", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("li.img").length`); n != 4 {
		t.Errorf("the search shows %d rows, want the 4 of home-assistant", n)
	}
	step(t, ctx, "choose a host", 10*time.Second,
		chromedp.SetValue(chromedp.CSS(`select[name="host"]`), "nas"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('select[name="host"]').dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`.empty`)),
	)
	if loc := eval[string](t, ctx, `location.pathname + location.search`); loc != "/?q=home-assist&host=nas" {
		t.Errorf("after choosing a host the address is %q, want /?q=home-assist&host=nas", loc)
	}
	// Enter applies at once, in place too.
	step(t, ctx, "back to all", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	eval[bool](t, ctx, `window.samePage = true`)
	step(t, ctx, "search and Enter", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("filter-q"), "immich"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitNotPresent(chromedp.CSS(`details[data-host="k3s-main"]`)),
	)
	if loc := eval[string](t, ctx, `location.pathname + location.search`); loc != "/?q=immich" || !eval[bool](t, ctx, `window.samePage === true`) {
		t.Errorf("Enter in the search led to %q (same page: %v), want /?q=immich in place", loc, eval[bool](t, ctx, `window.samePage === true`))
	}
	// Without a script the form sends every field; the server cleans the address.
	step(t, ctx, "plain form", 10*time.Second, chromedp.Navigate(e.ts.URL+"/?q=&host=nas&tag=&provider=&sort=host"), chromedp.WaitVisible(chromedp.CSS(`details[data-host="nas"]`)))
	if loc := eval[string](t, ctx, `location.pathname + location.search`); loc != "/?host=nas" {
		t.Errorf("a plain form's address became %q, want /?host=nas", loc)
	}
}

// TestBrowserSelectionAndKeys: select-all per host, shift-click ranges, the bulk bar only
// while something is ticked, the keyboard shortcuts, menus that close, and Undo by key.
func TestBrowserSelectionAndKeys(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRealistic(t, e)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))

	ticked := func(host string) int {
		return eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('details[data-host="%s"] li.img input[name="id"]:checked').length`, host))
	}
	step(t, ctx, "select all of pi-garage", 5*time.Second, chromedp.Click(chromedp.CSS(`details[data-host="pi-garage"] input.select-all`)))
	if n := ticked("pi-garage"); n != 4 {
		t.Errorf("select-all ticked %d rows of pi-garage, want 4", n)
	}
	if n := ticked("nas"); n != 0 {
		t.Errorf("select-all of pi-garage ticked %d rows of nas", n)
	}
	if !eval[bool](t, ctx, `document.getElementById("bulk").checkVisibility()`) || !strings.HasPrefix(eval[string](t, ctx, `document.getElementById("bulk-count").textContent`), "4 selected") {
		t.Error("the bulk bar does not show the 4 ticked rows")
	}
	step(t, ctx, "untick all", 5*time.Second, chromedp.Click(chromedp.CSS(`details[data-host="pi-garage"] input.select-all`)))
	if eval[bool](t, ctx, `document.getElementById("bulk").checkVisibility()`) {
		t.Error("the bulk bar shows with nothing ticked")
	}
	// Shift-click: the 2nd to the 5th row of nas.
	boxes := `details[data-host="nas"] li.img input[name="id"]`
	step(t, ctx, "shift-click a range", 5*time.Second,
		chromedp.Click(chromedp.CSS(`details[data-host="nas"] li.img:nth-child(2) input[name="id"]`)),
		chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector('details[data-host="nas"] li.img:nth-child(5) input[name="id"]'); b.dispatchEvent(new MouseEvent("click", {bubbles: true, shiftKey: true})); return true })()`),
	)
	if got := eval[string](t, ctx, `[...document.querySelectorAll('`+boxes+`')].map(b => b.checked ? "x" : ".").join("").slice(0, 7)`); got != ".xxxx.." {
		t.Errorf("after a shift-click from row 2 to 5 the boxes are %q, want .xxxx..", got)
	}
	eval[bool](t, ctx, `[...document.querySelectorAll('input[name="id"]:checked')].forEach(b => b.click()) || true`)
	eval[bool](t, ctx, `document.activeElement.blur() || true`)

	// j/k move a visible focus between rows; a acknowledges the focused row and moves on.
	rowID := `(document.activeElement.closest("li.img") || {}).id || document.activeElement.tagName`
	// With a modifier a key is the browser's, not a shortcut.
	step(t, ctx, "ctrl+j, alt+j", 5*time.Second, chromedp.KeyEvent("j", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("j", chromedp.KeyModifiers(chromedp.ModifierAlt)))
	if got := eval[string](t, ctx, rowID); got != "BODY" {
		t.Errorf("ctrl+j or alt+j moved focus to %s", got)
	}
	step(t, ctx, "j j k j", 5*time.Second, chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"), chromedp.KeyEvent("j"))
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll("li.img")].map(r => r.id)`)
	if got := eval[string](t, ctx, rowID); got != rows[1] {
		t.Fatalf("after j j k j focus is on %s, want the second row %s", got, rows[1])
	}
	if eval[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle`) == "none" {
		t.Error("the focused row has no visible outline")
	}
	var id int64
	fmt.Sscanf(rows[1], "img-%d", &id)
	step(t, ctx, "a", 10*time.Second, chromedp.KeyEvent("a"), chromedp.WaitNotPresent(chromedp.ID(rows[1])), chromedp.WaitVisible(chromedp.CSS("#notice button.undo")))
	if img, _ := e.st.GetImage(t.Context(), id); img.State != store.StateAcknowledged {
		t.Errorf("a left %s %s, want acknowledged", rows[1], img.State)
	}
	if got := eval[string](t, ctx, rowID); got != rows[2] {
		t.Errorf("after a, focus is on %s, want the next row %s", got, rows[2])
	}
	// u undoes while the notice shows.
	step(t, ctx, "u", 10*time.Second, chromedp.KeyEvent("u"), chromedp.WaitVisible(chromedp.ID(rows[1])))
	if img, _ := e.st.GetImage(t.Context(), id); img.State != store.StateOpen {
		t.Errorf("u left %s %s, want open again", rows[1], img.State)
	}
	// s snoozes the focused row for 7 days.
	step(t, ctx, "focus and s", 10*time.Second, chromedp.Evaluate[chromedp.Void](`(() => { const r = document.getElementById("`+rows[1]+`"); r.tabIndex = -1; r.focus(); })()`), chromedp.KeyEvent("s"), chromedp.WaitNotPresent(chromedp.ID(rows[1])))
	if img, _ := e.st.GetImage(t.Context(), id); img.State != store.StateSnoozed || img.SnoozedUntil == nil || time.Until(*img.SnoozedUntil) < 6*24*time.Hour {
		t.Errorf("s left %s %s until %v, want snoozed for 7 days", rows[1], img.State, img.SnoozedUntil)
	}
	// x ticks the focused row.
	step(t, ctx, "x", 5*time.Second, chromedp.KeyEvent("x"))
	if !eval[bool](t, ctx, `document.activeElement.querySelector('input[name="id"]').checked`) {
		t.Error("x did not tick the focused row")
	}
	eval[bool](t, ctx, `document.activeElement.querySelector('input[name="id"]').click() || true`)
	// Keys typed into a field are text, not shortcuts.
	before := eval[string](t, ctx, rowID)
	step(t, ctx, "type j in the search", 5*time.Second, chromedp.Focus(chromedp.ID("filter-q")), chromedp.KeyEvent("j"))
	if got := eval[string](t, ctx, `document.activeElement.id + ":" + document.activeElement.value`); got != "filter-q:j" {
		t.Errorf("typing j in the search gave %q (was on %s), want the letter in the field", got, before)
	}
	step(t, ctx, "clear", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	// ? lists the keys; Escape closes the list.
	step(t, ctx, "?", 5*time.Second, chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.ID("keys-help")))
	if txt := eval[string](t, ctx, `document.getElementById("keys-help").textContent`); !strings.Contains(txt, "Acknowledge") || !strings.Contains(txt, "Snooze") {
		t.Errorf("the list of keys says %q", txt)
	}
	artifactShot(t, ctx, "overview-keys-help-light.png", chromedp.CaptureScreenshot())
	step(t, ctx, "Escape", 5*time.Second, chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.ID("keys-help")))
	// A row's menu closes on Escape, and on a click elsewhere.
	menu := `li.img details.menu`
	step(t, ctx, "open a menu", 5*time.Second, chromedp.Click(chromedp.CSS(menu+" > summary")), chromedp.WaitVisible(chromedp.CSS(menu+" .menu-body")))
	step(t, ctx, "Escape", 5*time.Second, chromedp.KeyEvent(kb.Escape))
	if eval[bool](t, ctx, `document.querySelector("li.img details.menu").open`) {
		t.Errorf("Escape left the menu open (focus on %s)", eval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 60)`))
	}
	step(t, ctx, "open it again", 5*time.Second, chromedp.Click(chromedp.CSS(menu+" > summary")), chromedp.WaitVisible(chromedp.CSS(menu+" .menu-body")))
	step(t, ctx, "click elsewhere", 5*time.Second, chromedp.Click(chromedp.CSS("h1")))
	if eval[bool](t, ctx, `document.querySelector("li.img details.menu").open`) {
		t.Error("a click outside left the menu open")
	}
	// In the view of every state the row acted on stays: focus still goes on to the next.
	step(t, ctx, "all states", 10*time.Second, chromedp.Navigate(e.ts.URL+"/?state=all"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	rows = eval[[]string](t, ctx, `[...document.querySelectorAll("li.img")].map(r => r.id)`)
	step(t, ctx, "acknowledge by Enter", 10*time.Second,
		chromedp.Focus(chromedp.CSS(`#`+rows[0]+` .acts button.primary`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`#`+rows[0]+` .acts button[value="reopen"]`)),
	)
	pollPage(t, ctx, `(document.activeElement.closest("li.img") || {}).id === "`+rows[1]+`"`, "focus on the next row after acting in the view of every state")
}

// TestBrowserSinceILastLooked: rows that arrived or were reopened by a new digest since this
// browser last looked are marked, and the window's title counts the open updates, live.
func TestBrowserSinceILastLooked(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.notify("nas", "docker.io/acme/old:1", digestN(1), "")
	e.notify("nas", "docker.io/acme/acked:1", digestN(2), "")
	e.login()
	acked := imageID(t, e, "nas", "docker.io/acme/acked:1")
	postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", acked), nil)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	// The first visit ever marks nothing: everything would be new.
	if n := eval[int](t, ctx, `document.querySelectorAll("li.img .mark").length`); n != 0 { // the Legend shows one
		t.Errorf("the first visit marks %d rows", n)
	}
	if title := eval[string](t, ctx, `document.title`); title != "(1) Updates · DiunDashboard" {
		t.Errorf("the title is %q, want (1) Updates · DiunDashboard", title)
	}
	// Leave, and come back after a new image and a new digest of the acknowledged one.
	step(t, ctx, "leave", 10*time.Second, chromedp.Navigate(e.ts.URL+"/connect"), chromedp.WaitVisible(chromedp.CSS("main")))
	time.Sleep(1100 * time.Millisecond) // the store keeps times to the second
	e.notify("nas", "docker.io/acme/fresh:1", digestN(3), "")
	e.notify("nas", "docker.io/acme/acked:1", digestN(4), "")
	step(t, ctx, "come back", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	marks := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("li.img")].map(r => [r.querySelector(".name a").textContent, (r.querySelector(".mark") || {}).textContent || ""]))`)
	want := map[string]string{"acme/old:1": "", "acme/fresh:1": "new", "acme/acked:1": "new digest since you acknowledged"}
	for name, w := range want {
		if marks[name] != w {
			t.Errorf("%s is marked %q, want %q", name, marks[name], w)
		}
	}
	if title := eval[string](t, ctx, `document.title`); title != "(3) Updates · DiunDashboard" {
		t.Errorf("the title is %q, want (3) Updates · DiunDashboard", title)
	}
	// Live: one more arrives; it is marked and the title counts it.
	e.notify("pi", "docker.io/acme/live:1", digestN(5), "")
	step(t, ctx, "live insert", 5*time.Second, chromedp.WaitVisible(chromedp.CSS(`details[data-host="pi"] li.img .mark`)))
	pollPage(t, ctx, `document.title === "(4) Updates · DiunDashboard"`, "the title to count the live update")
}

// TestBrowserSetupCardGoesLive: a fresh install shows how to connect Diun; the card says
// "Connected" as soon as Diun's test notification arrives, without a reload.
func TestBrowserSetupCardGoesLive(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "fresh overview", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")), chromedp.WaitVisible(chromedp.ID("setup")))
	if txt := eval[string](t, ctx, `document.getElementById("setup").textContent`); !strings.Contains(txt, "diun notif test") || strings.Contains(txt, "Connected —") {
		t.Errorf("the setup card says %q", txt)
	}
	reviewShot(t, ctx, "overview-fresh-light.png")
	e.notify("vm", store.TestImage, digestN(1), "")
	pollPage(t, ctx, `document.getElementById("setup").textContent.includes("Connected — Diun's test notification arrived")`, "the card to say Connected")
	reviewShot(t, ctx, "overview-connected-light.png")
}

// pollPage polls cond in the page until it holds, or fails the test after 5 s.
func pollPage(t *testing.T, ctx context.Context, cond, what string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Poll[chromedp.Void](cond)); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// TestBrowserUndoStaysWhileWanted: the notice of an action offers Undo for 15 s, and not
// less while the pointer is on it or focus is in it. The page's clock is Chromium's virtual
// time, advanced on demand: no test waits for the seconds themselves.
func TestBrowserUndoStaysWhileWanted(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	for i := range 3 {
		e.notify("nas", fmt.Sprintf("docker.io/acme/app-%d:1", i), digestN(i+1), "")
	}
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	// advance lets ms of the page's time pass at once.
	advance := func(ms float64) {
		t.Helper()
		expired := make(chan struct{}, 1)
		lctx, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			for _, err := range chromedp.Events(lctx, emulation.VirtualTimeBudgetExpired) {
				if err == nil {
					expired <- struct{}{}
				}
				return
			}
		}()
		if _, err := chromedp.Call(ctx, emulation.SetVirtualTimePolicy, emulation.SetVirtualTimePolicyParams{Policy: emulation.VirtualTimePolicyAdvance, Budget: &ms}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-expired:
		case <-time.After(10 * time.Second):
			t.Fatalf("%.0f ms of virtual time did not pass", ms)
		}
	}
	shown := func() bool { return eval[bool](t, ctx, `!document.getElementById("notice").hidden`) }
	act := func() {
		t.Helper()
		step(t, ctx, "acknowledge", 10*time.Second, chromedp.Click(chromedp.CSS(`li.img .acts button.primary`)), chromedp.WaitVisible(chromedp.CSS("#notice button.undo")))
	}

	act()
	advance(10000)
	if !shown() {
		t.Fatal("the Undo went before 10 s")
	}
	advance(6000)
	if shown() {
		t.Error("the notice stays after 16 s with nobody on it")
	}

	// The pointer on the notice holds it; leaving gives it its whole time again.
	act()
	box := eval[[]float64](t, ctx, `(() => { const b = document.getElementById("notice").getBoundingClientRect(); return [b.x + 5, b.y + b.height / 2] })()`)
	step(t, ctx, "pointer on the notice", 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0], box[1]))
	advance(60000)
	if !shown() {
		t.Fatal("the notice went while the pointer was on it")
	}
	step(t, ctx, "pointer away", 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 5, 400))
	advance(10000)
	if !shown() {
		t.Error("the notice went less than 15 s after the pointer left it")
	}
	advance(6000)
	if shown() {
		t.Error("the notice stays 16 s after the pointer left it")
	}

	// Focus in the notice (from the keyboard) holds it too.
	act()
	step(t, ctx, "focus Undo", 5*time.Second, chromedp.Focus(chromedp.CSS("#notice button.undo")))
	advance(60000)
	if !shown() {
		t.Error("the notice went while its Undo had focus")
	}
}
