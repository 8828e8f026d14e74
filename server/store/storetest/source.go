package storetest

import (
	"testing"
	"time"

	"diundashboard/server/store"
)

// Notifications read from Diun's gRPC API (reconcile, backfill) and the lease that makes
// replicas reconcile once.
func sourceTests() []test {
	return []test{
		{"WebhookIsTheDefault", testSourceWebhookDefault},
		{"ReconcileReopensAcknowledged", testSourceReconcileReopens},
		{"ReconcileKeepsSnoozedAndIgnored", testSourceReconcileKeepsState},
		{"ReconcileNeverMovesBackwards", testSourceNeverBackwards},
		{"ReconcileTakesEqualOrOlderCreated", testSourceEqualOrOlderCreated},
		{"ReconcileYieldsToARacingWebhook", testSourceRacingWebhook},
		{"ReconcileIsIdempotent", testSourceIdempotent},
		{"BackfillIsKnownNotNews", testSourceBackfillKnown},
		{"Invalid", testSourceInvalid},
		{"Lease", testLease},
	}
}

// fromDiun is n as reconcile would record it, with Diun's created time.
func fromDiun(n store.Notification, src store.Source, created time.Time) store.Notification {
	n.Source = src
	n.Created = &created
	n.RawBody = nil
	return n
}

func eventsOf(t *testing.T, s store.Store, imageID int64) []store.Event {
	t.Helper()
	p, err := s.ListEvents(ctx(t), imageID, store.PageRequest{Limit: 100})
	if err != nil {
		t.Fatalf("ListEvents(%d): %v", imageID, err)
	}
	return p.Events
}

func testSourceWebhookDefault(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/library/nginx:1", 1, at(0)))
	if ev := eventsOf(t, s, res.ImageID); len(ev) != 1 || ev[0].Source != store.SourceWebhook {
		t.Fatalf("events = %+v, want one with source webhook", ev)
	}
}

func testSourceReconcileReopens(t *testing.T, s store.Store) {
	n := note("h", "docker.io/library/nginx:1", 1, at(0))
	res := record(t, s, n)
	setState(t, s, res.ImageID, store.StateAcknowledged, nil)
	r2 := record(t, s, fromDiun(note("h", "docker.io/library/nginx:1", 2, at(time.Hour)), store.SourceReconcile, n.Created.Add(time.Hour)))
	if r2.Refused || r2.ImageID != res.ImageID || r2.State != store.StateOpen {
		t.Fatalf("reconcile of a newer digest = %+v, want the same image reopened", r2)
	}
	img := getImage(t, s, res.ImageID)
	if img.Digest != digest(2) || img.Provider != "docker" {
		t.Errorf("image = %s %s, want digest 2 and the provider kept", img.Digest, img.Provider)
	}
	ev := eventsOf(t, s, res.ImageID)
	if len(ev) != 2 || ev[0].Source != store.SourceReconcile || ev[1].Source != store.SourceWebhook {
		t.Fatalf("events = %d, newest %+v; want the reconcile on top of the webhook", len(ev), ev[0])
	}
	// A recovered update is news: it is queued for the notifications like a webhook's.
	if q := peekQueue(t, s); len(q) != 2 || q[1].QueuedDigest != digest(2) {
		t.Errorf("queued = %v, want the webhook's digest then the recovered one", queuedKeys(q))
	}
}

func testSourceReconcileKeepsState(t *testing.T, s store.Store) {
	until := far
	for i, st := range []store.State{store.StateSnoozed, store.StateIgnored} {
		img := "docker.io/library/app:" + string(st)
		n := note("h", img, 10*i+1, at(0))
		res := record(t, s, n)
		var u *time.Time
		if st == store.StateSnoozed {
			u = &until
		}
		setState(t, s, res.ImageID, st, u)
		r2 := record(t, s, fromDiun(note("h", img, 10*i+2, at(time.Hour)), store.SourceReconcile, n.Created.Add(time.Hour)))
		if r2.Refused || r2.State != st {
			t.Errorf("%s: reconcile = %+v, want stored and still %s", st, r2, st)
		}
	}
}

func testSourceNeverBackwards(t *testing.T, s store.Store) {
	n := note("h", "docker.io/library/nginx:1", 4, at(0))
	record(t, s, n)
	res := record(t, s, note("h", n.Image, 5, at(time.Minute)))
	for _, src := range []store.Source{store.SourceReconcile, store.SourceBackfill} {
		// Digest 4 is in the image's history: the dashboard saw it before 5, so it is older,
		// whatever its created time says.
		older := fromDiun(note("h", n.Image, 4, at(time.Hour)), src, n.Created.Add(time.Hour))
		if r := record(t, s, older); !r.Refused || r.EventID != 0 {
			t.Errorf("%s of a digest in the history = %+v, want refused with no event", src, r)
		}
	}
	img := getImage(t, s, res.ImageID)
	if img.Digest != digest(5) || img.Notifications != 2 || len(eventsOf(t, s, res.ImageID)) != 2 {
		t.Errorf("image = %s with %d notifications, want digest 5 and nothing added", img.Digest, img.Notifications)
	}
	// A webhook is Diun's word: it still moves the row, as before.
	if r := record(t, s, note("h", n.Image, 4, at(2*time.Hour))); r.Refused {
		t.Errorf("webhook refused: %+v", r)
	}
}

