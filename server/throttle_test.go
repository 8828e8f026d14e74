package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/server/auth"
)

// Guessing the webhook or metrics token: each client address may fail auth.TokenFailureBurst times,
// then its failures are answered 429 with Retry-After until it has waited, while the right
// token is still accepted; one log line says which client and why, never the token. Clients are told apart by X-Forwarded-For
// from the trusted proxy 127.0.0.1, as behind a reverse proxy.

const (
	throttledClient = "203.0.113.7"
	otherClient     = "198.51.100.2"
)

// wrongGuess is a made-up token, different each time, that must never appear in the log.
func wrongGuess(i int) string { return fmt.Sprintf("guess-%02d-0123456789abcdef0123", i) }

func throttleBody(i int) []byte {
	return fmt.Appendf(nil, `{"hostname":"nas","image":"docker.io/team/app-%d:1","digest":"sha256:%064x","status":"update"}`, i, i)
}

func wantRetryAfter(t *testing.T, r response, what string) {
	t.Helper()
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if r.Status != http.StatusTooManyRequests || err != nil || secs < 1 || secs > int(auth.TokenFailureEvery/time.Second) {
		t.Fatalf("%s: %d with Retry-After %q; want 429 with a wait of 1–%d s: %s", what, r.Status, r.Header.Get("Retry-After"), int(auth.TokenFailureEvery/time.Second), r.Body)
	}
}

func TestWebhookThrottlesWrongTokens(t *testing.T) {
	for _, name := range storeNames() {
		t.Run(name, func(t *testing.T) {
			var later atomic.Bool // the throttle's clock, moved past the wait below
			clock := func() time.Time {
				if later.Load() {
					return time.Now().Add(auth.TokenFailureEvery)
				}
				return time.Now()
			}
			e := newModeEnv(t, storeFactories[name](t), auth.ModeBuiltin, Options{Now: clock})
			from := func(client string) []string { return []string{"X-Forwarded-For", client} }
			for i := range auth.TokenFailureBurst {
				header := append(from(throttledClient), "Authorization", "Bearer "+wrongGuess(i))
				if i%2 == 1 { // a missing token counts too
					header = from(throttledClient)
				}
				if r := e.send(http.MethodPost, "/webhook", "", throttleBody(i), header...); r.Status != http.StatusUnauthorized {
					t.Fatalf("wrong token %d: %d, want 401: %s", i+1, r.Status, r.Body)
				}
			}
			r := e.send(http.MethodGet, "/webhook?token="+wrongGuess(99), "", throttleBody(99), from(throttledClient)...)
			wantRetryAfter(t, r, "one wrong token too many")
			if msg := r.errorMessage(t); !strings.Contains(msg, "s more") || !strings.Contains(msg, "the right one is accepted") {
				t.Errorf("the 429 does not say how long, and that the right token still works: %s", msg)
			}
			if _, events := e.counts(); events != 0 {
				t.Fatalf("%d events stored from a throttled or wrong client", events)
			}
			// The right token gets through: Diun may share the guesser's address, and a 24-character
			// random token is not found by guessing, however fast.
			if r := e.send(http.MethodPost, "/webhook", "", throttleBody(100), append(from(throttledClient), "Authorization", "Bearer "+testToken)...); r.Status != http.StatusOK {
				t.Fatalf("the right token from the throttled client: %d, want 200: %s", r.Status, r.Body)
			}
			// ...and pays nothing back: the next wrong one is still refused with 429.
			wantRetryAfter(t, e.send(http.MethodPost, "/webhook", "", throttleBody(99), append(from(throttledClient), "Authorization", "Bearer "+wrongGuess(98))...), "a wrong token after the right one")
			// Another client is not held up, and has its own allowance.
			if r := e.send(http.MethodPost, "/webhook", "", throttleBody(101), append(from(otherClient), "Authorization", "Bearer "+testToken)...); r.Status != http.StatusOK {
				t.Errorf("another client with the right token: %d: %s", r.Status, r.Body)
			}
			if r := e.send(http.MethodPost, "/webhook", "", throttleBody(102), append(from(otherClient), "Authorization", "Bearer wrong")...); r.Status != http.StatusUnauthorized {
				t.Errorf("another client's first wrong token: %d, want 401", r.Status)
			}

			logs := e.logText()
			if n := strings.Count(logs, "keeps sending a wrong or missing token"); n != 1 {
				t.Errorf("%d log lines about the throttled client; want 1:\n%s", n, logs)
			}
			if !strings.Contains(logs, "client="+throttledClient) || !strings.Contains(logs, "endpoint=/webhook") {
				t.Errorf("the log does not name the client and the endpoint:\n%s", logs)
			}
			for i := range 100 {
				if strings.Contains(logs, wrongGuess(i)) {
					t.Fatalf("a presented token is in the log:\n%s", logs)
				}
			}
			if strings.Contains(logs, testToken) {
				t.Fatalf("the webhook token is in the log:\n%s", logs)
			}

			// Once the wait is over, a wrong token is answered 401 again.
			later.Store(true)
			if r := e.send(http.MethodPost, "/webhook", "", throttleBody(103), append(from(throttledClient), "Authorization", "Bearer "+wrongGuess(97))...); r.Status != http.StatusUnauthorized {
				t.Errorf("a wrong token after the wait: %d, want 401: %s", r.Status, r.Body)
			}
		})
	}
}

