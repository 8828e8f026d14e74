package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts Debian's headless Chromium with a fresh profile. Without Chromium the
// test is skipped on a developer's machine and fails in CI, where it must run.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no %s (scripts/ensure-chromium.sh installs it); browser tests skipped", chromiumPath)
		}
		t.Fatalf("CI must run the browser tests, but %s is missing: run scripts/ensure-chromium.sh", chromiumPath)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser; it must not carry a timeout (see chromedp.Run).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// step runs actions with a deadline, so that a wait that never ends fails the test in time.
func step(t *testing.T, ctx context.Context, what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshotDir is where the overview's screenshots go: docs/screenshots with
// UPDATE_SCREENSHOTS=1 (to commit them), else $ARTIFACTS_DIR/screenshots, else
// artifacts/screenshots at the top of the repository.
func screenshotDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "artifacts", "screenshots")
	switch {
	case os.Getenv("UPDATE_SCREENSHOTS") == "1":
		dir = filepath.Join("..", "..", "docs", "screenshots")
	case os.Getenv("ARTIFACTS_DIR") != "":
		dir = filepath.Join(os.Getenv("ARTIFACTS_DIR"), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveScreenshot(t, ctx, name, chromedp.CaptureScreenshot())
}

// fullScreenshot saves the whole page, not only what the viewport shows.
func fullScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveScreenshot(t, ctx, name, chromedp.FullScreenshot(100))
}

func saveScreenshot(t *testing.T, ctx context.Context, name string, capture chromedp.Action[[]byte]) {
	t.Helper()
	png, err := chromedp.Run(ctx, capture)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(screenshotDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d KB)", path, len(png)/1024)
}

// seed gives the screenshots and the layout checks a realistic overview.
func seed(e *env) {
	n := 0
	add := func(host, image, meta string) {
		n++
		e.notify(host, image, digestN(n), meta)
	}
	add("nas", "docker.io/library/nginx:1.29-alpine", `{"ctn_names":"proxy"}`)
	add("nas", "docker.io/linuxserver/jellyfin:10.11.2", `{"ctn_names":"jellyfin"}`)
	add("nas", "ghcr.io/immich-app/immich-server:v2.3.1", `{"ctn_names":"immich_server","stack":"photos"}`)
	add("k3s-main", "quay.io/prometheus/prometheus:v3.7.3", `{"pod_name":"prometheus-0","pod_namespace":"monitoring","ctn_name":"prometheus"}`)
	add("k3s-main", "registry.k8s.io/ingress-nginx/controller:v1.14.0", `{"pod_name":"ingress-nginx-controller-6c9f","pod_namespace":"ingress-nginx"}`)
	add("swarm-1", "docker.io/library/postgres:17.6", `{"svc_id":"q1w2e3r4t5y6u7i8","ctn_name":"db.1.abc"}`)
	add("nomad-1", "docker.io/hashicorp/consul:1.22", `{"job_name":"consul","task_name":"server"}`)
}

