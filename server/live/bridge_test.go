package live

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/proctest"
)

// bus is an in-memory Transport shared by several bridges, like one PostgreSQL database: every
// payload reaches every listener, the sender's own included.
type bus struct {
	mu        sync.Mutex
	listeners map[int]chan string
	next      int
	down      bool // Notify and Listen fail, and current listeners are cut off
}

func newBus() *bus { return &bus{listeners: map[int]chan string{}} }

var errDown = errors.New("the database is down")

func (b *bus) Notify(_ context.Context, payload string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return errDown
	}
	for _, ch := range b.listeners {
		select {
		case ch <- payload:
		default:
		}
	}
	return nil
}

func (b *bus) Listen(ctx context.Context, ready func(), handle func(string)) error {
	b.mu.Lock()
	if b.down {
		b.mu.Unlock()
		return errDown
	}
	id := b.next
	b.next++
	ch := make(chan string, 64)
	b.listeners[id] = ch
	b.mu.Unlock()
	ready()
	for {
		select {
		case <-ctx.Done():
			b.mu.Lock()
			delete(b.listeners, id)
			b.mu.Unlock()
			return ctx.Err()
		case p, ok := <-ch:
			if !ok {
				return errDown
			}
			handle(p)
		}
	}
}

func (b *bus) setDown(down bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = down
	if down {
		for id, ch := range b.listeners {
			close(ch)
			delete(b.listeners, id)
		}
	}
}

func (b *bus) listening() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.listeners)
}

// startBridge runs a bridge over tr for the rest of the test.
func startBridge(t *testing.T, hub *Hub, tr Transport, log *slog.Logger) *Bridge {
	t.Helper()
	br := NewBridge(hub, tr, log)
	br.minBackoff, br.maxBackoff = 5*time.Millisecond, 20*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { br.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the bridge did not stop within 5 s of its context ending")
		}
	})
	return br
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// next returns the next event on ch, failing after a second.
func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(time.Second):
		t.Fatal("no event within a second")
		return Event{}
	}
}

// quiet fails if ch receives anything within d.
func quiet(t *testing.T, ch <-chan Event, d time.Duration) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(d):
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestBridgeRelaysBetweenHubs(t *testing.T) {
	tr := newBus()
	a, b := NewHub(), NewHub()
	startBridge(t, a, tr, discard())
	startBridge(t, b, tr, discard())
	waitFor(t, "both bridges to listen", func() bool { return tr.listening() == 2 })

	subA, cancelA := a.Subscribe()
	defer cancelA()
	subB, cancelB := b.Subscribe()
	defer cancelB()

	a.Publish(Event{Kind: KindNotification, ImageID: 42})
	if e := next(t, subB); e != (Event{Kind: KindNotification, ImageID: 42}) {
		t.Errorf("B got %+v", e)
	}
	// A hears its own event once, locally, not a second time through the transport.
	if e := next(t, subA); e != (Event{Kind: KindNotification, ImageID: 42}) {
		t.Errorf("A got %+v", e)
	}
	quiet(t, subA, 50*time.Millisecond)

	b.Publish(Event{Kind: KindCheck})
	if e := next(t, subA); e != (Event{Kind: KindCheck}) {
		t.Errorf("A got %+v", e)
	}
	if e := next(t, subB); e != (Event{Kind: KindCheck}) {
		t.Errorf("B got %+v", e)
	}
	quiet(t, subB, 50*time.Millisecond)
}

