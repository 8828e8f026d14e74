package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/httpx"
	"diundashboard/server/live"
	"diundashboard/server/store"
)

// heartbeat keeps proxies from closing an idle stream and lets a dead browser be noticed.
const heartbeat = 25 * time.Second

// maxStreams bounds the event streams one principal (one user or API token; with
// AUTH_MODE=none, one client address) holds open at once: a stream costs a goroutine and a
// connection for as long as it lasts, so nobody may open them without end. Sixteen is far
// more tabs than one person keeps open.
const maxStreams = 16

// maxStreamsTotal bounds the streams of everyone together: with AUTH_MODE=none the cap is per
// client address, and a client with many addresses (an IPv6 network) could otherwise open
// thousands (an outside review held 10,000 open, 400 MB).
const maxStreamsTotal = 512

// streamWriteTimeout bounds each write and flush of a stream. The server's WriteTimeout
// (30 s) would cut every stream, so it is replaced by a deadline per write: a client that
// stops reading (its buffers full) is dropped instead of holding the stream for ever. A var
// so that the tests can shorten it.
var streamWriteTimeout = 10 * time.Second

// streamCounter counts the open streams of each principal, and of all (Handler.streams).
type streamCounter struct {
	mu    sync.Mutex
	n     map[string]int
	total int
}

// acquire takes a stream for k, or reports false when k already holds maxStreams or all
// together hold maxStreamsTotal.
func (c *streamCounter) acquire(k string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[k] >= maxStreams || c.total >= maxStreamsTotal {
		return false
	}
	c.total++
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
	return true
}

func (c *streamCounter) release(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[k] == 0 {
		return // not held: nothing to give back
	}
	c.total--
	if c.n[k] == 1 {
		delete(c.n, k)
		return
	}
	c.n[k]--
}

// streamOwner names whose cap a stream counts against: the principal that require put in the
// context, or, with AUTH_MODE=none, where everyone is the same "anonymous", the client address.
func (h *Handler) streamOwner(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	if p.Via == "none" || p.Via == "" {
		return "addr:" + h.auth.ClientIP(r).String()
	}
	return p.Via + ":" + p.Name
}

// liveWindow is how often at most a stream tells a browser that something changed: during a
// burst of notifications every event would otherwise make every open page fetch itself again.
// The first event after a quiet window goes out at once; the ones within the window are merged
// (live.Coalescer). A var so that the tests can change it; 0 sends every event at once.
var liveWindow = time.Second

// liveAfter starts a window; tests replace it with a clock they control.
var liveAfter = time.After

// credentialRecheck is how often an open stream checks that its credential still holds.
var credentialRecheck = 5 * time.Second

// stillSignedIn tells whether the credential that opened a stream still opens it. A database
// that does not answer keeps the stream: the check is for revocations, not for outages.
func (h *Handler) stillSignedIn(r *http.Request) bool {
	p, ok, err := h.auth.Identify(r)
	switch {
	case errors.Is(err, auth.ErrBadToken):
		return false
	case err != nil:
		return true
	}
	return ok && p.Allows(store.ScopeRead)
}

// events streams live.Events to the browser as Server-Sent Events.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	key := h.streamOwner(r)
	if !h.streams.acquire(key) {
		// EventSource gives up on a non-200 answer; the page still works, refreshed by hand.
		w.Header().Set("Retry-After", strconv.Itoa(int(heartbeat/time.Second)))
		httpx.WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": fmt.Sprintf("too many live-update streams open (at most %d per user, %d in all): close some tabs of the dashboard; pages still work, refreshed by hand", maxStreams, maxStreamsTotal)})
		return
	}
	defer h.streams.release(key)

	rc := http.NewResponseController(w)
	deadlines := true
	// send writes what write writes, then flushes it to the client, within streamWriteTimeout.
	send := func(write func() error) bool {
		if deadlines {
			if err := rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil {
				// Not every ResponseWriter has deadlines; a stream without one still works.
				h.log.DebugContext(r.Context(), "cannot set a write deadline on the event stream", "err", err)
				deadlines = false
			}
		}
		if err := write(); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	ch, cancel := h.hub.Subscribe()
	defer cancel()
	// The retry hint makes EventSource reconnect after 2 s instead of its default 3.
	if !send(func() error {
		w.WriteHeader(http.StatusOK)
		_, err := fmt.Fprint(w, "retry: 2000\n: hello\n\n")
		return err
	}) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	// A stream outlives its request's check: a revoked token or an ended session must not keep
	// hearing (found by an outside review: a revoked token's stream ran on for minutes). The
	// credential is checked again every credentialRecheck, events or not.
	recheck := time.NewTicker(credentialRecheck)
	defer recheck.Stop()
	var merge live.Coalescer
	var window <-chan time.Time // nil while no window is open
	windowAfter, coalesce := liveAfter, liveWindow > 0
	for {
		var msg string
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok { // the server is shutting down
				return
			}
			if !coalesce {
				msg = sseEvent(e)
				break
			}
			send, start := merge.Add(e)
			if !send {
				continue
			}
			if start {
				window = windowAfter(liveWindow)
			}
			msg = sseEvent(e)
		case <-window:
			out, again := merge.Flush()
			window = nil
			if again {
				window = windowAfter(liveWindow)
			}
			if len(out) == 0 {
				continue
			}
			for _, e := range out {
				msg += sseEvent(e)
			}
		case <-tick.C:
			msg = ": ping\n\n"
		case <-recheck.C:
			if !h.stillSignedIn(r) {
				return
			}
			continue
		}
		if !send(func() error { _, err := fmt.Fprint(w, msg); return err }) {
			return
		}
	}
}

// sseEvent is e as one Server-Sent Event, named by its kind (the page listens per kind).
func sseEvent(e live.Event) string {
	b, _ := json.Marshal(e)
	return fmt.Sprintf("event: %s\ndata: %s\n\n", e.Kind, b)
}