func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)

	var dialogs atomic.Int32
	go func() {
		for _, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			dialogs.Add(1)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()

	t.Run("SignIn", func(t *testing.T) {
		step(t, ctx, "sign in", 15*time.Second,
			chromedp.Navigate(e.ts.URL+"/"),
			chromedp.WaitVisible(chromedp.ID("password")),
			chromedp.SendKeys(chromedp.ID("username"), testUser),
			chromedp.SendKeys(chromedp.ID("password"), testPassword),
			chromedp.Submit(chromedp.ID("password")),
			// The sign-in page has an h1 too: wait for what only a signed-in page shows.
			chromedp.WaitReady(chromedp.ID("live-status")),
		)
		if h := eval[string](t, ctx, `document.querySelector("h1").textContent`); h != "Updates" {
			t.Fatalf("after sign-in the page says %q, want Updates", h)
		}
	})

	t.Run("LiveNotification", func(t *testing.T) {
		step(t, ctx, "live stream connects", 10*time.Second, chromedp.WaitVisible(chromedp.CSS("#live-status.on")))
		start := time.Now()
		e.notify("live-host", "docker.io/acme/live:1.0", digestN(500), `{"ctn_names":"live-1"}`)
		step(t, ctx, "the notification appears without reload", 3*time.Second, chromedp.WaitVisible(chromedp.CSS(`details[data-host="live-host"] li.img`)))
		if d := time.Since(start); d > time.Second {
			t.Errorf("the notification took %s to appear, want under a second", d)
		}
	})

	t.Run("AcknowledgeLeavesOpenList", func(t *testing.T) {
		sel := chromedp.CSS(`details[data-host="live-host"] li.img button.primary`)
		step(t, ctx, "acknowledge", 10*time.Second,
			chromedp.Click(sel),
			chromedp.WaitNotPresent(chromedp.CSS(`details[data-host="live-host"]`)),
			chromedp.WaitVisible(chromedp.CSS("#notice")),
		)
		if txt := eval[string](t, ctx, `document.getElementById("notice").textContent`); !strings.Contains(txt, "Acknowledged") || !strings.Contains(txt, "Undo") {
			t.Errorf("notice %q: want the outcome and an Undo button", txt)
		}
		page, _ := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "live-host", State: store.StateAcknowledged}, store.SortHost, store.PageRequest{})
		if len(page.Images) != 1 {
			t.Errorf("the store has %d acknowledged images on live-host, want 1", len(page.Images))
		}
		// Undo brings it back.
		step(t, ctx, "undo", 10*time.Second,
			chromedp.Click(chromedp.CSS("#notice button")),
			chromedp.WaitVisible(chromedp.CSS(`details[data-host="live-host"] li.img`)),
		)
	})

	t.Run("FilterAndSearch", func(t *testing.T) {
		seed(e)
		step(t, ctx, "search", 10*time.Second,
			chromedp.Navigate(e.ts.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`details[data-host="nas"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "jellyfin"),
			chromedp.Submit(chromedp.CSS(`input[name="q"]`)),
			chromedp.WaitNotPresent(chromedp.CSS(`details[data-host="k3s-main"]`)),
		)
		loc := eval[string](t, ctx, `location.search`)
		if !strings.Contains(loc, "q=jellyfin") {
			t.Errorf("the URL %q does not carry the search", loc)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll("li.img").length`); n != 1 {
			t.Errorf("search jellyfin shows %d images, want 1", n)
		}
		step(t, ctx, "host filter", 10*time.Second,
			chromedp.Navigate(e.ts.URL+"/?host=k3s-main"),
			chromedp.WaitVisible(chromedp.CSS(`details[data-host="k3s-main"]`)),
		)
		if n := eval[int](t, ctx, `document.querySelectorAll("li.img").length`); n != 2 {
			t.Errorf("host=k3s-main shows %d images, want 2", n)
		}
	})

	t.Run("ConnectShowsTestNotification", func(t *testing.T) {
		step(t, ctx, "connect page", 10*time.Second,
			chromedp.Navigate(e.ts.URL+"/connect"),
			chromedp.WaitVisible(chromedp.CSS("#check-status.wait")),
			chromedp.WaitVisible(chromedp.CSS("#live-status.on")),
		)
		e.notify("vm", store.TestImage, digestN(900), "")
		step(t, ctx, "the test notification shows live", 5*time.Second, chromedp.WaitVisible(chromedp.CSS("#check-status.ok")))
	})

	t.Run("UntrustedTextRendersAsText", func(t *testing.T) {
		e.notify("xss", `docker.io/acme/<img src=x onerror=alert(1)>:1`, digestN(901), `{"ctn_names":"<script>alert(2)</script>","note":"<script>alert(3)</script>"}`)
		before := dialogs.Load()
		step(t, ctx, "overview with hostile names", 10*time.Second,
			chromedp.Navigate(e.ts.URL+"/?host=xss"),
			chromedp.WaitVisible(chromedp.CSS(`details[data-host="xss"]`)),
		)
		if n := eval[int](t, ctx, `document.querySelectorAll("main img, main script").length`); n != 0 {
			t.Errorf("the page has %d img/script elements from untrusted text", n)
		}
		txt := eval[string](t, ctx, `document.querySelector("main").textContent`)
		if !strings.Contains(txt, "<img src=x onerror=alert(1)>") || !strings.Contains(txt, "<script>alert(2)</script>") {
			t.Error("the hostile names are not shown as text")
		}
		id := eval[string](t, ctx, `document.querySelector('details[data-host="xss"] li.img input').value`)
		step(t, ctx, "image page with hostile metadata", 10*time.Second,
			chromedp.Navigate(e.ts.URL+"/images/"+id),
			chromedp.WaitVisible(chromedp.CSS("#tl-h")),
			chromedp.Sleep(300*time.Millisecond),
		)
		if d := dialogs.Load() - before; d != 0 {
			t.Errorf("%d JavaScript dialogs opened: untrusted text ran as code", d)
		}
	})

	t.Run("CrossOriginFormRefused", func(t *testing.T) {
		img, err := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "nas", State: store.StateOpen}, store.SortHost, store.PageRequest{Limit: 1})
		if err != nil || len(img.Images) != 1 {
			t.Fatalf("no open image on nas: %v", err)
		}
		target := fmt.Sprintf("%s/images/%d/acknowledge", e.ts.URL, img.Images[0].ID)
		// Another origin (localhost, not 127.0.0.1) with a form that posts to the dashboard.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<form id="f" method="post" action="%s"><button id="go">go</button></form>`, target)
		}))
		defer evil.Close()
		evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
		step(t, ctx, "cross-origin post", 15*time.Second,
			chromedp.Navigate(evilURL),
			chromedp.Click(chromedp.ID("go")),
			chromedp.Sleep(500*time.Millisecond),
		)
		got, _ := e.st.GetImage(t.Context(), img.Images[0].ID)
		if got.State != store.StateOpen {
			t.Errorf("a cross-origin form changed the image to %s", got.State)
		}
	})

	t.Run("Screenshots", func(t *testing.T) {
		step(t, ctx, "overview", 10*time.Second,
			chromedp.Navigate(e.ts.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`details[data-host="nas"]`)),
		)
		screenshot(t, ctx, "overview-light.png")
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		}); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "overview-dark.png")
		step(t, ctx, "connect", 10*time.Second, chromedp.Navigate(e.ts.URL+"/connect"), chromedp.WaitVisible(chromedp.CSS("main")))
		fullScreenshot(t, ctx, "connect-dark.png")
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NoHorizontalScrollAt360", func(t *testing.T) {
		step(t, ctx, "360 px viewport", 10*time.Second, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile))
		for _, path := range []string{"/", "/connect", "/images/1", "/?state=all"} {
			step(t, ctx, "load "+path, 10*time.Second, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
			sw := eval[int](t, ctx, `document.documentElement.scrollWidth`)
			cw := eval[int](t, ctx, `document.documentElement.clientWidth`)
			if sw > cw {
				t.Errorf("%s at 360 px: scrollWidth %d > clientWidth %d", path, sw, cw)
			}
			switch path {
			case "/":
				screenshot(t, ctx, "overview-mobile.png")
			case "/connect":
				fullScreenshot(t, ctx, "connect-mobile.png")
			}
		}
	})
}
