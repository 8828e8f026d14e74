package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"diundashboard/server/store"
)

func notifyTests() []test {
	return []test{
		{"QueueTrigger", testNotifyQueueTrigger},
		{"QueueOff", testNotifyQueueOff},
		{"ComposeQueued", testNotifyComposeQueued},
		{"LeaseOnce", testNotifyLeaseOnce},
		{"RetryAndSent", testNotifyRetryAndSent},
		{"SlotOnce", testNotifySlotOnce},
		{"PruneOutbox", testNotifyPruneOutbox},
		{"OldestOpen", testNotifyOldestOpen},
	}
}

var notifyTargets = []store.OutboxTarget{{Key: "k1", Label: "ntfy://ntfy.example/topic"}, {Key: "k2", Label: "generic+http://hook.example/x"}}

// peekQueue returns what is queued, leaving it queued (compose returns no message).
func peekQueue(t *testing.T, s store.Store) []store.QueuedUpdate {
	t.Helper()
	var got []store.QueuedUpdate
	wrote, err := s.ComposeQueued(ctx(t), 1000, notifyTargets, at(time.Hour), func(items []store.QueuedUpdate) (*store.OutboxMessage, error) {
		got = items
		return nil, nil
	})
	if err != nil || wrote {
		t.Fatalf("ComposeQueued (peek) = %v, %v; want false, nil", wrote, err)
	}
	return got
}

func queuedKeys(items []store.QueuedUpdate) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("%s %s %s", it.Hostname, it.Image, it.QueuedDigest[len(it.QueuedDigest)-2:]))
	}
	return out
}

// drainQueue composes whatever is queued into one message and returns the items.
func drainQueue(t *testing.T, s store.Store) []store.QueuedUpdate {
	t.Helper()
	var got []store.QueuedUpdate
	_, err := s.ComposeQueued(ctx(t), 1000, notifyTargets, at(time.Hour), func(items []store.QueuedUpdate) (*store.OutboxMessage, error) {
		got = items
		return &store.OutboxMessage{Kind: store.OutboxNew, Title: "t", Body: "b", Items: len(items)}, nil
	})
	if err != nil {
		t.Fatalf("ComposeQueued: %v", err)
	}
	return got
}

