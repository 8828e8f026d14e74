package live

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Transport carries short text payloads between the processes that share one database. It is
// store.Notifier, implemented by *store.Postgres over LISTEN/NOTIFY; this package only needs
// its methods.
type Transport interface {
	// Notify sends payload to every listener, this process's included.
	Notify(ctx context.Context, payload string) error
	// Listen subscribes on a connection of its own, calls ready once subscribed, then calls
	// handle with every payload until ctx ends or the connection fails, and returns why.
	Listen(ctx context.Context, ready func(), handle func(payload string)) error
}

// Bridge joins a hub to the hubs of the other replicas: the events published on its hub are
// sent through the Transport (from a queue, so a publisher never waits for the database), and
// the events other replicas send are delivered to its hub's subscribers. Its own events, which
// come back through the Transport too, are recognised by their origin and ignored.
//
// The bridge loses events, never blocks: a full queue drops them, and a listener that lost
// its connection misses what was sent until it is back (it then tells pages to refresh once).
// Pages refetch on any event, so that costs a moment's staleness.
type Bridge struct {
	hub    *Hub
	tr     Transport
	log    *slog.Logger
	origin string
	queue  chan Event
	// dropped counts the events the queue had no room for, or that could not be sent.
	dropped atomic.Int64
	// Reconnection delays of the listener, doubled after each failure up to maxBackoff.
	minBackoff, maxBackoff time.Duration
	// notifyTimeout bounds one Notify.
	notifyTimeout time.Duration
}

// queueSize absorbs a burst of publishes while one NOTIFY is in flight.
const queueSize = 256

// notifyGap paces the NOTIFYs: under a steady stream of notifications, sending the next
// NOTIFY as soon as the last returned made one a round trip (measured: about a thousand
// transactions a second beside 1,600 notifications a second, each with its WAL flush, on
// the database being written to). A page on another replica refreshes up to this much later.
const notifyGap = 50 * time.Millisecond

// wireEvent is what travels between replicas: well under PostgreSQL's 8000-byte limit.
type wireEvent struct {
	Kind    string `json:"kind"`
	ImageID int64  `json:"image_id,omitempty"`
	Origin  string `json:"origin"`
}

// NewBridge returns a bridge between hub and tr; nothing moves until Run.
func NewBridge(hub *Hub, tr Transport, log *slog.Logger) *Bridge {
	if log == nil {
		log = slog.Default()
	}
	var id [8]byte
	_, _ = crand.Read(id[:])
	return &Bridge{hub: hub, tr: tr, log: log, origin: hex.EncodeToString(id[:]),
		queue: make(chan Event, queueSize), minBackoff: 250 * time.Millisecond, maxBackoff: 10 * time.Second,
		notifyTimeout: 5 * time.Second}
}

// Origin identifies this replica in the payloads it sends.
func (b *Bridge) Origin() string { return b.origin }

// Dropped tells how many local events did not reach the other replicas.
func (b *Bridge) Dropped() int64 { return b.dropped.Load() }

// Run relays events both ways until ctx ends. Call it once.
func (b *Bridge) Run(ctx context.Context) {
	b.hub.mu.Lock()
	b.hub.forward = b.enqueue
	b.hub.mu.Unlock()
	defer func() {
		b.hub.mu.Lock()
		b.hub.forward = nil
		b.hub.mu.Unlock()
	}()
	var wg sync.WaitGroup
	wg.Go(func() { b.send(ctx) })
	wg.Go(func() { b.listen(ctx) })
	wg.Wait()
}

// enqueue is the hub's forward function: it never waits.
func (b *Bridge) enqueue(e Event) {
	select {
	case b.queue <- e:
	default:
		b.dropped.Add(1)
	}
}

// send drains the queue into Notify. What queued up while the last NOTIFY was in flight is
// merged, one event per kind (ImageID 0 when they name different images, as the pages'
// Coalescer does), and rounds are at least notifyGap apart, so a burst of a thousand
// notifications costs a few NOTIFYs, not a thousand statements on the database the burst is
// being written to: every receiver only refetches.
func (b *Bridge) send(ctx context.Context) {
	failing := false
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-gap.C:
		}
		var e Event
		select {
		case <-ctx.Done():
			return
		case e = <-b.queue:
		}
		for _, e := range merge(e, b.queue) {
			payload, _ := json.Marshal(wireEvent{Kind: e.Kind, ImageID: e.ImageID, Origin: b.origin})
			nctx, cancel := context.WithTimeout(ctx, b.notifyTimeout)
			err := b.tr.Notify(nctx, string(payload))
			cancel()
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil:
				b.dropped.Add(1)
				if !failing {
					failing = true
					b.log.Warn("cannot send live updates to the other replicas; pages served by them refresh late until the database answers again", "err", err)
				}
			case failing:
				failing = false
				b.log.Info("sending live updates to the other replicas again", "dropped_so_far", b.dropped.Load())
			}
		}
		gap.Reset(notifyGap)
	}
}

// merge returns first and every event waiting in queue, one per kind in the order the kinds
// came (mergeKind); it does not wait for more.
func merge(first Event, queue <-chan Event) []Event {
	out := []Event{first}
	for {
		select {
		case e := <-queue:
			out = mergeKind(out, e)
		default:
			return out
		}
	}
}

// listen keeps one Listen running, reconnecting with backoff; an outage is logged once when it
// begins and once when it ends.
func (b *Bridge) listen(ctx context.Context) {
	backoff := b.minBackoff
	var outageSince time.Time // zero while connected
	ready := func() {
		backoff = b.minBackoff
		if !outageSince.IsZero() {
			b.log.Info("receiving live updates from the other replicas again", "after", time.Since(outageSince).Round(time.Millisecond))
			outageSince = time.Time{}
			// Whatever was sent meanwhile is lost: have open pages refetch once.
			b.hub.deliver(Event{Kind: KindChange})
		}
	}
	for {
		err := b.tr.Listen(ctx, ready, b.receive)
		if ctx.Err() != nil {
			return
		}
		if outageSince.IsZero() {
			outageSince = time.Now()
			b.log.Warn("lost the connection that brings live updates from the other replicas; reconnecting", "err", err)
		}
		// Jitter spreads the reconnections of replicas that lost the database at once.
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(backoff*2, b.maxBackoff)
	}
}

// receive delivers another replica's event to this hub's subscribers. Payloads that are not
// events of a known kind are ignored: the event kind is written into the SSE stream.
func (b *Bridge) receive(payload string) {
	var w wireEvent
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		b.log.Debug("ignoring a malformed live update from another replica", "err", err)
		return
	}
	if w.Origin == b.origin {
		return // published here already
	}
	switch w.Kind {
	case KindNotification, KindChange, KindCheck:
	default:
		b.log.Debug("ignoring a live update of unknown kind", "kind", w.Kind)
		return
	}
	if w.ImageID < 0 {
		w.ImageID = 0
	}
	b.hub.deliver(Event{Kind: w.Kind, ImageID: w.ImageID})
}
