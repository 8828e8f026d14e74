package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestTwoAuthorizationHeadersAreRefused: a request with two Authorization headers, one of them
// Bearer, is refused by the webhook and the API whichever comes first; before, the first
// counted, and a proxy that reads the last would disagree (found by an outside tester).
func TestTwoAuthorizationHeadersAreRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		body := readBody(t, "docker-update.json")
		for name, second := range map[string]string{
			"a wrong token after it": "Bearer wrong",
			"Basic after it":         "Basic dXNlcjpwYXNz",
			"the same token again":   "Bearer " + testToken,
		} {
			req, _ := http.NewRequest(http.MethodPost, env.http.URL+"/webhook", strings.NewReader(body))
			req.Header.Add("Authorization", "Bearer "+testToken)
			req.Header.Add("Authorization", second)
			if r := env.do(req); r.Status != http.StatusUnauthorized {
				t.Errorf("webhook, the token then %s: status %d, want 401: %s", name, r.Status, r.Body)
			}
		}
		if images, events := env.counts(); images != 0 || events != 0 {
			t.Errorf("refused requests stored %d images and %d events", images, events)
		}
		req, _ := http.NewRequest(http.MethodGet, env.http.URL+"/api/v1/images", nil)
		req.Header.Add("Authorization", "Bearer "+env.apiToken)
		req.Header.Add("Authorization", "Bearer wrong")
		if r := env.do(req); r.Status != http.StatusUnauthorized {
			t.Errorf("API, a token then a wrong one: status %d, want 401", r.Status)
		}
		// One header still works.
		req, _ = http.NewRequest(http.MethodPost, env.http.URL+"/webhook", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		if r := env.do(req); r.Status != http.StatusOK {
			t.Errorf("webhook with one Authorization header: status %d: %s", r.Status, r.Body)
		}
	})
}