// Diun keeps only the current digest of a tag: one the dashboard never had is the current one,
// even when created equals the row's (reproducible builds) or is older (a rollback).
func testSourceEqualOrOlderCreated(t *testing.T, s store.Store) {
	n := note("h", "docker.io/library/nginx:1", 1, at(0))
	res := record(t, s, n)
	same := fromDiun(note("h", n.Image, 2, at(time.Hour)), store.SourceReconcile, *n.Created)
	same.ReadAt = at(time.Hour)
	if r := record(t, s, same); r.Refused || r.ImageID != res.ImageID {
		t.Fatalf("reconcile of a new digest with an equal created = %+v, want stored", r)
	}
	rollback := fromDiun(note("h", n.Image, 3, at(2*time.Hour)), store.SourceReconcile, n.Created.Add(-24*time.Hour))
	rollback.ReadAt = at(2 * time.Hour)
	if r := record(t, s, rollback); r.Refused {
		t.Fatalf("reconcile of a new digest with an older created = %+v, want stored", r)
	}
	if img := getImage(t, s, res.ImageID); img.Digest != digest(3) || img.Notifications != 3 {
		t.Errorf("image = %s with %d notifications, want digest 3 after 3", img.Digest, img.Notifications)
	}
}

// A webhook that arrived after reconcile read Diun is newer than what reconcile read.
func testSourceRacingWebhook(t *testing.T, s store.Store) {
	n := note("h", "docker.io/library/nginx:1", 1, at(0))
	record(t, s, n)
	res := record(t, s, note("h", n.Image, 3, at(2*time.Minute)))
	late := fromDiun(note("h", n.Image, 2, at(3*time.Minute)), store.SourceReconcile, n.Created.Add(time.Hour))
	late.ReadAt = at(time.Minute)
	if r := record(t, s, late); !r.Refused {
		t.Fatalf("reconcile read before the row's last change = %+v, want refused", r)
	}
	if img := getImage(t, s, res.ImageID); img.Digest != digest(3) {
		t.Errorf("digest = %s, want the webhook's 3", img.Digest)
	}
	late.ReadAt = at(2*time.Minute + time.Second)
	if r := record(t, s, late); r.Refused {
		t.Errorf("reconcile read after the row's last change = %+v, want stored", r)
	}
}

func testSourceIdempotent(t *testing.T, s store.Store) {
	n := note("h", "docker.io/library/nginx:1", 1, at(0))
	record(t, s, n)
	rec := fromDiun(note("h", n.Image, 2, at(time.Hour)), store.SourceReconcile, n.Created.Add(time.Hour))
	first := record(t, s, rec)
	rec.ReceivedAt = at(2 * time.Hour)
	if again := record(t, s, rec); !again.Refused {
		t.Fatalf("second reconcile of the same digest = %+v, want refused", again)
	}
	if ev := eventsOf(t, s, first.ImageID); len(ev) != 2 {
		t.Errorf("events = %d, want 2", len(ev))
	}
}

func testSourceBackfillKnown(t *testing.T, s store.Store) {
	n := fromDiun(note("h", "docker.io/library/redis:7", 1, at(0)), store.SourceBackfill, at(-time.Hour))
	n.Status, n.Provider, n.Metadata = "new", "", nil
	res := record(t, s, n)
	if res.Refused || res.State != store.StateAcknowledged {
		t.Fatalf("backfill = %+v, want a new row, acknowledged (known)", res)
	}
	sum, err := s.Summary(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, totals := sum.ByHost(); totals.Open != 0 || totals.Acknowledged != 1 {
		t.Errorf("totals = %+v, want none open and one acknowledged", totals)
	}
	if q := peekQueue(t, s); len(q) != 0 {
		t.Errorf("queued = %v, want nothing: a backfill is not announced", queuedKeys(q))
	}
	if ev := eventsOf(t, s, res.ImageID); len(ev) != 1 || ev[0].Source != store.SourceBackfill {
		t.Errorf("events = %+v, want one backfill", ev)
	}
	// A newer digest later is news, as for any known image.
	r2 := record(t, s, fromDiun(note("h", n.Image, 2, at(time.Hour)), store.SourceReconcile, at(0)))
	if r2.State != store.StateOpen {
		t.Errorf("reconcile after backfill = %+v, want open", r2)
	}
}

func testSourceInvalid(t *testing.T, s store.Store) {
	n := note("h", "docker.io/library/nginx:1", 1, at(0))
	n.Source = "carrier-pigeon"
	if _, err := s.Record(ctx(t), n); err == nil {
		t.Fatal("Record with an unknown source: want an error")
	}
}

func testLease(t *testing.T, s store.Store) {
	now := at(0)
	take := func(holder string, now time.Time) bool {
		t.Helper()
		ok, err := s.TakeLease(ctx(t), "reconcile", holder, now, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("TakeLease(%s): %v", holder, err)
		}
		return ok
	}
	if !take("a", now) {
		t.Fatal("a: a free lease was not taken")
	}
	if take("b", now.Add(30*time.Second)) {
		t.Fatal("b took a lease a holds")
	}
	if !take("a", now.Add(30*time.Second)) {
		t.Fatal("a could not extend its own lease")
	}
	if !take("b", now.Add(2*time.Minute)) {
		t.Fatal("b could not take an expired lease")
	}
}
