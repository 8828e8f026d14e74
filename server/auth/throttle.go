package auth

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// Wrong tokens allowed per client address on one endpoint before it must wait, and how often
// one more is allowed after that: the numbers of the sign-in limiter. Diun, which sends the
// right token, never spends any of them, however large its bursts.
const (
	TokenFailureBurst = 10
	TokenFailureEvery = 10 * time.Second
)

// Throttle slows down a client that keeps presenting a wrong or missing token to one
// endpoint (the webhook, /metrics). Only failures are throttled: a request with the right
// token is served whatever its address did before. The tokens these endpoints take (the
// webhook token, METRICS_TOKEN, API tokens) are at least 24 random characters, which no
// number of guesses finds, so refusing the right one would protect nothing and would let
// anyone who shares Diun's address (a NAT, a proxy, the same host) block its notifications,
// which Diun never resends. The throttle bounds the work and the log lines a guesser causes.
type Throttle struct {
	endpoint string
	lim      *FailureLimiter
	log      *slog.Logger
	now      func() time.Time
}

// NewThrottle returns the throttle of endpoint, which logs to log and reads the time from now
// (time.Now when nil).
func NewThrottle(endpoint string, log *slog.Logger, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{endpoint: endpoint, lim: NewFailureLimiter(TokenFailureEvery, TokenFailureBurst), log: log, now: now}
}

// Wait tells how long client must wait before another failure of its is answered 401 rather
// than 429. Callers ask only once the credential has failed: the right one is never held up.
func (t *Throttle) Wait(client netip.Addr) time.Duration {
	return t.lim.Wait(client, t.now())
}

// Failed counts one refused token of client. The failure that uses up its allowance is
// logged, once per wait, with the client and the reason; the token itself never is.
func (t *Throttle) Failed(r *http.Request, client netip.Addr) {
	if d := t.lim.Fail(client, t.now()); d > 0 {
		t.log.WarnContext(r.Context(), "a client keeps sending a wrong or missing token: its failures on this endpoint are answered 429 until it waits (the right token is still accepted)",
			"client", client.String(), "endpoint", t.endpoint, "failures_allowed", TokenFailureBurst, "retry_after", retryAfterSeconds(d))
	}
}

// TooMany sets Retry-After for a client that must wait d and returns the message that
// explains the 429.
func TooMany(w http.ResponseWriter, d time.Duration, what string) string {
	secs := retryAfterSeconds(d)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return fmt.Sprintf("too many requests with a wrong or missing %s from this address; a wrong or missing one is refused for %d s more (the right one is accepted at any time)", what, secs)
}

// retryAfterSeconds is d in whole seconds, rounded up, as Retry-After wants it.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
