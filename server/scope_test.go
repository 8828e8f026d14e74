package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

// Finding 3: an API token does what its scope allows and never manages credentials. A token
// made for a widget could read the webhook token on /connect, rotate it, mint more tokens and
// revoke others.
func TestTokenScopes(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(1, 2)
		tokens := map[store.TokenScope]string{}
		for _, scope := range []store.TokenScope{store.ScopeRead, store.ScopeWrite} {
			tok, _, err := env.srv.auth.NewAPIToken(context.Background(), "widget-"+string(scope), scope)
			if err != nil {
				t.Fatal(err)
			}
			tokens[scope] = tok
		}
		bearer := func(scope store.TokenScope) []string {
			return []string{"Authorization", "Bearer " + tokens[scope]}
		}
		img := "/api/v1/images/" + strconv.FormatInt(ids[0], 10)

		// Reads: both scopes.
		for scope := range tokens {
			for _, path := range []string{"/api/v1/images", img, img + "/events", "/api/v1/tags", "/api/v1/summary"} {
				if r := env.request(http.MethodGet, path, nil, bearer(scope)...); r.Status != http.StatusOK {
					t.Errorf("%s token: GET %s = %d, want 200: %s", scope, path, r.Status, r.Body)
				}
			}
		}
		// Changes through the API: write only; read gets 403 and nothing changes.
		changes := []struct{ method, path, body string }{
			{http.MethodPost, img + "/acknowledge", ""},
			{http.MethodPost, img + "/snooze", `{"until":"` + time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339) + `"}`},
			{http.MethodPost, "/api/v1/hosts/host-0/acknowledge", ""},
			{http.MethodPost, "/api/v1/tags", `{"name":"from-a-widget"}`},
			{http.MethodDelete, "/api/v1/images/" + strconv.FormatInt(ids[1], 10), ""},
		}
		for _, c := range changes {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			r := env.request(c.method, c.path, body, bearer(store.ScopeRead)...)
			if r.Status != http.StatusForbidden || !strings.Contains(r.errorMessage(t), "scope") {
				t.Errorf("read token: %s %s = %d %s; want 403 naming the scope", c.method, c.path, r.Status, r.Body)
			}
			if !strings.Contains(r.Header.Get("WWW-Authenticate"), "insufficient_scope") {
				t.Errorf("read token: %s %s: WWW-Authenticate %q; want insufficient_scope", c.method, c.path, r.Header.Get("WWW-Authenticate"))
			}
		}
		if got, err := env.store.GetImage(context.Background(), ids[0]); err != nil || got.State != store.StateOpen {
			t.Errorf("after refused changes the image is %+v, %v; want it open", got.State, err)
		}
		if tags, _ := env.store.ListTags(context.Background()); len(tags) != 0 {
			t.Errorf("a read token created tags: %+v", tags)
		}
		for _, c := range changes {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			if r := env.request(c.method, c.path, body, bearer(store.ScopeWrite)...); r.Status >= 300 {
				t.Errorf("write token: %s %s = %d %s; want success", c.method, c.path, r.Status, r.Body)
			}
		}

		// Credential management: no token of any scope, on any route of it.
		for scope := range tokens {
			for _, c := range []struct{ method, path string }{
				{http.MethodGet, "/connect"},
				{http.MethodPost, "/connect/rotate"},
				{http.MethodPost, "/tokens"},
				{http.MethodPost, "/tokens/1/revoke"},
				{http.MethodPost, "/sessions/revoke-all"},
			} {
				form := url.Values{"name": {"minted"}, "scope": {"write"}}.Encode()
				r := env.request(c.method, c.path, []byte(form), append(bearer(scope), "Content-Type", "application/x-www-form-urlencoded")...)
				if r.Status != http.StatusForbidden {
					t.Errorf("%s token: %s %s = %d, want 403: %.200s", scope, c.method, c.path, r.Status, r.Body)
				}
				if strings.Contains(string(r.Body), testToken) {
					t.Errorf("%s token: %s %s showed the webhook token", scope, c.method, c.path)
				}
			}
		}
		if list, _ := env.store.ListAPITokens(context.Background()); len(list) != 3 {
			t.Errorf("tokens after the refused attempts: %d; want the 3 made by the tests", len(list))
		}
		if r := env.webhook(`{"image":"docker.io/acme/after:1","digest":"sha256:ab00000000000000000000000000000000000000000000000000000000000000","hostname":"h"}`); r.Status != http.StatusOK {
			t.Errorf("the webhook token after the refused rotations: %d: a token rotated it", r.Status)
		}

		// The live stream is a read: a read token opens it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, env.http.URL+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+tokens[store.ScopeRead])
		resp, err := env.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Errorf("read token: GET /events = %d %s; want the stream", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