// TestSuccessfulWebhooksAreNeverThrottled: Diun sends bursts of hundreds; requests with the
// right token spend nothing of the allowance, however many, and do not refill it either.
func TestSuccessfulWebhooksAreNeverThrottled(t *testing.T) {
	for _, name := range storeNames() {
		t.Run(name, func(t *testing.T) {
			e := newModeEnv(t, storeFactories[name](t), auth.ModeNone, Options{})
			for i := range auth.TokenFailureBurst - 1 {
				if r := e.send(http.MethodPost, "/webhook", "", throttleBody(i), "Authorization", "Bearer "+wrongGuess(i)); r.Status != http.StatusUnauthorized {
					t.Fatalf("wrong token %d: %d, want 401", i+1, r.Status)
				}
			}
			const burst, senders = 300, 8
			var wg sync.WaitGroup
			statuses := make(chan int, burst)
			for s := range senders {
				wg.Go(func() {
					for i := s; i < burst; i += senders {
						// Not e.send: a goroutine must not end the test.
						req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/webhook", bytes.NewReader(throttleBody(1000+i)))
						req.Header.Set("Authorization", "Bearer "+testToken)
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							statuses <- -1
							continue
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						statuses <- resp.StatusCode
					}
				})
			}
			wg.Wait()
			close(statuses)
			for st := range statuses {
				if st != http.StatusOK {
					t.Fatalf("a webhook with the right token in a burst of %d: %d", burst, st)
				}
			}
			if strings.Contains(e.logText(), "keeps sending a wrong or missing token") {
				t.Errorf("the burst was taken for a throttledClient:\n%s", e.logText())
			}
			// The nine failures before the burst still count: one more is allowed, then 429.
			if r := e.send(http.MethodPost, "/webhook", "", throttleBody(1), "Authorization", "Bearer "+wrongGuess(50)); r.Status != http.StatusUnauthorized {
				t.Fatalf("the tenth wrong token: %d, want 401", r.Status)
			}
			wantRetryAfter(t, e.send(http.MethodPost, "/webhook", "", throttleBody(2), "Authorization", "Bearer "+wrongGuess(51)), "the eleventh wrong token")
		})
	}
}

