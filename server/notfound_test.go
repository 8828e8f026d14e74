package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestUnknownAddressIsAPageForABrowser: a browser (Accept: text/html) that asks for an address
// no route serves gets an HTML page with the way back, signed in or not; API clients and
// addresses under /api/ keep the JSON error (found by an outside tester).
func TestUnknownAddressIsAPageForABrowser(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
		r := env.request(http.MethodGet, "/nope", nil, "Accept", browser)
		env.wantStatus(r, http.StatusNotFound)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("Content-Type %q for a browser", ct)
		}
		if body := string(r.Body); !strings.Contains(body, "Page not found") || !strings.Contains(body, `href="/"`) {
			t.Errorf("the page lacks its heading or the way back:\n%s", body)
		}
		for _, c := range []struct{ path, accept string }{{"/nope", ""}, {"/nope", "application/json"}, {"/api/v1/nope", browser}} {
			r := env.request(http.MethodGet, c.path, nil, "Accept", c.accept)
			env.wantStatus(r, http.StatusNotFound)
			if msg := r.errorMessage(t); !strings.Contains(msg, "no such endpoint") {
				t.Errorf("%s with Accept %q: %q", c.path, c.accept, msg)
			}
		}
	})
}
