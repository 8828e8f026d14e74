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
// endpoint (the webhook, /metrics), so that guessing a token (or trying a short one) is
// hopeless.
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

// Wait tells how long client must wait before its token is checked again. Callers ask before
// checking the token, even a right one: a throttled client that still got 200 for the right
// guess would learn it as fast as ever.
func (t *Throttle) Wait(client netip.Addr) time.Duration {
	return t.lim.Wait(client, t.now())
}

// Failed counts one refused token of client. The failure that uses up its allowance is
// logged, once per wait, with the client and the reason; the token itself never is.
func (t *Throttle) Failed(r *http.Request, client netip.Addr) {
	if d := t.lim.Fail(client, t.now()); d > 0 {
		t.log.WarnContext(r.Context(), "a client keeps sending a wrong or missing token: its requests to this endpoint are refused with 429 until it waits",
			"client", client.String(), "endpoint", t.endpoint, "failures_allowed", TokenFailureBurst, "retry_after", retryAfterSeconds(d))
	}
}

// TooMany sets Retry-After for a client that must wait d and returns the message that
// explains the 429.
func TooMany(w http.ResponseWriter, d time.Duration, what string) string {
	secs := retryAfterSeconds(d)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return fmt.Sprintf("too many requests with a wrong or missing %s from this address; try again in %d s", what, secs)
}

// retryAfterSeconds is d in whole seconds, rounded up, as Retry-After wants it.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