// TestMetricsThrottlesWrongTokens: the same on /metrics, counted apart from the webhook, so a
// browser or scraper refused there never holds up Diun on the same address.
func TestMetricsThrottlesWrongTokens(t *testing.T) {
	for _, name := range storeNames() {
		t.Run(name, func(t *testing.T) {
			e := newModeEnv(t, storeFactories[name](t), auth.ModeBuiltin, Options{MetricsToken: hostMetricsTok})
			from := func(client string) []string { return []string{"X-Forwarded-For", client} }
			for i := range auth.TokenFailureBurst {
				header := append(from(throttledClient), "Authorization", "Bearer "+wrongGuess(i))
				if i%2 == 1 { // no credential at all counts too
					header = from(throttledClient)
				}
				if r := e.send(http.MethodGet, "/metrics", "", nil, header...); r.Status != http.StatusUnauthorized {
					t.Fatalf("wrong token %d: %d, want 401: %s", i+1, r.Status, r.Body)
				}
			}
			wantRetryAfter(t, e.send(http.MethodGet, "/metrics", "", nil, append(from(throttledClient), "Authorization", "Bearer "+wrongGuess(20))...), "one wrong token too many")
			if r := e.send(http.MethodGet, "/metrics", "", nil, append(from(throttledClient), "Authorization", "Bearer "+hostMetricsTok)...); r.Status != http.StatusOK {
				t.Errorf("METRICS_TOKEN from the throttled client: %d, want 200: %s", r.Status, r.Body)
			}
			wantRetryAfter(t, e.send(http.MethodGet, "/metrics", "", nil, from(throttledClient)...), "no credential after the right one")
			if r := e.send(http.MethodGet, "/metrics", "", nil, append(from(otherClient), "Authorization", "Bearer "+hostMetricsTok)...); r.Status != http.StatusOK {
				t.Errorf("another client with METRICS_TOKEN: %d", r.Status)
			}
			if r := e.send(http.MethodPost, "/webhook", "", throttleBody(1), append(from(throttledClient), "Authorization", "Bearer "+testToken)...); r.Status != http.StatusOK {
				t.Errorf("Diun on the address throttled on /metrics: %d, want 200: %s", r.Status, r.Body)
			}
			logs := e.logText()
			if n := strings.Count(logs, "keeps sending a wrong or missing token"); n != 1 || !strings.Contains(logs, "endpoint=/metrics") || !strings.Contains(logs, "client="+throttledClient) {
				t.Errorf("want one log line naming the client and /metrics:\n%s", logs)
			}
			if strings.Contains(logs, hostMetricsTok) || strings.Contains(logs, wrongGuess(20)) {
				t.Fatalf("a token is in the log:\n%s", logs)
			}
		})
	}
}

// TestRightTokensPassAThrottledAddress: the black-box finding. An address that sent 20 wrong
// tokens (a guesser sharing Diun's NAT, or the same host) gets 429 for its next wrong one, and
// 200 for every right credential: the webhook token (by header and by ?token=), METRICS_TOKEN
// and an API token on /metrics, and an API token on the API. Diun's notification is stored.
func TestRightTokensPassAThrottledAddress(t *testing.T) {
	for _, name := range storeNames() {
		t.Run(name, func(t *testing.T) {
			e := newModeEnv(t, storeFactories[name](t), auth.ModeBuiltin, Options{MetricsToken: hostMetricsTok})
			from := []string{"X-Forwarded-For", throttledClient}
			bad := func(path string, i int) response {
				method, body := http.MethodGet, []byte(nil)
				if path == "/webhook" {
					method, body = http.MethodPost, throttleBody(i)
				}
				return e.send(method, path, "", body, append(from, "Authorization", "Bearer "+wrongGuess(i))...)
			}
			for _, path := range []string{"/webhook", "/metrics"} {
				for i := range 20 {
					r := bad(path, i)
					if i < auth.TokenFailureBurst && r.Status != http.StatusUnauthorized {
						t.Fatalf("%s: wrong token %d: %d, want 401", path, i+1, r.Status)
					}
					if i >= auth.TokenFailureBurst {
						wantRetryAfter(t, r, fmt.Sprintf("%s: wrong token %d", path, i+1))
					}
				}
			}
			rights := []struct {
				what, method, path string
				header             []string
			}{
				{"the webhook token", http.MethodPost, "/webhook", []string{"Authorization", "Bearer " + testToken}},
				{"the webhook token in ?token=", http.MethodGet, "/webhook?token=" + testToken, nil},
				{"METRICS_TOKEN", http.MethodGet, "/metrics", []string{"Authorization", "Bearer " + hostMetricsTok}},
				{"an API token on /metrics", http.MethodGet, "/metrics", []string{"Authorization", "Bearer " + e.readToken}},
				{"an API token on the API", http.MethodGet, "/api/v1/images", []string{"Authorization", "Bearer " + e.readToken}},
			}
			for i, right := range rights {
				var body []byte
				if strings.HasPrefix(right.path, "/webhook") {
					body = throttleBody(500 + i)
				}
				if r := e.send(right.method, right.path, "", body, append(append([]string(nil), from...), right.header...)...); r.Status != http.StatusOK {
					t.Errorf("%s from the throttled address: %d, want 200: %s", right.what, r.Status, r.Body)
				}
			}
			if _, events := e.counts(); events != 2 {
				t.Errorf("%d events stored; want Diun's 2", events)
			}
			// The failures are still refused after the right ones.
			wantRetryAfter(t, bad("/webhook", 90), "a wrong webhook token after the right ones")
			wantRetryAfter(t, bad("/metrics", 91), "a wrong metrics token after the right ones")
		})
	}
}
