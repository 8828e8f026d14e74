package storetest

import (
	"testing"
	"time"

	"diundashboard/server/store"
)

// What the overview marks in an open row (issue 18, F2): since when the row holds its digest
// (DigestChangedAt, set by the ingest upsert, RecordBatch on PostgreSQL) and why it last became
// open (OpenedBy, set by triage, the snooze timer and the reopening by a new digest).
func openMarkTests() []test {
	return []test{
		{"NewImage", testMarkNewImage},
		{"SameDigestKeepsItsTime", testMarkSameDigest},
		{"AnotherDigestWhileOpen", testMarkAnotherDigestWhileOpen},
		{"ReopenedByADigest", testMarkReopenedByDigest},
		{"ReopenedByReconcile", testMarkReopenedByReconcile},
		{"BackFromSnooze", testMarkBackFromSnooze},
		{"ReopenedByAPerson", testMarkReopenedByPerson},
		{"DigestWhileSnoozed", testMarkDigestWhileSnoozed},
	}
}

func wantMarks(t *testing.T, img store.Image, state store.State, stateAt, digestAt time.Time, by store.OpenedBy) {
	t.Helper()
	if img.State != state || !img.StateChangedAt.Equal(stateAt) || !img.DigestChangedAt.Equal(digestAt) || img.OpenedBy != by {
		t.Errorf("state %s changed at %s, digest changed at %s, opened by %q; want %s at %s, %s, %q",
			img.State, img.StateChangedAt, img.DigestChangedAt, img.OpenedBy, state, stateAt, digestAt, by)
	}
}

func testMarkNewImage(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/acme/app:1", 1, at(0)))
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(0), at(0), store.OpenedFirst)
}

func testMarkSameDigest(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/acme/app:1", 1, at(0)))
	record(t, s, note("h", "docker.io/acme/app:1", 1, at(time.Hour)))
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(0), at(0), store.OpenedFirst)
}

// Diun reports digest 2 while the row is still open with digest 1: the state stays, the
// digest's time moves on (what the person saw is not what is there now).
func testMarkAnotherDigestWhileOpen(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/acme/app:1", 1, at(0)))
	record(t, s, note("h", "docker.io/acme/app:1", 2, at(time.Hour)))
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(0), at(time.Hour), store.OpenedFirst)
	// Several at once, as one batch of the ingest pipeline may hold them.
	a := record(t, s, note("h", "docker.io/acme/a:1", 1, at(0)))
	b := record(t, s, note("h", "docker.io/acme/b:1", 1, at(0)))
	done := make(chan error, 2)
	for _, n := range []store.Notification{note("h", "docker.io/acme/a:1", 3, at(2*time.Hour)), note("h", "docker.io/acme/b:1", 3, at(2*time.Hour))} {
		go func() { _, err := s.Record(ctx(t), n); done <- err }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int64{a.ImageID, b.ImageID} {
		wantMarks(t, getImage(t, s, id), store.StateOpen, at(0), at(2*time.Hour), store.OpenedFirst)
	}
}

// A new digest reopens an acknowledged row: opened by the digest, at its time; the same
// digest again later keeps both (the overview's old rule, state_changed_at = last_seen, lost
// the mark with the next repeat of the notification).
func testMarkReopenedByDigest(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/acme/app:1", 1, at(0)))
	setState(t, s, res.ImageID, store.StateAcknowledged, nil)
	record(t, s, note("h", "docker.io/acme/app:1", 2, at(time.Hour)))
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(time.Hour), at(time.Hour), store.OpenedByDigest)
	record(t, s, note("h", "docker.io/acme/app:1", 2, at(2*time.Hour)))
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(time.Hour), at(time.Hour), store.OpenedByDigest)
	// Then another one while it is open again.
	record(t, s, note("h", "docker.io/acme/app:1", 3, at(3*time.Hour)))
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(time.Hour), at(3*time.Hour), store.OpenedByDigest)
	// The audit trail keeps the reopening by Diun, once.
	changes, err := s.ListStateChanges(ctx(t), res.ImageID, 10)
	if err != nil || len(changes) != 2 || changes[0].Cause != store.CauseNewDigest {
		t.Errorf("ListStateChanges = %+v, %v; want the reopening by the new digest, then the acknowledgement", changes, err)
	}
}

