// Package live fans out "something changed" events to the browsers that listen on the
// dashboard's Server-Sent Events stream. Events carry no data a page shows: a page that hears
// one fetches its own fresh fragment, so a missed or dropped event costs nothing but a
// moment's staleness, and the hub never blocks a writer.
//
// A hub serves one process. With several replicas on one PostgreSQL database, a Bridge
// (bridge.go) carries every hub's events to the others through LISTEN/NOTIFY, so a browser
// hears the changes made through any replica.
package live

import (
	"sync"
	"sync/atomic"
)

// Kinds of events.
const (
	// KindNotification: Diun sent a notification (an update or a test).
	KindNotification = "notification"
	// KindChange: a person or API client changed images or tags.
	KindChange = "change"
	// KindCheck: Diun's test notification arrived (the Connect page listens for it).
	KindCheck = "check"
)

// Event tells listeners what kind of thing changed; ImageID is 0 when many or none did.
type Event struct {
	Kind    string `json:"kind"`
	ImageID int64  `json:"image_id,omitempty"`
}

// Hub is safe for concurrent use. The zero value is not usable: call NewHub.
type Hub struct {
	mu     sync.Mutex
	subs   map[chan Event]struct{}
	closed bool
	// forward, when set by a running Bridge, also takes every event published here; it
	// must not block.
	forward func(Event)
	// version counts the events delivered here (published or from other replicas): see
	// Version.
	version atomic.Uint64
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan Event]struct{}{}} }

// bufferSize lets a burst of notifications queue while a browser is slow; beyond it events
// are dropped for that browser, which still refreshes on the ones it gets.
const bufferSize = 16

// Subscribe returns a channel of events and a function that ends the subscription.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, bufferSize)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// Close ends every subscription (their channels close) and refuses new ones, so that open
// event streams end when the server shuts down instead of holding it up.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// Publish sends e to every subscriber without waiting for any of them, and to the other
// replicas when a Bridge runs. A nil hub ignores it, so that servers built without a hub need
// no checks.
func (h *Hub) Publish(e Event) {
	if h == nil {
		return
	}
	h.mu.Lock()
	fwd := h.forward
	h.mu.Unlock()
	h.deliver(e)
	if fwd != nil {
		fwd(e)
	}
}

// deliver sends e to this process's subscribers only.
func (h *Hub) deliver(e Event) {
	// Counted before the subscribers hear it, so that a page fetched because of e is never
	// answered with the version from before e.
	h.version.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default: // a full buffer already holds a reason to refresh
		}
	}
}

// Version changes whenever an event is delivered to this hub: every change to the stored data
// publishes one once it is committed. A page that read Version before reading the store and
// sees it unchanged later would render the same data (see web's ETag), so it can answer "not
// modified" without reading the store. A nil hub's version is always 0.
func (h *Hub) Version() uint64 {
	if h == nil {
		return 0
	}
	return h.version.Load()
}

// Subscribers tells how many listeners there are, for tests and metrics.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