func TestBridgeIgnoresForeignPayloads(t *testing.T) {
	tr := newBus()
	h := NewHub()
	startBridge(t, h, tr, discard())
	waitFor(t, "the bridge to listen", func() bool { return tr.listening() == 1 })
	sub, cancel := h.Subscribe()
	defer cancel()
	for _, p := range []string{
		``, `not json`, `{"kind":"evil\ndata: x","origin":"x"}`, `{"kind":"","origin":"x"}`,
		`{"kind":"shutdown","origin":"x"}`,
	} {
		if err := tr.Notify(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	quiet(t, sub, 50*time.Millisecond)
	if err := tr.Notify(context.Background(), `{"kind":"change","image_id":-3,"origin":"other"}`); err != nil {
		t.Fatal(err)
	}
	if e := next(t, sub); e != (Event{Kind: KindChange}) {
		t.Errorf("got %+v, want a change with no image", e)
	}
}

func newTextLog(l *proctest.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func TestBridgeReconnectsAndLogsOncePerOutage(t *testing.T) {
	tr := newBus()
	logs := &proctest.SyncBuffer{}
	log := newTextLog(logs)
	a, b := NewHub(), NewHub()
	startBridge(t, a, tr, discard())
	startBridge(t, b, tr, log)
	waitFor(t, "both bridges to listen", func() bool { return tr.listening() == 2 })
	subB, cancelB := b.Subscribe()
	defer cancelB()

	tr.setDown(true)
	// Many retries at 5–20 ms, and a publish from B that cannot be sent.
	time.Sleep(150 * time.Millisecond)
	b.Publish(Event{Kind: KindChange, ImageID: 1})
	time.Sleep(50 * time.Millisecond)
	if e := next(t, subB); e != (Event{Kind: KindChange, ImageID: 1}) {
		t.Errorf("B did not hear its own publish while the database was down: %+v", e)
	}
	tr.setDown(false)
	waitFor(t, "both bridges to listen again", func() bool { return tr.listening() == 2 })
	// After the outage B tells its pages to refetch once: events may have been missed.
	if e := next(t, subB); e != (Event{Kind: KindChange}) {
		t.Errorf("B got %+v after reconnecting, want a change", e)
	}
	a.Publish(Event{Kind: KindNotification, ImageID: 9})
	if e := next(t, subB); e != (Event{Kind: KindNotification, ImageID: 9}) {
		t.Errorf("B got %+v after the outage", e)
	}

	out := logs.String()
	if n := strings.Count(out, "lost the connection that brings live updates"); n != 1 {
		t.Errorf("the listener's outage was logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "receiving live updates from the other replicas again"); n != 1 {
		t.Errorf("the listener's recovery was logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "cannot send live updates"); n != 1 {
		t.Errorf("the sender's outage was logged %d times, want once:\n%s", n, out)
	}
	b.Publish(Event{Kind: KindChange, ImageID: 2})
	waitFor(t, "the sender to recover", func() bool {
		return strings.Contains(logs.String(), "sending live updates to the other replicas again")
	})
}

// stuck is a Transport whose Notify blocks until the test ends.
type stuck struct{ release chan struct{} }

func (s stuck) Notify(ctx context.Context, _ string) error {
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return errDown
}

func (s stuck) Listen(ctx context.Context, ready func(), _ func(string)) error {
	ready()
	<-ctx.Done()
	return ctx.Err()
}

func TestBridgeNeverBlocksPublishers(t *testing.T) {
	tr := stuck{release: make(chan struct{})}
	defer close(tr.release)
	h := NewHub()
	br := startBridge(t, h, tr, discard())
	waitFor(t, "the bridge to take over forwarding", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.forward != nil
	})
	const n = queueSize * 4
	done := make(chan struct{})
	go func() {
		for range n {
			h.Publish(Event{Kind: KindNotification})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Publish blocked behind a transport that does not answer")
	}
	if d := br.Dropped(); d < n-queueSize-1 {
		t.Errorf("Dropped = %d, want at least %d", d, n-queueSize-1)
	}
}

func TestBridgeStopsForwardingWhenItStops(t *testing.T) {
	tr := newBus()
	h := NewHub()
	br := NewBridge(h, tr, discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { br.Run(ctx); close(done) }()
	waitFor(t, "the bridge to listen", func() bool { return tr.listening() == 1 })
	cancel()
	<-done
	h.mu.Lock()
	fwd := h.forward
	h.mu.Unlock()
	if fwd != nil {
		t.Error("the hub still forwards after the bridge stopped")
	}
	h.Publish(Event{Kind: KindChange}) // must not block or panic
}

// gate is a Transport whose Notify waits until released, counting the payloads it was given.
type gate struct {
	mu       sync.Mutex
	payloads []string
	entered  chan struct{}
	release  chan struct{}
}

func (g *gate) Notify(ctx context.Context, payload string) error {
	g.mu.Lock()
	g.payloads = append(g.payloads, payload)
	first := len(g.payloads) == 1
	g.mu.Unlock()
	if first {
		close(g.entered)
		select {
		case <-g.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (g *gate) Listen(ctx context.Context, ready func(), _ func(string)) error {
	ready()
	<-ctx.Done()
	return ctx.Err()
}

func (g *gate) sent() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.payloads...)
}

// A burst published while a NOTIFY is in flight goes out as one NOTIFY per kind, not one per
// event: the database that is writing the burst is not also asked for a statement per event.
func TestBridgeMergesABurstPerKind(t *testing.T) {
	g := &gate{entered: make(chan struct{}), release: make(chan struct{})}
	h := NewHub()
	startBridge(t, h, g, discard())
	waitFor(t, "the bridge to take over forwarding", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.forward != nil
	})
	h.Publish(Event{Kind: KindNotification, ImageID: 1})
	<-g.entered // the first NOTIFY is in flight; the rest of the burst queues behind it
	for i := range 100 {
		h.Publish(Event{Kind: KindNotification, ImageID: int64(i + 2)})
	}
	h.Publish(Event{Kind: KindCheck})
	h.Publish(Event{Kind: KindNotification, ImageID: 7})
	close(g.release)
	waitFor(t, "the merged burst", func() bool { return len(g.sent()) >= 3 })
	quietFor := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(quietFor) {
		time.Sleep(5 * time.Millisecond)
	}
	got := g.sent()
	if len(got) != 3 {
		t.Fatalf("%d NOTIFYs for a burst of 103 events, want 3 (the first, then one per kind): %q", len(got), got)
	}
	if !strings.Contains(got[1], `"kind":"`+KindNotification+`"`) || strings.Contains(got[1], "image_id") {
		t.Errorf("merged notifications = %s, want kind %s without an image id (several images)", got[1], KindNotification)
	}
	if !strings.Contains(got[2], `"kind":"`+KindCheck+`"`) {
		t.Errorf("second merged event = %s, want kind %s", got[2], KindCheck)
	}
}

// countingBus is a bus that counts the NOTIFYs sent through it.
type countingBus struct {
	*bus
	mu    sync.Mutex
	count int
}

func (c *countingBus) Notify(ctx context.Context, payload string) error {
	c.mu.Lock()
	c.count++
	c.mu.Unlock()
	return c.bus.Notify(ctx, payload)
}

func (c *countingBus) sent() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// Under a steady stream of notifications, a database that answers at once must not get a
// NOTIFY per notification: rounds are notifyGap apart, and the last event still gets through.
func TestBridgePacesASteadyStream(t *testing.T) {
	tr := &countingBus{bus: newBus()}
	a, b := NewHub(), NewHub()
	startBridge(t, a, tr, discard())
	startBridge(t, b, tr, discard())
	waitFor(t, "both bridges to listen", func() bool { return tr.listening() == 2 })
	subB, cancelB := b.Subscribe()
	defer cancelB()

	const stream = 300 * time.Millisecond
	start := time.Now()
	published := 0
	for time.Since(start) < stream {
		a.Publish(Event{Kind: KindNotification, ImageID: int64(published + 1)})
		published++
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	a.Publish(Event{Kind: KindCheck})
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-subB:
			if e.Kind != KindCheck {
				continue
			}
		case <-deadline:
			t.Fatal("the last event did not reach the other replica within 5 s")
		}
		break
	}
	// One round at the start, then at most one per notifyGap, each one NOTIFY per kind.
	if most := 2 * (int(elapsed/notifyGap) + 2); tr.sent() > most {
		t.Errorf("%d NOTIFYs for %d events over %v, want at most %d (rounds %v apart)", tr.sent(), published, elapsed.Round(time.Millisecond), most, notifyGap)
	}
}