// The same through a notification read from Diun's API (UpsertImageIfNewer on SQLite).
func testMarkReopenedByReconcile(t *testing.T, s store.Store) {
	n := note("h", "docker.io/acme/app:1", 1, at(0))
	res := record(t, s, n)
	setState(t, s, res.ImageID, store.StateAcknowledged, nil)
	if r := record(t, s, fromDiun(note("h", "docker.io/acme/app:1", 2, at(time.Hour)), store.SourceReconcile, n.Created.Add(time.Hour))); r.Refused {
		t.Fatalf("reconcile of a newer digest refused: %+v", r)
	}
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(time.Hour), at(time.Hour), store.OpenedByDigest)
}

func testMarkBackFromSnooze(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/acme/app:1", 1, at(0)))
	until := at(time.Hour)
	setState(t, s, res.ImageID, store.StateSnoozed, &until)
	if woken, err := s.WakeSnoozed(ctx(t), at(2*time.Hour)); err != nil || len(woken) != 1 {
		t.Fatalf("WakeSnoozed = %+v, %v; want the one image", woken, err)
	}
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(2*time.Hour), at(0), store.OpenedBySnooze)
	// Acknowledged afterwards, the row keeps why it was last opened.
	img := setState(t, s, res.ImageID, store.StateAcknowledged, nil)
	if img.OpenedBy != store.OpenedBySnooze {
		t.Errorf("acknowledged, OpenedBy = %q; want it kept, %q", img.OpenedBy, store.OpenedBySnooze)
	}
}

func testMarkReopenedByPerson(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/acme/app:1", 1, at(0)))
	setState(t, s, res.ImageID, store.StateAcknowledged, nil)
	if img := setState(t, s, res.ImageID, store.StateOpen, nil); img.OpenedBy != store.OpenedByPerson {
		t.Errorf("reopened by a person, OpenedBy = %q; want %q", img.OpenedBy, store.OpenedByPerson)
	}
	// An undo that puts the row back to open is someone's doing too, even after a snooze.
	until := at(time.Hour)
	setState(t, s, res.ImageID, store.StateSnoozed, &until)
	if _, err := s.WakeSnoozed(ctx(t), at(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	prior, err := s.SetStates(ctx(t), []int64{res.ImageID}, store.Transition{State: store.StateIgnored}, "admin")
	if err != nil || len(prior) != 1 {
		t.Fatalf("SetStates = %+v, %v", prior, err)
	}
	if _, err := s.RestoreStates(ctx(t), prior, "admin"); err != nil {
		t.Fatal(err)
	}
	if img := getImage(t, s, res.ImageID); img.State != store.StateOpen || img.OpenedBy != store.OpenedByPerson {
		t.Errorf("after the undo: state %s, OpenedBy %q; want open, %q", img.State, img.OpenedBy, store.OpenedByPerson)
	}
}

// A snoozed row stays snoozed under a new digest, which its time records; woken, it is back
// from the snooze with a digest older than its reopening.
func testMarkDigestWhileSnoozed(t *testing.T, s store.Store) {
	res := record(t, s, note("h", "docker.io/acme/app:1", 1, at(0)))
	until := at(2 * time.Hour)
	setState(t, s, res.ImageID, store.StateSnoozed, &until)
	snoozed := getImage(t, s, res.ImageID)
	record(t, s, note("h", "docker.io/acme/app:1", 2, at(time.Hour)))
	wantMarks(t, getImage(t, s, res.ImageID), store.StateSnoozed, snoozed.StateChangedAt, at(time.Hour), store.OpenedFirst)
	if _, err := s.WakeSnoozed(ctx(t), at(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantMarks(t, getImage(t, s, res.ImageID), store.StateOpen, at(3*time.Hour), at(time.Hour), store.OpenedBySnooze)
}
