package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
)

// shownHosts is what the overview's list shows: its host groups, in order.
const shownHosts = `[...document.querySelectorAll("details.host")].map((d) => d.dataset.host).join(",")`

// TestBrowserBackShowsTheAddressFilters: after Back and Forward between views the filters
// name the view the list shows, the address's, not the one chosen later (issue 18, B2).
func TestBrowserBackShowsTheAddressFilters(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRows(t, e, 24)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	choose := func(host string) {
		t.Helper()
		step(t, ctx, "choose "+host, 5*time.Second,
			chromedp.SetValue(chromedp.CSS(`select[name="host"]`), host),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('select[name="host"]').dispatchEvent(new Event("change", {bubbles: true}))`))
		waitTrue(t, ctx, "the list of "+host, fmt.Sprintf(`%s === %q`, shownHosts, host))
	}
	choose("host-1")
	choose("host-2")
	for _, move := range []struct{ how, host, address string }{
		{"back", "host-1", "/?host=host-1"},
		{"back", "", "/"},
		{"forward", "host-1", "/?host=host-1"},
	} {
		eval[bool](t, ctx, fmt.Sprintf(`history.%s(), true`, move.how))
		want := move.host
		if want == "" {
			want = "host-0,host-1,host-2,host-3,host-4,host-5,host-6,host-7"
		}
		waitTrue(t, ctx, "the list after "+move.how, fmt.Sprintf(`%s === %q`, shownHosts, want))
		if got := eval[string](t, ctx, `location.pathname + location.search`); got != move.address {
			t.Errorf("after %s the address is %q, want %q", move.how, got, move.address)
		}
		if got := eval[string](t, ctx, `document.querySelector('select[name="host"]').value`); got != move.host {
			t.Errorf("after %s to %s the host filter shows %q, want %q", move.how, move.address, got, move.host)
		}
	}
}

// TestBrowserSearchHasItsOwnHistoryEntry: a typed search gets one history entry, however many
// keys it took, so that Back goes back to the overview it was typed on, and Forward to the
// search again (issue 18, B3).
func TestBrowserSearchHasItsOwnHistoryEntry(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRows(t, e, 24)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	entries := eval[int](t, ctx, `history.length`)
	step(t, ctx, "type a search", 10*time.Second,
		chromedp.Click(chromedp.ID("filter-q")),
		chromedp.SendKeys(chromedp.ID("filter-q"), "service-00"),
	)
	// The search applies after a pause in typing; typing goes on after it did: the same entry.
	waitTrue(t, ctx, "the first result", `location.search === "?q=service-00"`)
	step(t, ctx, "type on", 10*time.Second, chromedp.SendKeys(chromedp.ID("filter-q"), "7"))
	waitTrue(t, ctx, "the refined result", `location.search === "?q=service-007" && document.querySelectorAll("li.img").length === 1`)
	if n := eval[int](t, ctx, `history.length`) - entries; n != 1 {
		t.Errorf("the search made %d history entries, want 1", n)
	}
	eval[bool](t, ctx, `history.back(), true`)
	waitTrue(t, ctx, "the overview again", `document.querySelectorAll("li.img").length === 24`)
	if got := eval[string](t, ctx, `location.pathname + location.search`); got != "/" {
		t.Errorf("Back from the search went to %q, want the overview it was typed on, /", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("filter-q").value`); got != "" {
		t.Errorf("back on the overview the search field holds %q, want it empty", got)
	}
	eval[bool](t, ctx, `history.forward(), true`)
	waitTrue(t, ctx, "the search again", `document.querySelectorAll("li.img").length === 1`)
	if got := eval[string](t, ctx, `location.search + " " + document.getElementById("filter-q").value`); got != "?q=service-007 service-007" {
		t.Errorf("Forward to the search shows address and field %q, want ?q=service-007 service-007", got)
	}
}
