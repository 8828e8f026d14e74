package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/notify"
	"diundashboard/server/store"
)

// hook is a destination of notifications: a real HTTP endpoint (generic+http).
type hook struct {
	mu   sync.Mutex
	got  []string
	fail bool
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail {
		http.Error(w, "hook is down", http.StatusBadGateway)
		return
	}
	h.got = append(h.got, string(b))
}

func (h *hook) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

// hookSecret is in the destination's URL: it must never reach a page.
const hookSecret = "s3cr3tHookToken0123456789"

// newNotifyEnv is a server with NOTIFY_URLS (or none when urls is "") and built-in sign-in.
func newNotifyEnv(t *testing.T, urls string) *env {
	t.Helper()
	return newNotifyEnvWith(t, urls, auth.ModeBuiltin, quietLog)
}

// newNotifyEnvWith is newNotifyEnv with an auth mode, and the server's log going to log.
func newNotifyEnvWith(t *testing.T, urls string, mode auth.Mode, log *slog.Logger) *env {
	t.Helper()
	ctx := context.Background()
	databaseURL := databases["sqlite"](t)
	if err := store.Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(modeConfig(mode), st, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := notify.ParseConfig(urls, "2m", "daily@08:00")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, server.Options{WebhookToken: webhookToken, Auth: a, Version: "test", Logger: log, Notify: cfg, BaseURL: "https://dash.example.org"})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Hub().Close()
		ts.CloseClientConnections()
		ts.Close()
	})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &env{t: t, st: st, srv: srv, ts: ts, client: client}
}

