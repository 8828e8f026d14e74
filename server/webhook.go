package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/store"
)

// webhookReply is the answer to a stored notification.
type webhookReply struct {
	EventID int64  `json:"event_id"`
	ImageID *int64 `json:"image_id"`
	State   string `json:"state,omitempty"`
	// Check is true for Diun's test notification, which proves the connection and is not an
	// update.
	Check   bool   `json:"check"`
	Message string `json:"message"`
}

// webhook receives one Diun notification. Diun never retries, so it is stored before the
// reply, and every answer other than 2xx says exactly what was wrong.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	client := s.auth.ClientIP(r)
	if d := s.webhookFailures.wait(client); d > 0 {
		writeError(w, http.StatusTooManyRequests, "%s", tooManyFailures(w, d, "webhook token"))
		return
	}
	if !s.token.matches(presentedToken(r)) {
		s.webhookFailures.failed(r, client)
		w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong webhook token: send Authorization: Bearer <token> or ?token=<token> (see the Connect page or the server log)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes; Diun's notifications are far smaller", MaxWebhookBody)
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read the body: %v", err)
		return
	}
	n, err := DecodeNotification(body)
	if err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			writeError(w, de.Status, "%s", de.Msg)
			return
		}
		writeError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	res, err := s.recordNotification(ctx, n)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			writeError(w, http.StatusUnprocessableEntity, "%s", err)
			return
		}
		s.log.ErrorContext(r.Context(), "cannot store a notification; Diun will not resend it", "hostname", n.Hostname, "image", n.Image, "digest", n.Digest, "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the database is unavailable; the notification was not stored")
		return
	}
	reply := webhookReply{EventID: res.EventID, Check: res.Check}
	if res.Check {
		s.publish(live.KindCheck, 0)
	} else {
		s.publish(live.KindNotification, res.ImageID)
	}
	if res.Check {
		reply.Message = "test notification received: Diun reaches DiunDashboard"
		s.log.InfoContext(r.Context(), "test notification received", "hostname", n.Hostname, "diun_version", n.DiunVersion)
	} else {
		reply.ImageID = &res.ImageID
		reply.State = string(res.State)
		reply.Message = "notification stored"
	}
	writeJSON(w, http.StatusOK, reply)
}

// Wrong tokens allowed per client address on one endpoint before it must wait, and how often
// one more is allowed after that: the numbers of the sign-in limiter. Diun, which sends the
// right token, never spends any of them, however large its bursts.
const (
	tokenFailureBurst = 10
	tokenFailureEvery = 10 * time.Second
)

// failureThrottle slows down a client that keeps presenting a wrong or missing token to one
// endpoint, so that guessing a token (or trying a short one) is hopeless.
type failureThrottle struct {
	endpoint string
	lim      *auth.FailureLimiter
	log      *slog.Logger
	now      func() time.Time
}

func newFailureThrottle(endpoint string, log *slog.Logger) *failureThrottle {
	return &failureThrottle{endpoint: endpoint, lim: auth.NewFailureLimiter(tokenFailureEvery, tokenFailureBurst), log: log, now: time.Now}
}

// wait tells how long client must wait before its token is checked again. Callers ask before
// checking the token, even a right one: a throttled client that still got 200 for the right
// guess would learn it as fast as ever.
func (t *failureThrottle) wait(client netip.Addr) time.Duration {
	return t.lim.Wait(client, t.now())
}

// failed counts one refused token of client. The failure that uses up its allowance is logged,
// once per wait, with the client and the reason; the token itself never is.
func (t *failureThrottle) failed(r *http.Request, client netip.Addr) {
	if d := t.lim.Fail(client, t.now()); d > 0 {
		t.log.WarnContext(r.Context(), "a client keeps sending a wrong or missing token: its requests to this endpoint are refused with 429 until it waits",
			"client", client.String(), "endpoint", t.endpoint, "failures_allowed", tokenFailureBurst, "retry_after", retryAfterSeconds(d))
	}
}

// retryAfterSeconds is d in whole seconds, rounded up, as Retry-After wants it.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// tooManyFailures sets Retry-After for a client that must wait d and returns the message that
// explains the 429.
func tooManyFailures(w http.ResponseWriter, d time.Duration, what string) string {
	secs := retryAfterSeconds(d)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return fmt.Sprintf("too many requests with a wrong or missing %s from this address; try again in %d s", what, secs)
}
