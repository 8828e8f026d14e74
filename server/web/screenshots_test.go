package web_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"

	"diundashboard/gen/diunpb"
	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/reconcile"
)

// `make screenshots` runs the tests named TestBrowserScreenshots…: every page, in each of
// screenshotModes, saved into artifacts/screenshots/ (or $ARTIFACTS_DIR/screenshots/) as
// <page>-<mode>.png, for a person to open and look at.

// screenshotMode is a window size and colour scheme.
type screenshotMode struct {
	suffix        string
	dark          bool
	width, height int64
}

// screenshotModes: a laptop and a phone, light and dark.
var screenshotModes = []screenshotMode{
	{"light", false, 1280, 800},
	{"dark", true, 1280, 800},
	{"mobile", false, 360, 740},
	{"mobile-dark", true, 360, 740},
}

// useMode sets the browser's colour scheme and window to mode.
func useMode(t *testing.T, ctx context.Context, mode screenshotMode) {
	t.Helper()
	scheme := emulation.SetEmulatedMediaParams{}
	if mode.dark {
		scheme.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, scheme); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "viewport", 5*time.Second, chromedp.EmulateViewport(mode.width, mode.height))
}

// shootPage opens path, waits for the element wait, checks that nothing scrolls sideways and
// saves the whole page as name-<mode>.png.
func shootPage(t *testing.T, ctx context.Context, base, name, path, wait string, mode screenshotMode) {
	t.Helper()
	step(t, ctx, name, 10*time.Second, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(wait)), chromedp.Sleep(200*time.Millisecond))
	if sw, cw := eval[int](t, ctx, `document.documentElement.scrollWidth`), eval[int](t, ctx, `document.documentElement.clientWidth`); sw > cw {
		t.Errorf("%s at %d px: scrollWidth %d > clientWidth %d", path, mode.width, sw, cw)
	}
	reviewShot(t, ctx, name+"-"+mode.suffix+".png")
}

// TestBrowserScreenshotsOfTheFirstRun: what a new install shows, before and after signing in,
// in every mode: the sign-in page and the overview with nothing in it yet (the setup card).
func TestBrowserScreenshotsOfTheFirstRun(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	for _, mode := range screenshotModes {
		useMode(t, ctx, mode)
		shootPage(t, ctx, e.ts.URL, "signin", "/login", "#password", mode)
	}
	signIn(t, ctx, e.ts.URL)
	for _, mode := range screenshotModes {
		useMode(t, ctx, mode)
		shootPage(t, ctx, e.ts.URL, "overview-empty", "/", "#setup", mode)
	}
}

// TestBrowserScreenshotsOfDiunInstances: the Connect page's Diun instances (DIUN_GRPC), one that
// was never reached (its counts unknown, the error explained, gRPC's own words folded) and one
// read under a hostname its webhooks never carry (the warning).
func TestBrowserScreenshotsOfDiunInstances(t *testing.T) {
	ctx := newBrowser(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	diunpb.RegisterImageServiceServer(g, oneImageDiun{name: "docker.io/library/nginx", tag: "1.29-alpine", digest: digestN(1)})
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	e := newEnvOptions(t, databases["sqlite"](t), modeConfig(auth.ModeBuiltin), quietLog, func(o *server.Options) {
		o.Diun = []reconcile.Target{{Host: "nas", Addr: lis.Addr().String()}, {Host: "pi", Addr: deadAddr}}
		o.DiunReconcile = 24 * time.Hour
	})
	e.notify("diun-nas", "docker.io/library/nginx:1.29-alpine", digestN(1), `{"ctn_names":"web-1"}`)
	bg, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go e.srv.RunBackground(bg)
	signIn(t, ctx, e.ts.URL)
	for _, mode := range screenshotModes {
		useMode(t, ctx, mode)
		shootPage(t, ctx, e.ts.URL, "connect-diun", "/connect", "#diun-grpc:has(.diun-err) .diun-host-warning", mode)
		// The section alone, with gRPC's own error unfolded, to look at closely.
		step(t, ctx, "unfold", 5*time.Second, chromedp.Click(chromedp.CSS(".diun-err summary")))
		artifactShot(t, ctx, "connect-diun-section-"+mode.suffix+".png", chromedp.Screenshot(chromedp.CSS("#diun-grpc")))
	}
}
