package live

import (
	"slices"
	"testing"
)

// TestCoalescerBurst: 5,000 notifications and a few changes in one window cost two messages,
// one per kind, however many arrived; the first went out at once.
func TestCoalescerBurst(t *testing.T) {
	var c Coalescer
	sent := 0
	send, start := c.Add(Event{Kind: KindNotification, ImageID: 1})
	if !send || !start {
		t.Fatalf("first event: send=%v start=%v, want both: it goes out at once", send, start)
	}
	sent++
	for i := range 5000 {
		if send, _ := c.Add(Event{Kind: KindNotification, ImageID: int64(i + 2)}); send {
			sent++
		}
		if i%1000 == 0 {
			if send, _ := c.Add(Event{Kind: KindChange, ImageID: 7}); send {
				sent++
			}
		}
	}
	if sent != 1 {
		t.Fatalf("%d messages sent during the window, want 1", sent)
	}
	out, again := c.Flush()
	want := []Event{{Kind: KindNotification}, {Kind: KindChange, ImageID: 7}}
	if !slices.Equal(out, want) || !again {
		t.Fatalf("end of window: %+v again=%v, want %+v and a new window", out, again, want)
	}
	// A window that saw nothing closes: the next event goes out at once again.
	if out, again := c.Flush(); len(out) != 0 || again {
		t.Fatalf("quiet window: %+v again=%v, want nothing and no new window", out, again)
	}
	if send, start := c.Add(Event{Kind: KindCheck}); !send || !start {
		t.Fatalf("event after a quiet window: send=%v start=%v, want at once", send, start)
	}
}

// TestVersionCountsDeliveries: every published event moves the hub's version, also with no
// subscriber, and a nil hub's is 0.
func TestVersionCountsDeliveries(t *testing.T) {
	h := NewHub()
	v0 := h.Version()
	h.Publish(Event{Kind: KindChange})
	h.Publish(Event{Kind: KindNotification, ImageID: 3})
	if got := h.Version(); got != v0+2 {
		t.Errorf("Version after two events = %d, want %d", got, v0+2)
	}
	var nilHub *Hub
	if nilHub.Version() != 0 {
		t.Error("a nil hub's version is not 0")
	}
}
