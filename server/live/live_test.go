package live

import "testing"

func TestPublishReachesSubscribers(t *testing.T) {
	h := NewHub()
	a, cancelA := h.Subscribe()
	b, cancelB := h.Subscribe()
	defer cancelB()
	h.Publish(Event{Kind: KindChange, ImageID: 7})
	for name, ch := range map[string]<-chan Event{"a": a, "b": b} {
		select {
		case e := <-ch:
			if e.Kind != KindChange || e.ImageID != 7 {
				t.Errorf("%s got %+v", name, e)
			}
		default:
			t.Errorf("%s got nothing", name)
		}
	}
	cancelA()
	cancelA() // idempotent
	if n := h.Subscribers(); n != 1 {
		t.Errorf("Subscribers = %d after one cancel, want 1", n)
	}
}

func TestPublishNeverBlocks(t *testing.T) {
	h := NewHub()
	ch, cancel := h.Subscribe()
	defer cancel()
	for range bufferSize * 4 {
		h.Publish(Event{Kind: KindNotification})
	}
	if len(ch) != bufferSize {
		t.Errorf("buffered %d events, want %d", len(ch), bufferSize)
	}
	var nilHub *Hub
	nilHub.Publish(Event{Kind: KindChange}) // must not panic
}

func TestCloseEndsSubscriptions(t *testing.T) {
	h := NewHub()
	ch, cancel := h.Subscribe()
	h.Close()
	if _, ok := <-ch; ok {
		t.Error("the channel is still open after Close")
	}
	cancel() // after Close: no double close
	late, _ := h.Subscribe()
	if _, ok := <-late; ok {
		t.Error("a subscription after Close is open")
	}
	h.Publish(Event{Kind: KindChange}) // must not panic
}
