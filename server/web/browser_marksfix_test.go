package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
)

// markOf is the mark the row of ref shows ("" for none).
func markOf(t *testing.T, ctx context.Context, ref string) string {
	t.Helper()
	return eval[string](t, ctx, `(() => { const a = [...document.querySelectorAll("li.img .name > a")].find(a => a.title === `+jsString(ref)+`);
	  if (!a) return "no row";
	  const m = a.closest("li.img").querySelector(".mark"); return m ? m.textContent : ""; })()`)
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// setLooked sets this browser's last look, on a page without rows (leaving one with rows moves
// it on), then opens the overview.
func setLooked(t *testing.T, ctx context.Context, base, looked string) {
	t.Helper()
	step(t, ctx, "connect page", 10*time.Second, chromedp.Navigate(base+"/connect"), chromedp.WaitVisible(chromedp.CSS("h1")))
	eval[bool](t, ctx, `localStorage.setItem("dd-last-looked", `+jsString(looked)+`) === undefined`)
	step(t, ctx, "overview", 10*time.Second, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
}

// TestBrowserMarksStayUntilRead (outside review of the marks): a change that arrived live and
// was never read stays marked after opening an image and pressing Back, and after F5: leaving
// the page saves as the last look the time of the data the page was first rendered with, not
// the clock. A change later in the second of the last look is not lost (the rows' times were
// whole seconds, the last look milliseconds).
func TestBrowserMarksStayUntilRead(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	const seen, live, live2 = "docker.io/acme/seen:1", "docker.io/acme/live:1", "docker.io/acme/later:1"
	e.notify("nas", seen, digestN(1), "")
	img, err := e.st.GetImage(t.Context(), imageID(t, e, "nas", seen))
	if err != nil {
		t.Fatal(err)
	}
	nextSecond() // the page renders in a later second than the first report
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "viewport", 5*time.Second, chromedp.EmulateViewport(1280, 800))

	// Last looked a millisecond before the report, in the same second: the report is marked
	// (whole seconds for the rows against milliseconds for the last look lost it).
	looked := img.FirstSeen.Add(-time.Millisecond)
	if looked.Truncate(time.Second) != img.FirstSeen.Truncate(time.Second) {
		looked = img.FirstSeen.Truncate(time.Millisecond) // the report's own second, its first millisecond
	}
	setLooked(t, ctx, e.ts.URL, looked.UTC().Format("2006-01-02T15:04:05.000Z"))
	if m := markOf(t, ctx, seen); m != "new" {
		t.Errorf("a report later in the second of the last look shows the mark %q, want new", m)
	}

	// A change arrives live, then the person opens an image and comes Back.
	e.notify("nas", live, digestN(2), "")
	step(t, ctx, "the live row", 10*time.Second, chromedp.Poll[chromedp.Void](`[...document.querySelectorAll("li.img .mark")].some(m => m.closest("li.img").querySelector(".name > a").title === "`+live+`")`, chromedp.WithPollingTimeout(5*time.Second)))
	step(t, ctx, "an image", 10*time.Second, chromedp.Navigate(fmt.Sprintf("%s/images/%d", e.ts.URL, img.ID)), chromedp.WaitVisible(chromedp.CSS("h1")))
	step(t, ctx, "back", 10*time.Second, chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if m := markOf(t, ctx, live); m != "new" {
		t.Errorf("after Back the row that arrived live shows the mark %q, want new", m)
	}
	if m := markOf(t, ctx, seen); m != "" {
		t.Errorf("after Back the row the page showed when it opened is still marked %q", m)
	}

	// Another arrives live; F5.
	e.notify("nas", live2, digestN(3), "")
	step(t, ctx, "the second live row", 10*time.Second, chromedp.Poll[chromedp.Void](`[...document.querySelectorAll("li.img .mark")].some(m => m.closest("li.img").querySelector(".name > a").title === "`+live2+`")`, chromedp.WithPollingTimeout(5*time.Second)))
	step(t, ctx, "reload", 10*time.Second, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
	if m := markOf(t, ctx, live2); m != "new" {
		t.Errorf("after F5 the row that arrived live shows the mark %q, want new", m)
	}
}

// TestBrowserMarksNameTheFirstThing (outside review of the marks): the mark names what
// happened first since the last look, not the last event: acknowledged, then reopened by a
// digest and another digest while away, "new digest since you acknowledged"; never seen, two
// digests, "new".
func TestBrowserMarksNameTheFirstThing(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	const acked, twice = "docker.io/acme/acked:1", "docker.io/acme/twice:1"
	e.notify("nas", acked, digestN(1), "")
	e.login()
	postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", imageID(t, e, "nas", acked)), nil)
	looked := nextSecond()
	nextSecond() // what follows is a second after the last look, whatever the precision
	e.notify("nas", acked, digestN(2), "")
	e.notify("nas", acked, digestN(3), "")
	e.notify("nas", twice, digestN(4), "")
	e.notify("nas", twice, digestN(5), "")
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "viewport", 5*time.Second, chromedp.EmulateViewport(1280, 800))
	setLooked(t, ctx, e.ts.URL, looked.UTC().Format(time.RFC3339))
	for ref, want := range map[string]string{acked: "new digest since you acknowledged", twice: "new"} {
		if m := markOf(t, ctx, ref); m != want {
			t.Errorf("%s shows the mark %q, want %q", ref, m, want)
		}
	}
}

// rowLayout is, for each row, what shows of it: how much of the repository is cut, which
// badges, chips and links are on the name's first line, which details show.
const rowLayout = `(() => Object.fromEntries([...document.querySelectorAll("li.img")].map(row => {
  const repo = row.querySelector(".repo"), extras = row.querySelector(".extras");
  const first = extras.getBoundingClientRect().top + 1.6 * parseFloat(getComputedStyle(extras).fontSize);
  const items = [...extras.children].filter(el => !el.matches(".mark") && el.checkVisibility() && el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().top < first).map(el => el.textContent.trim());
  const meta = row.querySelector(".meta").getBoundingClientRect();
  const details = [...row.querySelectorAll(".meta > *")].filter(el => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().top < meta.bottom - 0.5).map(el => el.textContent.trim().split(" ")[0]);
  return [row.id, "repo cut " + Math.max(0, repo.scrollWidth - repo.clientWidth) + " px | " + items.join(", ") + " | " + details.join(", ")];
})))()`

// TestBrowserMarkTakesNoRoom (outside review of the marks): at 1280 px a mark beside the
// badges cut a long name from the left ("…ome-assistant/home-assistant:stable"), wrapped
// "release notes" and hid "built …" and the container: the mark has its own line under the
// name, and a row shows the same of its name, badges, links and details with or without it,
// at 1280 and at 360 px. The Legend says what the marks are. At 360 px with 44 open the state
// tabs fit without a scrollbar.
func TestBrowserMarkTakesNoRoom(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	meta := `{"ctn_names":"/homeassistant","com.docker.compose.project":"home"}`
	e.notify("nas", "ghcr.io/home-assistant/home-assistant:stable", digestN(1), meta)
	e.notify("nas", "lscr.io/linuxserver/bazarr:latest", digestN(2), `{"ctn_names":"/bazarr"}`)
	e.notify("nas", "ghcr.io/immich-app/immich-machine-learning:v2.3.1", digestN(3), `{"ctn_names":"immich_machine_learning","stack":"immich"}`)
	e.notify("k3s-main", "ghcr.io/argoproj/argocd:v2.11.3", digestN(5), `{"pod_name":"argocd-server-5f7","pod_namespace":"monitoring","stack":"gitops"}`)
	argocd := imageID(t, e, "k3s-main", "ghcr.io/argoproj/argocd:v2.11.3")
	for _, name := range []string{"media", "critical", "weekend"} {
		tag, err := e.st.CreateTag(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.TagImages(t.Context(), []int64{argocd}, tag.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		e.notify("nas", fmt.Sprintf("docker.io/acme/app-%d:1", i), digestN(100+i), "")
	}
	e.login()
	for i := range 12 {
		postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", imageID(t, e, "nas", fmt.Sprintf("docker.io/acme/app-%d:1", i))), nil)
		e.notify("nas", fmt.Sprintf("docker.io/acme/ack-%d:1", i), digestN(200+i), "")
	}
	// Another digest while open: the longest mark, on the longest row.
	e.notify("nas", "ghcr.io/home-assistant/home-assistant:stable", digestN(4), meta)
	signIn(t, ctx, e.ts.URL)
	for _, w := range []int64{1280, 360} {
		step(t, ctx, "viewport", 5*time.Second, chromedp.EmulateViewport(w, 800))
		setLooked(t, ctx, e.ts.URL, "2000-01-01T00:00:00Z")
		step(t, ctx, "marks", 5*time.Second, chromedp.WaitVisible(chromedp.CSS("li.img .mark")))
		with := eval[map[string]string](t, ctx, rowLayout)
		if p := eval[[]string](t, ctx, markProblems); len(p) > 0 {
			t.Errorf("at %d px: %s", w, strings.Join(p, "; "))
		}
		eval[int](t, ctx, `(() => { const ms = [...document.querySelectorAll("li.img .mark")]; ms.forEach(m => m.remove()); return ms.length; })()`)
		without := eval[map[string]string](t, ctx, rowLayout)
		for id, l := range without {
			if with[id] != l {
				t.Errorf("at %d px the mark changes what row %s shows:\nwith    %s\nwithout %s", w, id, with[id], l)
			}
		}
	}
	// 360 px: a row's registry, source and release notes links show, on a second line if they
	// must (they were hidden under the details' line of the rows whose badges wrapped).
	if hidden := eval[[]string](t, ctx, `[...document.querySelectorAll("li.img .extras > .link")].filter(l => {
	  l.closest("li.img").scrollIntoView({block: "center"}); // not the link: that scrolls its one-line box
	  const b = l.getBoundingClientRect(), x = l.parentElement.getBoundingClientRect();
	  return b.width === 0 || b.top >= x.bottom - 0.5 || !l.contains(document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2)); })
	  .map(l => l.closest("li.img").querySelector(".name > a").title + ": " + l.textContent)`); len(hidden) > 0 {
		t.Errorf("at 360 px, links out of sight: %q", hidden)
	}
	// 360 px: the tabs fit, no scrollbar, "all" whole.
	if p := eval[string](t, ctx, `(() => { const n = document.querySelector("nav.tabs"), all = [...n.querySelectorAll(".tab")].pop().getBoundingClientRect(), b = n.getBoundingClientRect();
	  return n.scrollWidth > n.clientWidth || all.right > b.right + 0.5 ? n.textContent.replace(/\s+/g, " ").trim() + ": " + n.scrollWidth + " px in " + n.clientWidth : ""; })()`); p != "" {
		t.Errorf("at 360 px the tabs do not fit: %s", p)
	}
	if !eval[bool](t, ctx, `!!document.querySelector("#legend .legend-body .mark")`) {
		t.Error("the Legend does not explain the marks")
	}
}
