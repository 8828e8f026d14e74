package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// seedRows stores n open images on eight hosts, straight into the store, received three days
// ago: their "first seen 3 days ago" reads the same for the whole test, so that a refresh
// changes only the rows the test changes.
func seedRows(t *testing.T, e *env, n int) {
	t.Helper()
	at := time.Now().Add(-80 * time.Hour)
	built := time.Date(2026, 6, 27, 13, 20, 19, 0, time.UTC)
	for i := range n {
		_, err := e.st.Record(t.Context(), store.Notification{
			DiunVersion: "v4.33.0", Hostname: fmt.Sprintf("host-%d", i%8), Status: "update", Provider: "docker",
			Image:   fmt.Sprintf("ghcr.io/linuxserver-community/media-service-%03d:2026.11.%d-ls%d", i, i%28+1, 200+i),
			HubLink: "https://hub.docker.com/r/acme/app", MimeType: "application/vnd.oci.image.index.v1+json",
			Digest: digestN(10000 + i), Created: &built, Platform: "linux/amd64",
			Metadata:   map[string]string{"ctn_names": fmt.Sprintf("media-service-%03d-1", i), "com.docker.compose.project": "media"},
			ReceivedAt: at.Add(time.Duration(i) * time.Second),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// watchMainThread makes the page keep the long tasks (over 50 ms) its main thread runs, and
// the image rows whose nodes a refresh changes.
const watchMainThread = `(() => {
	window.__long = [];
	new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); }).observe({ type: "longtask" });
	window.__touched = new Set();
	new MutationObserver((ms) => {
		for (const m of ms) {
			const el = m.target.nodeType === Node.ELEMENT_NODE ? m.target : m.target.parentElement;
			const row = el && el.closest("li.img");
			if (row) window.__touched.add(row.id);
		}
	}).observe(document.getElementById("main"), { subtree: true, childList: true, attributes: true, characterData: true });
	return true;
})()`

// mainThread is what one refresh or action cost the page, from the trigger until the page
// settled.
type mainThread struct {
	// Longest is the longest task the long-task observer saw (over 50 ms; 0: none was), in
	// wall time, which a machine busy with other work stretches.
	Longest time.Duration
	// Task is the longest task of the page's main thread in the thread's own time (from
	// Chromium's trace): what the page made it do, not what the machine made it wait; Work
	// is all its tasks' time.
	Task, Work time.Duration
	// Touched is how many existing rows the refresh changed; Fragment the bytes of the last
	// refresh's answer.
	Touched  int
	Fragment int
}

// traceEvent is what traceTasks reads of an event of Chromium's trace.
type traceEvent struct {
	Name string `json:"name"`
	Ph   string `json:"ph"`
	Pid  int64  `json:"pid"`
	Tid  int64  `json:"tid"`
	// Tdur is a task's thread time, in µs.
	Tdur int64 `json:"tdur"`
	Args struct {
		Name string `json:"name"`
	} `json:"args"`
}

// traceTasks traces the renderers' main threads while fn runs, and returns their longest
// task and the sum of their tasks, in thread time.
func traceTasks(t *testing.T, ctx context.Context, fn func()) (longest, total time.Duration) {
	t.Helper()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var events []traceEvent
	go func() {
		for ev, err := range chromedp.Events(lctx, tracing.DataCollected) {
			if err != nil {
				return
			}
			mu.Lock()
			for _, v := range ev.Value {
				var e traceEvent
				if json.Unmarshal(v, &e) == nil && (e.Ph == "X" || e.Ph == "M") {
					events = append(events, e)
				}
			}
			mu.Unlock()
		}
	}()
	complete := make(chan struct{})
	go func() {
		for _, err := range chromedp.Events(lctx, tracing.TracingComplete) {
			if err == nil {
				close(complete)
			}
			return
		}
	}()
	if _, err := chromedp.Call(ctx, tracing.Start, tracing.StartParams{
		TransferMode: tracing.StartTransferModeReportEvents,
		TraceConfig:  &tracing.TraceConfig{IncludedCategories: []string{"toplevel", "disabled-by-default-devtools.timeline"}},
	}); err != nil {
		t.Fatal(err)
	}
	fn()
	if _, err := chromedp.Call(ctx, tracing.End, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-complete:
	case <-time.After(10 * time.Second):
		t.Fatal("the trace did not complete")
	}
	time.Sleep(200 * time.Millisecond) // the last events' listener
	mu.Lock()
	defer mu.Unlock()
	type thread struct{ pid, tid int64 }
	renderer := map[thread]bool{}
	for _, e := range events {
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			renderer[thread{e.Pid, e.Tid}] = true
		}
	}
	for _, e := range events {
		if e.Ph == "X" && e.Name == "RunTask" && renderer[thread{e.Pid, e.Tid}] {
			d := time.Duration(e.Tdur) * time.Microsecond
			total += d
			longest = max(longest, d)
		}
	}
	return longest, total
}

// measure runs trigger, waits until done holds in the page and the page settled, and says
// what the main thread did meanwhile.
func measure(t *testing.T, ctx context.Context, trigger func(), done string) mainThread {
	t.Helper()
	eval[bool](t, ctx, `window.__long = [], window.__touched.clear(), performance.clearResourceTimings(), true`)
	var m mainThread
	m.Task, m.Work = traceTasks(t, ctx, func() {
		trigger()
		// Polled every 50 ms rather than every frame, which would be work of the test's own.
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := chromedp.Run(wctx, chromedp.Poll[bool](done, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			t.Fatalf("waiting for %s: %v", done, err)
		}
		// The refresh ends with the swap; the observers report after it.
		time.Sleep(500 * time.Millisecond)
	})
	m.Longest = time.Duration(eval[float64](t, ctx, `Math.max(0, ...window.__long)`) * float64(time.Millisecond))
	m.Touched = eval[int](t, ctx, `window.__touched.size`)
	m.Fragment = eval[int](t, ctx, `(performance.getEntriesByType("resource").filter((r) => r.initiatorType === "fetch" && new URL(r.name).pathname === "/").pop() || {}).decodedBodySize || 0`)
	return m
}

// TestBrowserRefreshPatchesChangedRows: on a page of 200 rows, a live refresh or an action
// changes only the rows that changed, and costs the main thread at most 50 ms (issue 18, F1:
// every refresh blocked it for 400–570 ms at 200 rows, with a 430 KB fragment).
//
// The long-task observer's figures are wall time, which a shared machine stretches many times
// over (at a load of 40 on two cores a 15 ms swap showed as a 100–200 ms task): they are
// logged, and what is held to 50 ms is the same work in the thread's own time. Each figure is
// the best of up to five tries, the first without a long task ending them.
func TestBrowserRefreshPatchesChangedRows(t *testing.T) {
	for _, rows := range []int{10, 200} {
		t.Run(fmt.Sprint(rows, "Rows"), func(t *testing.T) {
			ctx := newBrowser(t)
			e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
			seedRows(t, e, rows)
			signIn(t, ctx, e.ts.URL)
			step(t, ctx, "overview", 30*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
			if n := eval[int](t, ctx, `document.querySelectorAll("li.img").length`); n != rows {
				t.Fatalf("the overview shows %d rows, want %d", n, rows)
			}
			eval[bool](t, ctx, watchMainThread)

			best := func(what string, try func(i int) mainThread) mainThread {
				var b mainThread
				for i := range 5 {
					m := try(i)
					t.Logf("%d rows, %s %d: longest task %v (thread time %v), all tasks %v, %d rows changed, fragment %d bytes", rows, what, i+1, m.Longest, m.Task.Round(time.Millisecond/10), m.Work.Round(time.Millisecond/10), m.Touched, m.Fragment)
					// The row acted on, or the one with a new digest, and nothing else.
					if m.Touched > 1 {
						t.Errorf("%s on %d rows changed %d rows, want only the one that changed", what, rows, m.Touched)
					}
					if i == 0 {
						b = m
					}
					b.Longest, b.Task, b.Work = min(b.Longest, m.Longest), min(b.Task, m.Task), min(b.Work, m.Work)
					if b.Longest == 0 && b.Task <= 50*time.Millisecond {
						break
					}
				}
				return b
			}
			// A new digest for one image: its row says "last seen just now".
			live := best("live refresh", func(i int) mainThread {
				ref := fmt.Sprintf("ghcr.io/linuxserver-community/media-service-%03d:2026.11.%d-ls%d", i, i%28+1, 200+i)
				id := imageID(t, e, fmt.Sprintf("host-%d", i%8), ref)
				return measure(t, ctx, func() { e.notify(fmt.Sprintf("host-%d", i%8), ref, digestN(20000+i), "") },
					fmt.Sprintf(`document.getElementById("img-%d").textContent.includes("last seen just now")`, id))
			})
			// Acknowledge a row: it leaves the open list.
			act := best("acknowledge", func(i int) mainThread {
				id := eval[string](t, ctx, `document.querySelectorAll("li.img")[3].id`)
				return measure(t, ctx, func() {
					step(t, ctx, "acknowledge", 5*time.Second, chromedp.Click(chromedp.CSS("#"+id+" button.primary")))
				}, fmt.Sprintf(`!document.getElementById(%q) && !document.getElementById("notice").hidden`, id))
			})
			for what, m := range map[string]mainThread{"a live refresh": live, "an action": act} {
				t.Logf("%d rows, %s (best of the tries): longest task %v, in thread time %v; all tasks %v", rows, what, m.Longest, m.Task.Round(time.Millisecond/10), m.Work.Round(time.Millisecond/10))
				if m.Task > 50*time.Millisecond {
					t.Errorf("%s on %d rows blocked the main thread for %v of its time, want at most 50 ms", what, rows, m.Task)
				}
			}
		})
	}
}

// TestBrowserLiveRowsAtTheTopStayInView: at the top of the overview, rows that come in above
// the list are seen where they come in, under the header and the tabs, which stay in view,
// with or without a pointer resting on the list; once the person has scrolled into the list,
// what they look at stays where it is (issue 18, B1).
func TestBrowserLiveRowsAtTheTopStayInView(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRows(t, e, 60)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	// A host that sorts before host-0: its group comes in above every row.
	arrive := func(n int) {
		t.Helper()
		e.notify("aaa-top", fmt.Sprintf("docker.io/acme/top:%d", n), digestN(30000+n), "")
		waitTrue(t, ctx, "the new row", fmt.Sprintf(`[...document.querySelectorAll('details[data-host="aaa-top"] li.img')].length === %d`, n))
		time.Sleep(300 * time.Millisecond) // the swap's scrolling, if any
	}
	inView := func(what string) {
		t.Helper()
		if y := eval[float64](t, ctx, `window.scrollY`); y != 0 {
			t.Errorf("%s: a live row at the top scrolled the page by %.0f px", what, y)
		}
		for _, sel := range []string{"h1", ".tabs", `details[data-host="aaa-top"] li.img`} {
			if !eval[bool](t, ctx, fmt.Sprintf(`(r => r.top >= 0 && r.bottom <= innerHeight)(document.querySelector(%q).getBoundingClientRect())`, sel)) {
				t.Errorf("%s: %s is out of view after a live row came in at the top", what, sel)
			}
		}
	}
	arrive(1)
	inView("no pointer")

	// A pointer resting on a row (read, not about to click) does not hold it either.
	x := eval[float64](t, ctx, `document.querySelector('details[data-host="host-0"] li.img').getBoundingClientRect().left + 40`)
	y := eval[float64](t, ctx, `(r => r.top + r.height / 2)(document.querySelector('details[data-host="host-0"] li.img').getBoundingClientRect())`)
	step(t, ctx, "rest the pointer on a row", 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
	time.Sleep(3500 * time.Millisecond)
	arrive(2)
	inView("a resting pointer")

	// Scrolled into the list, the row at the top of the window stays there.
	eval[bool](t, ctx, `window.scrollTo(0, 900), true`)
	row := eval[string](t, ctx, `[...document.querySelectorAll("li.img")].find((r) => r.getBoundingClientRect().top >= 0).id`)
	top := eval[float64](t, ctx, fmt.Sprintf(`document.getElementById(%q).getBoundingClientRect().top`, row))
	arrive(3)
	if after := eval[float64](t, ctx, fmt.Sprintf(`document.getElementById(%q).getBoundingClientRect().top`, row)); math.Abs(after-top) > 1 {
		t.Errorf("scrolled into the list, the row in view moved from y=%.0f to y=%.0f when a row came in above", top, after)
	}
}

// TestBrowserRefreshRecoversAMissingRow: a refresh whose answer leaves out a row this page no
// longer has (here taken out by hand, its version claimed by another row) asks again for
// every row, and the page ends up whole.
func TestBrowserRefreshRecoversAMissingRow(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRows(t, e, 10)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "overview", 10*time.Second, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	gone := eval[string](t, ctx, `(() => {
		const [a, b] = document.querySelectorAll("li.img");
		window.__versionB = b.dataset.v;
		b.dataset.v = a.dataset.v;
		a.remove();
		window.dispatchEvent(new PopStateEvent("popstate"));
		return a.id;
	})()`)
	waitTrue(t, ctx, "the row back", fmt.Sprintf(`!!document.getElementById(%q) && document.querySelectorAll("li.img").length === 10`, gone))
	if !eval[bool](t, ctx, `document.querySelectorAll("li.img")[1].dataset.v === window.__versionB`) {
		t.Error("the row that claimed another's version was not brought back to its own")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("li[data-same]").length`); n != 0 {
		t.Errorf("%d placeholders were left in the page", n)
	}
}
