package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// TestMetricsNeedSignInUnlessAuthIsOff: /metrics names every host and counts its open updates.
// With sign-in on (builtin or proxy) it needs METRICS_TOKEN, an API token or a signed-in
// person; only AUTH_MODE=none without METRICS_TOKEN leaves it open.
func TestMetricsNeedSignInUnlessAuthIsOff(t *testing.T) {
	for _, name := range storeNames() {
		for _, c := range []struct {
			mode         auth.Mode
			metricsToken string
			// anonymous is what a request with no credential gets.
			anonymous int
		}{
			{auth.ModeBuiltin, "", http.StatusUnauthorized},
			{auth.ModeBuiltin, hostMetricsTok, http.StatusUnauthorized},
			{auth.ModeProxy, "", http.StatusUnauthorized},
			{auth.ModeProxy, hostMetricsTok, http.StatusUnauthorized},
			{auth.ModeNone, "", http.StatusOK},
			{auth.ModeNone, hostMetricsTok, http.StatusUnauthorized},
		} {
			label := name + "/" + string(c.mode)
			if c.metricsToken != "" {
				label += "+METRICS_TOKEN"
			}
			t.Run(label, func(t *testing.T) {
				e := newModeEnv(t, storeFactories[name](t), c.mode, Options{MetricsToken: c.metricsToken})
				e.seed(1, 1) // a host name that must not leak
				writeToken, _, err := e.srv.auth.NewAPIToken(context.Background(), "writer", store.ScopeWrite)
				if err != nil {
					t.Fatal(err)
				}
				scrape := func(what string, want int, header ...string) {
					t.Helper()
					r := e.send(http.MethodGet, "/metrics", "", nil, header...)
					if r.Status != want {
						t.Errorf("/metrics %s: %d, want %d: %.200s", what, r.Status, want, r.Body)
					}
					leaks := strings.Contains(string(r.Body), `hostname="host-0"`)
					if r.Status == http.StatusOK && !leaks {
						t.Errorf("/metrics %s: 200 without the images gauges", what)
					}
					if r.Status != http.StatusOK && leaks {
						t.Errorf("/metrics %s: refused, yet names the hosts", what)
					}
				}
				scrape("without credentials", c.anonymous)
				scrape("with the webhook token", http.StatusUnauthorized, "Authorization", "Bearer "+testToken)
				scrape("with a made-up token", http.StatusUnauthorized, "Authorization", "Bearer dd_made-up")
				scrape("with a read API token", http.StatusOK, "Authorization", "Bearer "+e.readToken)
				scrape("with a write API token", http.StatusOK, "Authorization", "Bearer "+writeToken)
				if c.metricsToken != "" {
					scrape("with METRICS_TOKEN", http.StatusOK, "Authorization", "Bearer "+c.metricsToken)
					scrape("with METRICS_TOKEN as Basic", http.StatusUnauthorized, "Authorization", "Basic "+c.metricsToken)
				}
				if c.mode != auth.ModeNone {
					scrape("signed in", http.StatusOK, e.ambient...)
				}
				if c.mode == auth.ModeBuiltin {
					scrape("with a stale session cookie", http.StatusUnauthorized, "Cookie", "dd_session=stale")
				}
			})
		}
	}
}