func TestNotificationsPageSendsATest(t *testing.T) {
	h := &hook{}
	rcv := httptest.NewServer(h)
	defer rcv.Close()
	e := newNotifyEnv(t, "generic+"+rcv.URL+"/hooks/"+hookSecret)

	// People only: a visitor is sent to sign in.
	if res, _ := e.get("/notifications", nil); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("GET /notifications signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	e.login()
	res, body := e.get("/notifications", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /notifications: %d", res.StatusCode)
	}
	for _, want := range []string{"/hooks/s3***</code>", "Send a test", "2m after its first update", "daily@08:00", "messages link to each image"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if strings.Contains(body, hookSecret) {
		t.Fatal("the page shows the destination's secret")
	}

	// Another site's form is refused (cross-origin protection), and so is a script's token.
	if res := e.post("/notifications/test", nil, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d; want 403", res.StatusCode)
	}
	tok, _, err := authNewToken(e)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/notifications/test", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode == http.StatusSeeOther || res.StatusCode < 400 {
		t.Errorf("POST with an API token: %v %v; want a refusal (people only)", res.StatusCode, err)
	}
	if n, _ := e.st.CountOutboxUnsent(t.Context()); n != 0 {
		t.Fatalf("refused requests queued %d messages", n)
	}

	// The person's test: Post/Redirect/Get back to the page with a notice.
	res = e.post("/notifications/test", url.Values{}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/notifications?") {
		t.Fatalf("POST /notifications/test: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = e.get(res.Header.Get("Location"), nil)
	if !strings.Contains(body, "Test notification queued") || !strings.Contains(body, "waiting") {
		t.Errorf("after the test: no notice or no waiting row")
	}
	if err := e.srv.Notify().Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := h.messages()
	if len(got) != 1 || !strings.Contains(got[0], "sent by "+testUser) {
		t.Fatalf("the hook got %q", got)
	}
	_, body = e.get("/notifications", nil)
	if !strings.Contains(body, "sent <time") {
		t.Errorf("the page does not show the test as sent")
	}

	// A failure shows with its error, without the secret.
	h.mu.Lock()
	h.fail = true
	h.mu.Unlock()
	e.post("/notifications/test", url.Values{}, nil)
	if err := e.srv.Notify().Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, body = e.get("/notifications", nil)
	if !strings.Contains(body, `id="notify-last-error"`) || !strings.Contains(body, "502") || strings.Contains(body, hookSecret) {
		t.Errorf("the last failure is not shown, or shows the secret:\n%s", body)
	}
	// The retry is due in about 10 seconds: the page says so, not "just now".
	if !regexp.MustCompile(`Next attempt <time [^>]*>in \d+ seconds?</time>`).MatchString(body) {
		t.Errorf("the next attempt does not read \"in N seconds\":\n%s", body)
	}
}

// authNewToken makes a write API token.
func authNewToken(e *env) (string, store.APIToken, error) {
	a, err := auth.New(modeConfig(auth.ModeBuiltin), e.st, quietLog)
	if err != nil {
		return "", store.APIToken{}, err
	}
	return a.NewAPIToken(context.Background(), "script", store.ScopeWrite)
}

func TestNotificationsPageWhenOff(t *testing.T) {
	e := newNotifyEnv(t, "")
	e.login()
	res, body := e.get("/notifications", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="notify-off"`) || strings.Contains(body, "Send a test") {
		t.Fatalf("GET /notifications without NOTIFY_URLS: %d", res.StatusCode)
	}
	if res := e.post("/notifications/test", url.Values{}, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("Send a test without NOTIFY_URLS: %d; want 409", res.StatusCode)
	}
}

// TestBrowserNotificationsPage presses Send a test in a real browser and writes screenshots
// (light, dark, 360 px) for review.
func TestBrowserNotificationsPage(t *testing.T) {
	ctx := newBrowser(t)
	h := &hook{fail: true}
	rcv := httptest.NewServer(h)
	defer rcv.Close()
	e := newNotifyEnv(t, "ntfy://alice:"+hookSecret+"@ntfy.example.org/diun generic+"+rcv.URL+"/hooks/"+hookSecret)
	e.login()
	e.post("/notifications/test", url.Values{}, nil)
	if err := e.srv.Notify().Tick(t.Context()); err != nil { // ntfy.example.org and the hook fail
		t.Fatal(err)
	}
	h.mu.Lock()
	h.fail = false
	h.mu.Unlock()
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "press Send a test", 15*time.Second,
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.Click(`a[href="/notifications"]`),
		chromedp.WaitVisible(chromedp.ID("notify-targets")),
		chromedp.Click(`form[action="/notifications/test"] button`),
		chromedp.WaitVisible(`#notice:not([hidden])`),
	)
	if notice := eval[string](t, ctx, `document.querySelector("#notice").textContent`); !strings.Contains(notice, "Test notification queued") {
		t.Errorf("notice after Send a test: %q", notice)
	}
	if strings.Contains(eval[string](t, ctx, `document.body.innerHTML`), hookSecret) {
		t.Error("the page shows a destination's secret")
	}
	if err := e.srv.Notify().Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(h.messages()) != 1 {
		t.Errorf("the hook got %d messages after Send a test; want 1", len(h.messages()))
	}
	for _, mode := range []struct {
		suffix string
		dark   bool
		width  int64
	}{{"light", false, 1280}, {"dark", true, 1280}, {"mobile", false, 360}} {
		scheme := emulation.SetEmulatedMediaParams{}
		if mode.dark {
			scheme.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, scheme); err != nil {
			t.Fatal(err)
		}
		step(t, ctx, "viewport", 5*time.Second, chromedp.EmulateViewport(mode.width, 800),
			chromedp.Navigate(e.ts.URL+"/notifications"), chromedp.WaitVisible(chromedp.ID("notify-recent")))
		if sw, cw := eval[int](t, ctx, `document.documentElement.scrollWidth`), eval[int](t, ctx, `document.documentElement.clientWidth`); sw > cw {
			t.Errorf("/notifications at %d px: scrollWidth %d > clientWidth %d", mode.width, sw, cw)
		}
		reviewShot(t, ctx, "notifications-"+mode.suffix+".png")
	}
}

// The page shows each destination masked, whatever the encoding of its secret, its errors
// scrubbed, and choices such as smtp's auth=None as they are.
func TestNotificationsPageMasksEveryEncoding(t *testing.T) {
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		http.Error(w, "denied "+pass+" "+url.QueryEscape(pass)+" "+url.PathEscape(pass), http.StatusUnauthorized)
	}))
	defer refuse.Close()
	host := strings.TrimPrefix(refuse.URL, "http://")
	closed := httptest.NewServer(http.NotFoundHandler())
	closedHost := strings.TrimPrefix(closed.URL, "http://")
	closed.Close() // the mail server is down: its send fails at once
	e := newNotifyEnv(t, "ntfy://me:SECa%20bXX@"+host+"/diun?scheme=http smtp://mailer:m41lPa55%2Fx@"+closedHost+"/?auth=None&from=a@example.org&to=b@example.org")
	e.login()
	e.post("/notifications/test", url.Values{}, nil)
	if err := e.srv.Notify().Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, body := e.get("/notifications", nil)
	for _, leak := range []string{"SECa%20bXX", "SECa bXX", "SECa+bXX", "SECa&#43;bXX", "m41lPa55", "m41lPa55%2Fx", "m41lPa55/x"} {
		if strings.Contains(body, leak) {
			t.Errorf("the page shows %q", leak)
		}
	}
	for _, want := range []string{"ntfy://me:***@" + host + "/***", "auth=None", "smtp://mailer:***@"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
}

// lockedBuffer is the server's log, written by its worker while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestNotificationsPageHidesTokensInThePath is the security report's case: a gotify token and
// an ntfy topic (whoever knows it reads the messages) in the path, no sign-in (AUTH_MODE=none),
// a test sent to a closed port. Neither the page nor the log may show them, in any form.
func TestNotificationsPageHidesTokensInThePath(t *testing.T) {
	var log lockedBuffer
	const token, topic = "AbCdEfGhIjKlMnO", "my-secret-diun-topic"
	e := newNotifyEnvWith(t, "gotify://127.0.0.1:1/"+token+"?disabletls=yes ntfy://127.0.0.1:1/"+topic+"?scheme=http",
		auth.ModeNone, slog.New(slog.NewTextHandler(&log, nil)))
	if res := e.post("/notifications/test", url.Values{}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /notifications/test: %d", res.StatusCode)
	}
	if err := e.srv.Notify().Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, body := e.get("/notifications", nil)
	for _, want := range []string{"gotify://127.0.0.1:1/Ab***?disabletls=yes", "ntfy://127.0.0.1:1/my***?scheme=http", `id="notify-last-error"`, "connection refused"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if !strings.Contains(log.String(), "delivery failed") {
		t.Errorf("the log does not say the delivery failed:\n%s", log.String())
	}
	for where, text := range map[string]string{"page": body, "log": log.String()} {
		for _, secret := range []string{token, topic, url.PathEscape(topic), strings.ToLower(token)} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s shows %q", where, secret)
			}
		}
	}
}
