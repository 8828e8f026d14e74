package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestHubLinkOfAnotherScheme: a hub_link that is not an http(s) URL (the webhook keeps what
// Diun's token holder sent) is shown as text on the image page and not linked anywhere; before,
// html/template turned the link into href="#ZgotmplZ" (found by an outside tester).
func TestHubLinkOfAnotherScheme(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		body := `{"diun_version":"v4.33.0","hostname":"nas","status":"new","provider":"docker","image":"docker.io/acme/odd:1",` +
			`"hub_link":"javascript:alert(1)","mime_type":"application/vnd.oci.image.index.v1+json","digest":"` + digestN(7) +
			`","created":null,"platform":"linux/amd64","metadata":null}`
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+webhookToken)
		if res, out := e.do(req); res.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %d %s", res.StatusCode, out)
		}
		e.notify("nas", "docker.io/acme/fine:1", digestN(8), "")
		_, overview := e.get("/", nil)
		_, page := e.get("/images/"+idOf(t, e, "nas", "docker.io/acme/odd:1"), nil)
		for name, html := range map[string]string{"the overview": overview, "the image page": page} {
			if strings.Contains(html, "ZgotmplZ") || strings.Contains(html, `href="javascript:`) {
				t.Errorf("%s links the javascript: hub_link", name)
			}
		}
		if !strings.Contains(page, "<dt>Registry</dt><dd>javascript:alert(1)</dd>") {
			t.Errorf("the image page does not show the hub_link as text")
		}
		if !strings.Contains(overview, `href="https://hub.docker.com/r/acme/app" rel="noopener noreferrer" target="_blank">registry`) {
			t.Errorf("the overview lost the registry link of an https hub_link")
		}
	})
}
