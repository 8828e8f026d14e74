package web_test

import (
	"strings"
	"testing"
)

// Issue 18 F5: with a loopback BASE_URL the Connect page says that BASE_URL is what to
// change, not to set it.
func TestConnectWithALoopbackBaseURL(t *testing.T) {
	e := newEnvWithBaseURL(t, "http://localhost:8080")
	e.login()
	_, body := e.get("/connect?diun=other", nil)
	if !strings.Contains(body, `id="loopback-warning"`) || !strings.Contains(body, "BASE_URL names localhost:8080") || !strings.Contains(body, "change BASE_URL") {
		t.Error("a loopback BASE_URL is not named as the thing to change")
	}
	if strings.Contains(body, "(or set BASE_URL)") || strings.Contains(body, "set BASE_URL if") {
		t.Error("the page asks to set BASE_URL, which is set")
	}
	if !strings.Contains(body, "YOUR-SERVER-ADDRESS: replace it") {
		t.Error("the settings' placeholder is not explained")
	}
}