// The triggers queue an image when it becomes open by a digest: new, reopened by a newer
// digest, or an open image updated. Nothing else queues.
func testNotifyQueueTrigger(t *testing.T, s store.Store) {
	a := record(t, s, note("h1", "nginx:1", 1, at(0)))
	record(t, s, note("h1", "nginx:1", 1, at(time.Minute))) // same digest again
	record(t, s, checkNote(at(time.Minute)))                // Diun's test image
	if got, want := queuedKeys(peekQueue(t, s)), []string{"h1 nginx:1 01"}; !slices.Equal(got, want) {
		t.Fatalf("queued after a new image, a repeat and a test notification: %v; want %v", got, want)
	}
	drainQueue(t, s)

	record(t, s, note("h1", "nginx:1", 2, at(2*time.Minute))) // open image, newer digest
	setState(t, s, a.ImageID, store.StateAcknowledged, nil)
	record(t, s, note("h1", "nginx:1", 3, at(3*time.Minute))) // reopened by a newer digest
	setState(t, s, a.ImageID, store.StateAcknowledged, nil)
	setState(t, s, a.ImageID, store.StateOpen, nil) // a person reopens: no new digest
	if got, want := queuedKeys(peekQueue(t, s)), []string{"h1 nginx:1 02", "h1 nginx:1 03"}; !slices.Equal(got, want) {
		t.Fatalf("queued after an update, a reopen by digest and a person's reopen: %v; want %v", got, want)
	}
	drainQueue(t, s)

	b := record(t, s, note("h2", "redis:7", 1, at(0)))
	c := record(t, s, note("h2", "pg:16", 1, at(0)))
	drainQueue(t, s)
	until := at(10 * time.Minute)
	setState(t, s, b.ImageID, store.StateSnoozed, &until)
	setState(t, s, c.ImageID, store.StateIgnored, nil)
	record(t, s, note("h2", "redis:7", 2, at(4*time.Minute))) // snoozed: stays snoozed
	record(t, s, note("h2", "pg:16", 2, at(4*time.Minute)))   // ignored: stays ignored
	if _, err := s.WakeSnoozed(ctx(t), at(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if img := getImage(t, s, b.ImageID); img.State != store.StateOpen {
		t.Fatalf("the snoozed image is %s after its snooze ended; want open", img.State)
	}
	if got := peekQueue(t, s); len(got) != 0 {
		t.Fatalf("snoozed, ignored and woken images were queued: %v", queuedKeys(got))
	}

	// A new image that is not open cannot be made by Record; one queued item goes with its image.
	record(t, s, note("h3", "x:1", 1, at(0)))
	img := peekQueue(t, s)[0]
	if _, err := s.DeleteImages(ctx(t), []int64{img.ImageID}); err != nil {
		t.Fatal(err)
	}
	if got := peekQueue(t, s); len(got) != 0 {
		t.Fatalf("a deleted image stayed queued: %v", queuedKeys(got))
	}
}

// With the queue off (notifications of new updates off), no image is queued, new or updated;
// on again, the next ones are.
func testNotifyQueueOff(t *testing.T, s store.Store) {
	if err := s.SetNotifyQueue(ctx(t), false); err != nil {
		t.Fatal(err)
	}
	record(t, s, note("h1", "nginx:1", 1, at(0)))
	record(t, s, note("h1", "nginx:1", 2, at(time.Minute)))
	if got := peekQueue(t, s); len(got) != 0 {
		t.Fatalf("queued with the queue off: %v", queuedKeys(got))
	}
	if v, err := s.Setting(ctx(t), store.NotifyQueueSetting); err != nil || v != "off" {
		t.Fatalf("Setting(%s) = %q, %v; want off", store.NotifyQueueSetting, v, err)
	}
	if err := s.SetNotifyQueue(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	record(t, s, note("h1", "nginx:1", 3, at(2*time.Minute)))
	record(t, s, note("h1", "redis:7", 1, at(2*time.Minute)))
	if got, want := queuedKeys(peekQueue(t, s)), []string{"h1 nginx:1 03", "h1 redis:7 01"}; !slices.Equal(got, want) {
		t.Fatalf("queued with the queue on again: %v; want %v", got, want)
	}
}

func testNotifyComposeQueued(t *testing.T, s store.Store) {
	for i := range 5 {
		record(t, s, note(fmt.Sprintf("h%d", i%2), fmt.Sprintf("img:%d", i), i, at(time.Duration(i)*time.Second)))
	}
	items := peekQueue(t, s)
	if len(items) != 5 {
		t.Fatalf("%d queued; want 5", len(items))
	}
	first := items[0]
	if first.Hostname != "h0" || first.Image != "img:0" || first.State != store.StateOpen || first.Status != "update" ||
		first.Digest != digest(0) || first.Platform != "linux/amd64" || first.Created == nil || !first.QueuedAt.Equal(at(0)) {
		t.Fatalf("first queued item = %+v", first)
	}
	// A compose that fails leaves everything queued.
	if _, err := s.ComposeQueued(ctx(t), 1000, notifyTargets, at(time.Hour), func([]store.QueuedUpdate) (*store.OutboxMessage, error) {
		return nil, errors.New("boom")
	}); err == nil {
		t.Fatal("ComposeQueued did not return compose's error")
	}
	// A limit takes the oldest first; the rest stay.
	var took []store.QueuedUpdate
	wrote, err := s.ComposeQueued(ctx(t), 3, notifyTargets, at(time.Hour), func(items []store.QueuedUpdate) (*store.OutboxMessage, error) {
		took = items
		return &store.OutboxMessage{Kind: store.OutboxNew, Title: "3 updates", Body: "body", Items: len(items)}, nil
	})
	if err != nil || !wrote || len(took) != 3 || took[0].Image != "img:0" {
		t.Fatalf("ComposeQueued(limit 3) = %v, %v, took %v", wrote, err, queuedKeys(took))
	}
	if left := peekQueue(t, s); len(left) != 2 || left[0].Image != "img:3" {
		t.Fatalf("left queued: %v; want img:3 and img:4", queuedKeys(left))
	}
	rows, err := s.ListOutbox(ctx(t), 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("ListOutbox = %d rows, %v; want one per target", len(rows), err)
	}
	for _, r := range rows {
		if r.Kind != store.OutboxNew || r.Title != "3 updates" || r.Body != "body" || r.Items != 3 || r.SentAt != nil || r.Attempts != 0 || !r.CreatedAt.Equal(at(time.Hour)) {
			t.Errorf("outbox row = %+v", r)
		}
	}
	if n, err := s.CountOutboxUnsent(ctx(t)); err != nil || n != 2 {
		t.Fatalf("CountOutboxUnsent = %d, %v; want 2", n, err)
	}
	if n, err := s.DropQueuedBefore(ctx(t), at(4*time.Second)); err != nil || n != 1 {
		t.Fatalf("DropQueuedBefore = %d, %v; want 1 (img:3)", n, err)
	}
}

// A leased row is not leased again until its lease ends; it is leased only for a listed target.
func testNotifyLeaseOnce(t *testing.T, s store.Store) {
	if _, err := s.EnqueueOutbox(ctx(t), store.OutboxMessage{Kind: store.OutboxTest, Title: "t", Body: "b"}, notifyTargets[:1], at(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeaseOutbox(ctx(t), []string{"other"}, at(time.Second), at(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LeaseOutbox for another target: %v; want ErrNotFound", err)
	}
	r, err := s.LeaseOutbox(ctx(t), []string{"k1"}, at(time.Second), at(time.Minute))
	if err != nil || r.Target != "k1" || r.Attempts != 1 || r.LeaseUntil == nil || !r.LeaseUntil.Equal(at(time.Minute)) {
		t.Fatalf("LeaseOutbox = %+v, %v", r, err)
	}
	if _, err := s.LeaseOutbox(ctx(t), []string{"k1"}, at(2*time.Second), at(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a leased row was leased again: %v", err)
	}
	// The worker died: once the lease ends, the row is due again.
	again, err := s.LeaseOutbox(ctx(t), []string{"k1"}, at(time.Minute), at(2*time.Minute))
	if err != nil || again.ID != r.ID || again.Attempts != 2 {
		t.Fatalf("after the lease ended: %+v, %v", again, err)
	}
}

func testNotifyRetryAndSent(t *testing.T, s store.Store) {
	if _, err := s.EnqueueOutbox(ctx(t), store.OutboxMessage{Kind: store.OutboxTest, Title: "t", Body: "b"}, notifyTargets[:1], at(0)); err != nil {
		t.Fatal(err)
	}
	r, err := s.LeaseOutbox(ctx(t), []string{"k1"}, at(0), at(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkOutboxFailed(ctx(t), r.ID, "HTTP 500", at(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeaseOutbox(ctx(t), []string{"k1"}, at(10*time.Second), at(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed row was due before its next attempt: %v", err)
	}
	r, err = s.LeaseOutbox(ctx(t), []string{"k1"}, at(30*time.Second), at(time.Minute))
	if err != nil || r.LastError != "HTTP 500" || r.Attempts != 2 {
		t.Fatalf("the retry: %+v, %v", r, err)
	}
	if err := s.MarkOutboxSent(ctx(t), r.ID, at(31*time.Second)); err != nil {
		t.Fatal(err)
	}
	rows, err := s.ListOutbox(ctx(t), 10)
	if err != nil || len(rows) != 1 || rows[0].SentAt == nil || !rows[0].SentAt.Equal(at(31*time.Second)) || rows[0].LastError != "" || rows[0].LeaseUntil != nil {
		t.Fatalf("after sending: %+v, %v", rows, err)
	}
	if _, err := s.LeaseOutbox(ctx(t), []string{"k1"}, at(time.Hour), at(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a sent row was leased: %v", err)
	}
	if n, _ := s.CountOutboxUnsent(ctx(t)); n != 0 {
		t.Fatalf("CountOutboxUnsent = %d after sending", n)
	}
}

func testNotifySlotOnce(t *testing.T, s store.Store) {
	msg := store.OutboxMessage{Kind: store.OutboxDigest, Slot: "digest 2026-11-30T08:00:00Z", Title: "Digest", Body: "b"}
	n1, err := s.EnqueueOutbox(ctx(t), msg, notifyTargets, at(0))
	if err != nil || n1 != 2 {
		t.Fatalf("first EnqueueOutbox = %d, %v; want 2", n1, err)
	}
	n2, err := s.EnqueueOutbox(ctx(t), msg, notifyTargets, at(time.Second))
	if err != nil || n2 != 0 {
		t.Fatalf("second EnqueueOutbox of the same slot = %d, %v; want 0", n2, err)
	}
	msg.Slot = ""
	for range 2 {
		if n, err := s.EnqueueOutbox(ctx(t), msg, notifyTargets[:1], at(0)); err != nil || n != 1 {
			t.Fatalf("EnqueueOutbox without a slot = %d, %v; want 1", n, err)
		}
	}
}

func testNotifyPruneOutbox(t *testing.T, s store.Store) {
	for i := range 3 {
		if _, err := s.EnqueueOutbox(ctx(t), store.OutboxMessage{Kind: store.OutboxTest, Title: "t", Body: "b"}, notifyTargets[:1], at(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.LeaseOutbox(ctx(t), []string{"k1"}, at(0), at(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkOutboxSent(ctx(t), r.ID, at(time.Second)); err != nil {
		t.Fatal(err)
	}
	// Cutoff 90 minutes: the sent row goes, the unsent row of hour 1 is stale and goes, hour 2 stays.
	n, err := s.PruneOutbox(ctx(t), at(90*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("PruneOutbox = %d, %v; want 2", n, err)
	}
	rows, _ := s.ListOutbox(ctx(t), 10)
	if len(rows) != 1 || !rows[0].CreatedAt.Equal(at(2*time.Hour)) {
		t.Fatalf("left after prune: %+v", rows)
	}
}

func testNotifyOldestOpen(t *testing.T, s store.Store) {
	if _, err := s.OldestOpenImage(ctx(t)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("OldestOpenImage on an empty store: %v; want ErrNotFound", err)
	}
	a := record(t, s, note("h1", "old:1", 1, at(0)))
	record(t, s, note("h1", "new:1", 1, at(time.Hour)))
	img, err := s.OldestOpenImage(ctx(t))
	if err != nil || img.ID != a.ImageID {
		t.Fatalf("OldestOpenImage = %d %s, %v; want old:1", img.ID, img.Image, err)
	}
	setState(t, s, a.ImageID, store.StateAcknowledged, nil)
	if img, err := s.OldestOpenImage(ctx(t)); err != nil || img.Image != "new:1" {
		t.Fatalf("OldestOpenImage after acknowledging old:1 = %s, %v; want new:1", img.Image, err)
	}
}
