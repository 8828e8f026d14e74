package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

// Issue 18, F4: a refused webhook showed only on the Connect page, which people rarely open
// once set up (and Diun never resends); the overview says so until a notification gets
// through. And Connect said "Diun reaches the dashboard" from a test notification sent with the
// token before a rotation.
func TestRefusedWebhookShowsOnTheOverview(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	if _, body := e.get("/", nil); strings.Contains(body, `id="refused-banner"`) {
		t.Fatal("the overview warns of a refusal before any")
	}
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer a-token-from-before-the-rotation")
	if res, _ := e.do(req); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("webhook with a wrong token: %d", res.StatusCode)
	}
	_, body := e.get("/", nil)
	if !strings.Contains(body, `id="refused-banner"`) || !strings.Contains(body, "401") || !strings.Contains(body, `href="/connect#refused"`) {
		t.Errorf("the overview does not warn of the refused webhook:\n%s", body)
	}
	if strings.Contains(body, "a-token-from-before-the-rotation") {
		t.Error("the overview shows the token that was sent")
	}
	// A notification that gets through ends the warning.
	e.notify("nas", "docker.io/acme/app:1", digestN(2), "")
	if _, body = e.get("/", nil); strings.Contains(body, `id="refused-banner"`) {
		t.Error("the overview still warns after a notification got through")
	}
}

func TestConnectAfterARotationAsksForANewTest(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("vm", store.TestImage, digestN(1), "")
	if _, body := e.get("/connect", nil); !strings.Contains(body, "Diun reaches the dashboard") {
		t.Fatal("no test notification shown")
	}
	// The token is made anew after that test (as "Make a new token" or `token --rotate` do).
	if err := e.st.PutSetting(t.Context(), webhook.TokenRotatedSetting, time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	_, body := e.get("/connect", nil)
	if strings.Contains(body, "Diun reaches the dashboard.") {
		t.Error("Connect says Diun reaches the dashboard from a test sent before the token was made anew")
	}
	if !strings.Contains(body, "diun notif test") || !strings.Contains(body, "made anew") {
		t.Errorf("Connect does not ask for a new test after the rotation:\n%s", body)
	}
}
