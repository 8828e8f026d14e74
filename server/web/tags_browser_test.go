package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
)

// TestBrowserTagsPage: in Chromium, with app.js, a tag is renamed in place (the notice says so
// and the list shows the new name without a reload), a taken name is refused in words, and a
// delete asks first with the number of images that carry the tag. A stack chip on the
// overview filters it by that stack.
func TestBrowserTagsPage(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seed(e)
	nginx := imageID(t, e, "nas", "docker.io/library/nginx:1.29-alpine")
	jellyfin := imageID(t, e, "nas", "docker.io/linuxserver/jellyfin:10.11.2")
	media, err := e.st.CreateTag(t.Context(), "media")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.TagImages(t.Context(), []int64{nginx, jellyfin}, media.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateTag(t.Context(), "later"); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, e.ts.URL)
	asked := watchDialogs(ctx)
	rename := `#tag-` + itoa(media.ID) + ` .tag-rename`
	step(t, ctx, "rename", 10*time.Second,
		chromedp.Navigate(e.ts.URL+"/tags"),
		chromedp.WaitVisible(chromedp.CSS(rename+` input`)),
		chromedp.SetValue(chromedp.CSS(rename+` input`), "films"),
		chromedp.Click(chromedp.CSS(rename+` button`)),
		chromedp.WaitVisible(chromedp.CSS(`#tag-`+itoa(media.ID)+` a.chip[href="/?tag=films&state=all"]`)),
	)
	if n := eval[string](t, ctx, `document.getElementById("notice").textContent`); !strings.Contains(n, "Renamed the tag media to films.") {
		t.Errorf("after renaming the notice says %q", n)
	}
	if p := eval[string](t, ctx, `location.pathname`); p != "/tags" {
		t.Errorf("renaming left the page for %s", p)
	}

	step(t, ctx, "rename to a taken name", 10*time.Second,
		chromedp.SetValue(chromedp.CSS(rename+` input`), "later"),
		chromedp.Click(chromedp.CSS(rename+` button`)),
	)
	waitTrue(t, ctx, "the refusal's notice", `document.getElementById("notice").textContent.includes('There is a tag named "later" already.')`)
	if tg, ok := tagByName(t, e, "films"); !ok || tg.ID != media.ID {
		t.Error("a refused rename changed the tag")
	}

	asked.set(false)
	del := `#tag-` + itoa(media.ID) + ` .tag-delete button`
	step(t, ctx, "delete, refused", 10*time.Second, chromedp.Click(chromedp.CSS(del)))
	for i := 0; i < 100 && asked.last() == ""; i++ {
		time.Sleep(50 * time.Millisecond) // the dialog is answered by watchDialogs' goroutine
	}
	if q := asked.last(); !strings.Contains(q, "Delete the tag films?") || !strings.Contains(q, "2 images carry it") {
		t.Errorf("the delete button asks %q, want the tag and its count of images", q)
	}
	if _, ok := tagByName(t, e, "films"); !ok {
		t.Fatal("a delete answered No deleted the tag")
	}
	asked.set(true)
	step(t, ctx, "delete, confirmed", 10*time.Second,
		chromedp.Click(chromedp.CSS(del)),
		chromedp.WaitNotPresent(chromedp.CSS(`#tag-`+itoa(media.ID))),
	)
	if n := eval[string](t, ctx, `document.getElementById("notice").textContent`); !strings.Contains(n, "Deleted the tag films; 2 images no longer carry it.") {
		t.Errorf("after deleting the notice says %q", n)
	}

	// A stack chip filters the overview by its stack.
	step(t, ctx, "stack chip", 10*time.Second,
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`a.chip.ctx[href="/?stack=photos"]`)),
		chromedp.Click(chromedp.CSS(`a.chip.ctx[href="/?stack=photos"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.stack-filter`)),
	)
	if n := eval[int](t, ctx, `document.querySelectorAll("li.img").length`); n != 1 {
		t.Errorf("the stack photos shows %d rows, want its one image", n)
	}

	// Grouping by stack is a choice of the filters' row, applied as it changes.
	step(t, ctx, "group by stack", 10*time.Second,
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#filters select[name="group"]`)),
	)
	eval[bool](t, ctx, `(() => { const s = document.querySelector('#filters select[name="group"]'); s.value = "stack"; s.dispatchEvent(new Event("change", { bubbles: true })); return true; })()`)
	waitTrue(t, ctx, "the overview grouped by stack", `!!document.getElementById("stack-photos") && location.search.includes("group=stack")`)
	if n := eval[int](t, ctx, `document.querySelectorAll(".host-acts").length`); n != 0 {
		t.Errorf("grouped by stack, %d groups offer a host's buttons", n)
	}
}

// waitTrue waits until the JavaScript expression is true, at most 10 seconds.
func waitTrue(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[bool](expr)); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
