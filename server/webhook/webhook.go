// Package webhook is Diun's endpoint: it checks the webhook token, decodes one notification
// per request and records it through the triage service before answering, because Diun never
// retries.
package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/httpx"
	"diundashboard/server/metrics"
	"diundashboard/server/store"
	"diundashboard/server/triage"
)

// Reply is the answer to a stored notification.
type Reply struct {
	EventID int64  `json:"event_id"`
	ImageID *int64 `json:"image_id"`
	State   string `json:"state,omitempty"`
	// Check is true for Diun's test notification, which proves the connection and is not an
	// update.
	Check   bool   `json:"check"`
	Message string `json:"message"`
}

// Options configure the Handler.
type Options struct {
	Triage *triage.Service
	Token  *Token
	// Auth tells the client's address (behind trusted proxies), for the throttle.
	Auth    *auth.Authenticator
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// StoreTimeout bounds the recording of one notification.
	StoreTimeout time.Duration
	// Now is the clock of the throttle; time.Now when nil.
	Now func() time.Time
}

// Handler serves POST and GET /webhook (Diun's default method is GET, with a body).
type Handler struct {
	opts      Options
	failures  *auth.Throttle
	queueFull rareLog
	bodies    *bodyReader
}

// New returns the webhook's handler.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Handler{opts: opts, failures: auth.NewThrottle("/webhook", opts.Logger, opts.Now), bodies: newBodyReader()}
}

// Register adds the webhook's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /webhook", h.serve)
	mux.HandleFunc("GET /webhook", h.serve)
}

// serve receives one Diun notification and counts its result.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	status, check := h.receive(w, r)
	h.opts.Metrics.CountWebhook(metrics.WebhookResult(status, check))
}

// receive answers the request and tells what it answered: every answer other than 2xx says
// exactly what was wrong.
func (h *Handler) receive(w http.ResponseWriter, r *http.Request) (status int, check bool) {
	fail := func(status int, format string, args ...any) (int, bool) {
		httpx.WriteError(w, status, format, args...)
		return status, false
	}
	// The right token is always accepted, even from an address that keeps failing: Diun
	// shares its address with whoever else runs on the host, and never resends a refused
	// notification. Only failures are throttled; a failure past the allowance costs one
	// hash compare before its 429.
	// HEAD is GET without a body in the answer: it must change nothing, and Diun never sends it.
	if r.Method == http.MethodHead {
		w.Header().Set("Allow", "GET, POST")
		return fail(http.StatusMethodNotAllowed, "HEAD does not store notifications: Diun sends GET or POST")
	}
	if !h.opts.Token.MatchesFresh(r.Context(), presentedToken(r)) {
		client := h.opts.Auth.ClientIP(r)
		if d := h.failures.Wait(client); d > 0 {
			return fail(http.StatusTooManyRequests, "%s", auth.TooMany(w, d, "webhook token"))
		}
		h.failures.Failed(r, client)
		w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard"`)
		return fail(http.StatusUnauthorized, "missing or wrong webhook token: send Authorization: Bearer <token> or ?token=<token> (see the Connect page or the server log)")
	}
	body, release, status := h.bodies.read(w, r)
	if status != 0 {
		return status, false
	}
	n, err := Decode(body)
	release()
	if err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			return fail(de.Status, "%s", de.Msg)
		}
		return fail(http.StatusBadRequest, "%s", err)
	}
	ctx, cancel := httpx.StoreContext(r, h.opts.StoreTimeout)
	defer cancel()
	res, err := h.opts.Triage.Record(ctx, n)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return fail(http.StatusUnprocessableEntity, "%s", err)
		}
		if errors.Is(err, store.ErrQueueFull) {
			// Refused at once, before any work: an overload must not turn into requests that
			// hang until they time out. Logged at most once a second, as it comes in floods.
			h.queueFull.Warn(h.opts.Logger, "notifications arrive faster than the database writes them; refusing with 503 and Retry-After until the ingest queue drains (see diundashboard_ingest_queue_depth)")
			w.Header().Set("Retry-After", "1")
			return fail(http.StatusServiceUnavailable, "too many notifications are waiting to be written; this one was not stored: send it again in a second")
		}
		w.Header().Set("Retry-After", "5")
		if errors.Is(err, context.DeadlineExceeded) {
			// The writer may still commit it (or have committed it as the time ran out): the
			// answer says so rather than "not stored", and a resend stores a second event.
			h.opts.Logger.ErrorContext(r.Context(), "the database did not confirm a notification in time; it may or may not be stored", "hostname", n.Hostname, "image", n.Image, "digest", n.Digest, "err", err)
			return fail(http.StatusServiceUnavailable, "the database did not confirm the notification in time; it may have been stored: check the image's history before sending it again")
		}
		h.opts.Logger.ErrorContext(r.Context(), "cannot store a notification; Diun will not resend it", "hostname", n.Hostname, "image", n.Image, "digest", n.Digest, "err", err)
		return fail(http.StatusServiceUnavailable, "the database is unavailable; the notification was not stored")
	}
	reply := Reply{EventID: res.EventID, Check: res.Check}
	if res.Check {
		reply.Message = "test notification received: Diun reaches DiunDashboard"
		h.opts.Logger.InfoContext(r.Context(), "test notification received", "hostname", n.Hostname, "diun_version", n.DiunVersion)
	} else {
		reply.ImageID = &res.ImageID
		reply.State = string(res.State)
		reply.Message = "notification stored"
	}
	httpx.WriteJSON(w, http.StatusOK, reply)
	return http.StatusOK, res.Check
}

// rareLog logs one message at most once a second, however often it is asked to.
type rareLog struct{ last atomic.Int64 }

func (l *rareLog) Warn(logger *slog.Logger, msg string) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if now-last < int64(time.Second) || !l.last.CompareAndSwap(last, now) {
		return
	}
	logger.Warn(msg)
}
