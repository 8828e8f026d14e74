package web_test

import (
	"bufio"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/web"
)

// fakeWindows is a clock for the streams' merge windows that only the test moves: every window
// a stream opens waits until fire.
type fakeWindows struct {
	mu   sync.Mutex
	open []chan time.Time
}

func (f *fakeWindows) after(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	f.mu.Lock()
	f.open = append(f.open, c)
	f.mu.Unlock()
	return c
}

func (f *fakeWindows) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.open)
}

// fire ends every window open now.
func (f *fakeWindows) fire() {
	f.mu.Lock()
	open := f.open
	f.open = nil
	f.mu.Unlock()
	for _, c := range open {
		c <- time.Time{}
	}
}

// TestEventStreamCoalescesABurst: ten browsers open while 5,000 notifications arrive. Each
// stream sends the first at once and merges the rest while its window is open, so however many
// arrive, a browser is told (and refreshes) at most once per window: here one window ends,
// so each stream sends at most two messages.
func TestEventStreamCoalescesABurst(t *testing.T) {
	const browsers, burst = 10, 5000
	clock := &fakeWindows{}
	web.SetLiveClock(t, clock.after)
	e := newEnv(t, databases["sqlite"](t), auth.ModeNone)
	hub := e.srv.Hub()

	counts := make([]int, browsers)
	var readers sync.WaitGroup
	for i := range browsers {
		res := openStream(t, e, nil)
		readers.Go(func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "event: ") {
					counts[i]++
				}
			}
		})
	}
	waitFor(t, "every stream to subscribe", func() bool { return hub.Subscribers() == browsers })

	for i := range burst {
		hub.Publish(live.Event{Kind: live.KindNotification, ImageID: int64(i + 1)})
	}
	// Each stream sent the first event at once and opened one window.
	waitFor(t, "every stream to open its window", func() bool { return clock.count() == browsers })
	clock.fire()
	// Ending the hub ends the streams (what they still hold is dropped): the readers see EOF.
	hub.Close()
	readers.Wait()

	for i, n := range counts {
		if n < 1 || n > 2 {
			t.Errorf("browser %d got %d messages for %d notifications and one window; want 1 (the first) or 2 (and the merged rest)", i, n, burst)
		}
	}
	t.Logf("messages per browser for %d notifications: %v", burst, counts)
}

// TestEventStreamWithoutWindowSendsEach: with the window off (0) a stream is the plain fan-out
// it was, every event a message: the test above fails for a reason.
func TestEventStreamWithoutWindowSendsEach(t *testing.T) {
	web.SetLiveWindow(t, 0)
	e := newEnv(t, databases["sqlite"](t), auth.ModeNone)
	hub := e.srv.Hub()
	res := openStream(t, e, nil)
	waitFor(t, "the stream to subscribe", func() bool { return hub.Subscribers() == 1 })
	sc := bufio.NewScanner(res.Body)
	for i := range 3 {
		hub.Publish(live.Event{Kind: live.KindChange, ImageID: int64(i + 1)})
		for sc.Scan() && !strings.HasPrefix(sc.Text(), "data: ") {
		}
		if want := `"image_id":` + strconv.Itoa(i+1); !strings.Contains(sc.Text(), want) {
			t.Fatalf("message %d = %q, want %s", i+1, sc.Text(), want)
		}
	}
}
