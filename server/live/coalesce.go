package live

// Coalescer merges a subscriber's events so that a burst costs the browser one refresh per
// window instead of one per event: the first event after a quiet window goes out at once, the
// ones that arrive while the window is open are merged, one per kind, and go out together when
// it ends. The caller owns the clock (it calls Flush when the window it started ends), so the
// merging is tested without time. Not safe for concurrent use: one per stream.
type Coalescer struct {
	open    bool
	pending []Event // at most one per kind, in the order the kinds first came
}

// Add takes e. It returns send=true when e must go out now, and then startWindow=true: the
// caller starts a window and calls Flush when it ends. Otherwise e is merged into what Flush
// returns.
func (c *Coalescer) Add(e Event) (send, startWindow bool) {
	if !c.open {
		c.open = true
		return true, true
	}
	c.pending = mergeKind(c.pending, e)
	return false, false
}

// mergeKind adds e to events, which hold at most one event per kind: an event of a kind
// already there merges into it, and two events about different images are an event about
// several (ImageID 0). The stream's Coalescer and the replica Bridge merge this way.
func mergeKind(events []Event, e Event) []Event {
	for i, p := range events {
		if p.Kind == e.Kind {
			if p.ImageID != e.ImageID {
				events[i].ImageID = 0
			}
			return events
		}
	}
	return append(events, e)
}

// Flush ends the window: it returns the merged events to send now. When there are any, a new
// window starts (again=true: the caller starts it and calls Flush when it ends), so that a
// burst that goes on keeps costing one message per kind per window; when there are none, the
// next event goes out at once.
func (c *Coalescer) Flush() (out []Event, again bool) {
	out, c.pending = c.pending, nil
	c.open = len(out) > 0
	return out, c.open
}
