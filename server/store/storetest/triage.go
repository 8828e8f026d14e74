package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

func triageTests() []test {
	return []test{
		{"SetStatesEveryTransition", testSetStatesAll},
		{"SetStatesInvalid", testSetStatesInvalid},
		{"SetStatesSkipsWhatIsThere", testSetStatesSkips},
		{"SetStatesWhereHost", testSetStatesWhereHost},
		{"SetStatesWhereFilter", testSetStatesWhereFilter},
		{"SetStatesWhereNoHostname", testSetStatesWhereNoHostname},
		{"SetStatesInvalidFilter", testSetStatesInvalidFilter},
		{"RestoreStates", testRestoreStates},
		{"RestoreOnlyWhatIsUnchanged", testRestoreOnlyWhatIsUnchanged},
		{"AuditTrail", testAuditTrail},
		{"BulkOfThousands", testBulkOfThousands},
		{"ConcurrentChangesChain", testConcurrentChangesChain},
		{"WakeSnoozed", testWakeSnoozed},
		{"GetTag", testGetTag},
		{"FilterTextValidated", testFilterTextValidated},
		{"PruneTrail", testPruneTrail},
	}
}

// transitionTo is a valid transition into state.
func transitionTo(state store.State, until time.Time) store.Transition {
	if state == store.StateSnoozed {
		return store.Transition{State: state, SnoozedUntil: &until}
	}
	return store.Transition{State: state}
}

func setStates(t *testing.T, s store.Store, ids []int64, tr store.Transition, actor string) []store.StateChange {
	t.Helper()
	got, err := s.SetStates(ctx(t), ids, tr, actor)
	if err != nil {
		t.Fatalf("SetStates(%v, %s): %v", ids, tr.State, err)
	}
	return got
}

func changedIDs(changes []store.StateChange) []int64 {
	out := make([]int64, len(changes))
	for i, c := range changes {
		out[i] = c.ImageID
	}
	slices.Sort(out)
	return out
}

func testSetStatesAll(t *testing.T, s store.Store) {
	until1 := at(48 * time.Hour).Add(123456 * time.Microsecond)
	until2 := at(96 * time.Hour)
	i := 0
	for _, from := range store.States {
		for _, to := range store.States {
			i++
			n := note("host", fmt.Sprintf("docker.io/acme/%s-to-%s:1", from, to), i, at(time.Duration(i)*time.Second))
			id := record(t, s, n).ImageID
			if from != store.StateOpen {
				setStates(t, s, []int64{id}, transitionTo(from, until1), "setup")
			}
			before := time.Now().Add(-time.Second)
			changes := setStates(t, s, []int64{id}, transitionTo(to, until2), "admin")
			after := time.Now().Add(time.Second)
			got := getImage(t, s, id)
			if got.State != to {
				t.Errorf("%s → %s: the image is %s", from, to, got.State)
			}
			var wantUntil *time.Time
			if to == store.StateSnoozed {
				wantUntil = &until2
			}
			if !sameTimePtr(got.SnoozedUntil, wantUntil) {
				t.Errorf("%s → %s: SnoozedUntil = %s, want %s", from, to, fmtTimePtr(got.SnoozedUntil), fmtTimePtr(wantUntil))
			}
			// The change is returned with the prior state (what undo restores). A move to the
			// state the image is in already is no change, except a snooze to another time.
			if from == to && to != store.StateSnoozed {
				if len(changes) != 0 {
					t.Errorf("%s → %s: %+v, want no change", from, to, changes)
				}
				continue
			}
			if len(changes) != 1 {
				t.Fatalf("%s → %s: %d changes returned, want 1", from, to, len(changes))
			}
			c := changes[0]
			var fromUntil *time.Time
			if from == store.StateSnoozed {
				fromUntil = &until1
			}
			if c.ImageID != id || c.From != from || !sameTimePtr(c.FromUntil, fromUntil) || c.To != to || !sameTimePtr(c.ToUntil, wantUntil) ||
				c.Actor != "admin" || c.Digest != n.Digest || c.At.Before(before) || c.At.After(after) {
				t.Errorf("%s → %s: change %+v", from, to, c)
			}
			if !got.StateChangedAt.Equal(c.At) {
				t.Errorf("%s → %s: StateChangedAt %s, change at %s", from, to, got.StateChangedAt, c.At)
			}
			// The rest of the row is untouched.
			checkImageFields(t, got, n)
			if got.Notifications != 1 || !got.FirstSeen.Equal(n.ReceivedAt) {
				t.Errorf("%s → %s: notifications %d first seen %s changed", from, to, got.Notifications, got.FirstSeen)
			}
		}
	}
}

func testSetStatesInvalid(t *testing.T, s store.Store) {
	res := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	before := getImage(t, s, res.ImageID)
	until := at(time.Hour)
	cases := map[string]store.Transition{
		"unknown state":         {State: "closed"},
		"empty state":           {},
		"upper-case state":      {State: "OPEN"},
		"snooze without a time": {State: store.StateSnoozed},
		"open with a time":      {State: store.StateOpen, SnoozedUntil: &until},
		"ignore with a time":    {State: store.StateIgnored, SnoozedUntil: &until},
		"ack with a time":       {State: store.StateAcknowledged, SnoozedUntil: &until},
	}
	for name, tr := range cases {
		_, err := s.SetStates(ctx(t), []int64{res.ImageID}, tr, "admin")
		wantErr(t, name, err, store.ErrInvalid)
		_, err = s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "host"}, tr, "admin")
		wantErr(t, name+" (where)", err, store.ErrInvalid)
	}
	_, err := s.SetStates(ctx(t), []int64{res.ImageID}, store.Transition{State: store.StateIgnored}, " ")
	wantErr(t, "no actor", err, store.ErrInvalid)
	_, err = s.SetStates(ctx(t), make([]int64, store.MaxBatch+1), store.Transition{State: store.StateIgnored}, "admin")
	wantErr(t, "more than MaxBatch ids", err, store.ErrInvalid)
	after := getImage(t, s, res.ImageID)
	if after.State != before.State || !after.StateChangedAt.Equal(before.StateChangedAt) || after.SnoozedUntil != nil {
		t.Errorf("invalid calls changed the image: %s %s %s", after.State, after.StateChangedAt, fmtTimePtr(after.SnoozedUntil))
	}
	if trail, err := s.ListStateChanges(ctx(t), res.ImageID, 0); err != nil || len(trail) != 0 {
		t.Errorf("invalid calls left an audit trail: %+v, %v", trail, err)
	}
	// Unknown ids are no error: nothing of them moves.
	if got, err := s.SetStates(ctx(t), []int64{res.ImageID + 1, 0, -1}, store.Transition{State: store.StateAcknowledged}, "admin"); err != nil || len(got) != 0 {
		t.Errorf("SetStates of unknown ids = %+v, %v; want nothing", got, err)
	}
	if got, err := s.SetStates(ctx(t), nil, store.Transition{State: store.StateAcknowledged}, "admin"); err != nil || len(got) != 0 {
		t.Errorf("SetStates of no ids = %+v, %v; want nothing", got, err)
	}
}

// An image already in the target state is not changed, not audited and not returned; a
// snoozed image snoozed again to another time is.
func testSetStatesSkips(t *testing.T, s store.Store) {
	a := record(t, s, note("host", "docker.io/a:1", 1, at(0))).ImageID
	b := record(t, s, note("host", "docker.io/b:1", 1, at(0))).ImageID
	setStates(t, s, []int64{a}, store.Transition{State: store.StateAcknowledged}, "admin")
	stamp := getImage(t, s, a).StateChangedAt
	got := setStates(t, s, []int64{a, b, a}, store.Transition{State: store.StateAcknowledged}, "admin")
	if !slices.Equal(changedIDs(got), []int64{b}) {
		t.Errorf("acknowledging a (already) and b: changes for %v, want [b=%d]", changedIDs(got), b)
	}
	if !getImage(t, s, a).StateChangedAt.Equal(stamp) {
		t.Error("an image already acknowledged got a new StateChangedAt")
	}
	u1, u2 := at(time.Hour), at(2*time.Hour)
	setStates(t, s, []int64{a}, transitionTo(store.StateSnoozed, u1), "admin")
	if got := setStates(t, s, []int64{a}, transitionTo(store.StateSnoozed, u1), "admin"); len(got) != 0 {
		t.Errorf("the same snooze again: %+v, want no change", got)
	}
	if got := setStates(t, s, []int64{a}, transitionTo(store.StateSnoozed, u2), "admin"); len(got) != 1 || !sameTimePtr(got[0].FromUntil, &u1) {
		t.Errorf("a snooze to another time: %+v, want one change from %s", got, u1)
	}
	if trail, _ := s.ListStateChanges(ctx(t), a, 0); len(trail) != 3 {
		t.Errorf("a's trail has %d changes, want 3 (ack, snooze, snooze later)", len(trail))
	}
}

func testSetStatesWhereHost(t *testing.T, s store.Store) {
	rec := func(host, image string, state store.State) int64 {
		id := record(t, s, note(host, image, 1, at(0))).ImageID
		if state != store.StateOpen {
			setState(t, s, id, state, nil)
		}
		return id
	}
	h1open := []int64{
		rec("h1", "docker.io/a:1", store.StateOpen),
		rec("h1", "docker.io/b:1", store.StateOpen),
		rec("h1", "docker.io/c:1", store.StateOpen),
	}
	h1ack := rec("h1", "docker.io/d:1", store.StateAcknowledged)
	h1ign := rec("h1", "docker.io/e:1", store.StateIgnored)
	h2open := []int64{rec("h2", "docker.io/a:1", store.StateOpen), rec("h2", "docker.io/b:1", store.StateOpen)}
	h1prefix := rec("h1-other", "docker.io/a:1", store.StateOpen)

	stateOf := func(id int64) store.State { return getImage(t, s, id).State }

	got, err := s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "h1", State: store.StateOpen}, store.Transition{State: store.StateAcknowledged}, "admin")
	if err != nil || !slices.Equal(changedIDs(got), h1open) {
		t.Fatalf("SetStatesWhere(h1, open → acknowledged) moved %v, %v; want %v", changedIDs(got), err, h1open)
	}
	for _, c := range got {
		if c.From != store.StateOpen || c.To != store.StateAcknowledged {
			t.Errorf("change %+v, want open → acknowledged", c)
		}
	}
	if st := stateOf(h1ign); st != store.StateIgnored {
		t.Errorf("h1's ignored image is %s: the filter's state must hold", st)
	}
	for _, id := range append(h2open, h1prefix) {
		if st := stateOf(id); st != store.StateOpen {
			t.Errorf("image %d of another host is %s, want open", id, st)
		}
	}

	until := at(30 * time.Hour)
	got, err = s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "h1", State: store.StateAcknowledged}, store.Transition{State: store.StateSnoozed, SnoozedUntil: &until}, "admin")
	if err != nil || len(got) != 4 {
		t.Fatalf("SetStatesWhere(h1, acknowledged → snoozed) = %d, %v; want 4", len(got), err)
	}
	for _, id := range append(h1open, h1ack) {
		img := getImage(t, s, id)
		if img.State != store.StateSnoozed || !sameTimePtr(img.SnoozedUntil, &until) {
			t.Errorf("h1 image %d: %s until %s, want snoozed until %s", id, img.State, fmtTimePtr(img.SnoozedUntil), until)
		}
	}
	// Every state of a host (the "all" view): the ignored one too, but nothing twice.
	got, err = s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "h1"}, store.Transition{State: store.StateOpen}, "admin")
	if err != nil || len(got) != 5 {
		t.Fatalf("SetStatesWhere(h1, any → open) = %d, %v; want 5", len(got), err)
	}
	if img := getImage(t, s, h1ack); img.State != store.StateOpen || img.SnoozedUntil != nil {
		t.Errorf("after → open: %s until %s, want open and no time", img.State, fmtTimePtr(img.SnoozedUntil))
	}
	for _, host := range []string{"nobody", "H1", "h"} {
		if got, err := s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: host}, store.Transition{State: store.StateIgnored}, "admin"); err != nil || len(got) != 0 {
			t.Errorf("SetStatesWhere(%q) = %d, %v; want 0", host, len(got), err)
		}
	}
}

// The filter is the overview's: tag, provider and text narrow what a host action does.
func testSetStatesWhereFilter(t *testing.T, s store.Store) {
	media := createTag(t, s, "media")
	var tagged, untagged []int64
	for i := range 6 {
		n := note("nas", fmt.Sprintf("docker.io/linuxserver/app%d:latest", i), i+1, at(time.Duration(i)*time.Second))
		if i == 5 {
			n.Provider = "file"
		}
		id := record(t, s, n).ImageID
		if i < 2 {
			attach(t, s, id, media.ID)
			tagged = append(tagged, id)
		} else {
			untagged = append(untagged, id)
		}
	}
	ack := store.Transition{State: store.StateAcknowledged}
	got, err := s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "nas", Tag: "media", State: store.StateOpen}, ack, "admin")
	if err != nil || !slices.Equal(changedIDs(got), tagged) {
		t.Errorf("tag=media: moved %v, %v; want exactly the tagged %v", changedIDs(got), err, tagged)
	}
	for _, id := range untagged {
		if st := getImage(t, s, id).State; st != store.StateOpen {
			t.Errorf("untagged image %d is %s: a host action must not touch what the filter hides", id, st)
		}
	}
	got, err = s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "nas", Provider: "file"}, ack, "admin")
	if err != nil || !slices.Equal(changedIDs(got), untagged[3:]) {
		t.Errorf("provider=file: moved %v, %v; want %v", changedIDs(got), err, untagged[3:])
	}
	got, err = s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "nas", Query: "APP3"}, ack, "admin")
	if err != nil || !slices.Equal(changedIDs(got), untagged[1:2]) {
		t.Errorf("q=APP3: moved %v, %v; want %v", changedIDs(got), err, untagged[1:2])
	}
}

// Diun may send no hostname: those images form a group whose actions must work, and must
// not spill over to every host.
func testSetStatesWhereNoHostname(t *testing.T, s store.Store) {
	none := record(t, s, note("", "docker.io/a:1", 1, at(0))).ImageID
	other := record(t, s, note("vm", "docker.io/a:1", 2, at(0))).ImageID
	got, err := s.SetStatesWhere(ctx(t), store.ImageFilter{ExactHost: true}, store.Transition{State: store.StateIgnored}, "admin")
	if err != nil || !slices.Equal(changedIDs(got), []int64{none}) {
		t.Errorf("the (no hostname) group: moved %v, %v; want [%d]", changedIDs(got), err, none)
	}
	if st := getImage(t, s, other).State; st != store.StateOpen {
		t.Errorf("vm's image is %s: the empty hostname matched another host", st)
	}
	if imgs := listAll(t, s, store.ImageFilter{ExactHost: true}, store.SortHost, 0); !slices.Equal(ids(imgs), []int64{none}) {
		t.Errorf("ListImages of the (no hostname) group = %v, want [%d]", ids(imgs), none)
	}
}

func testSetStatesInvalidFilter(t *testing.T, s store.Store) {
	id := record(t, s, note("h1", "docker.io/a:1", 1, at(0))).ImageID
	_, err := s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "h1", State: "closed"}, store.Transition{State: store.StateAcknowledged}, "admin")
	wantErr(t, "unknown state in the filter", err, store.ErrInvalid)
	_, err = s.SetStatesWhere(ctx(t), store.ImageFilter{State: store.StateOpen}, store.Transition{State: store.StateAcknowledged}, "admin")
	wantErr(t, "a filter without a host", err, store.ErrInvalid)
	if st := getImage(t, s, id).State; st != store.StateOpen {
		t.Errorf("an invalid call moved the image to %s", st)
	}
}

// Undo: what a bulk change returned puts every image back where it was, snooze times too.
func testRestoreStates(t *testing.T, s store.Store) {
	u := at(5 * time.Hour)
	want := map[int64]store.Transition{}
	var all []int64
	for i, st := range []store.State{store.StateOpen, store.StateAcknowledged, store.StateSnoozed, store.StateIgnored, store.StateSnoozed} {
		id := record(t, s, note("h", fmt.Sprintf("docker.io/r%d:1", i), i+1, at(0))).ImageID
		tr := transitionTo(st, u.Add(time.Duration(i)*time.Minute))
		if st != store.StateOpen {
			setStates(t, s, []int64{id}, tr, "setup")
		}
		want[id] = tr
		all = append(all, id)
	}
	moved := setStates(t, s, all, store.Transition{State: store.StateIgnored}, "admin")
	if len(moved) != 4 {
		t.Fatalf("ignoring 5 (one ignored already) moved %d, want 4", len(moved))
	}
	back, err := s.RestoreStates(ctx(t), moved, "admin (undo)")
	if err != nil || len(back) != 4 {
		t.Fatalf("RestoreStates = %d changes, %v; want 4", len(back), err)
	}
	for id, tr := range want {
		img := getImage(t, s, id)
		if img.State != tr.State || !sameTimePtr(img.SnoozedUntil, tr.SnoozedUntil) {
			t.Errorf("image %d after undo: %s until %s, want %s until %s", id, img.State, fmtTimePtr(img.SnoozedUntil), tr.State, fmtTimePtr(tr.SnoozedUntil))
		}
	}
	bad := []store.StateChange{{ImageID: all[0], From: "closed", To: store.StateIgnored}}
	_, err = s.RestoreStates(ctx(t), bad, "admin")
	wantErr(t, "RestoreStates to an unknown state", err, store.ErrInvalid)
	// An undo is recorded as one: the trail says the change was an undo, not a new decision.
	trail, err := s.ListStateChanges(ctx(t), all[1], 1)
	if err != nil || len(trail) != 1 || trail[0].Cause != store.CauseUndo || trail[0].Actor != "admin (undo)" {
		t.Errorf("the undo's audit row = %+v, %v; want cause %q", trail, err, store.CauseUndo)
	}
}

// An undo puts back only the images still as its action left them: one changed since (by
// another tab, a token, MQTT or the snooze timer) keeps its later state, and is not returned.
func testRestoreOnlyWhatIsUnchanged(t *testing.T, s store.Store) {
	a := record(t, s, note("h", "docker.io/cas-a:1", 1, at(0))).ImageID
	b := record(t, s, note("h", "docker.io/cas-b:1", 2, at(0))).ImageID
	c := record(t, s, note("h", "docker.io/cas-c:1", 3, at(0))).ImageID
	until := at(24 * time.Hour)
	moved := setStates(t, s, []int64{a, b, c}, transitionTo(store.StateSnoozed, until), "admin")
	if len(moved) != 3 {
		t.Fatalf("snoozing 3 moved %d", len(moved))
	}
	// Later: b is ignored, c snoozed for longer; a is left as the snooze left it.
	setStates(t, s, []int64{b}, store.Transition{State: store.StateIgnored}, "token:widget")
	later := at(72 * time.Hour)
	setStates(t, s, []int64{c}, transitionTo(store.StateSnoozed, later), "mqtt")
	back, err := s.RestoreStates(ctx(t), moved, "admin")
	if err != nil || len(back) != 1 || back[0].ImageID != a {
		t.Fatalf("RestoreStates = %+v, %v; want image %d only", back, err, a)
	}
	if img := getImage(t, s, a); img.State != store.StateOpen {
		t.Errorf("image a after undo: %s, want open", img.State)
	}
	if img := getImage(t, s, b); img.State != store.StateIgnored {
		t.Errorf("an old undo turned the later ignore of b into %s", img.State)
	}
	if img := getImage(t, s, c); img.State != store.StateSnoozed || !sameTimePtr(img.SnoozedUntil, &later) {
		t.Errorf("an old undo turned the later snooze of c into %s until %s", img.State, fmtTimePtr(img.SnoozedUntil))
	}
	// The same undo again changes nothing: a is no longer as the snooze left it.
	if again, err := s.RestoreStates(ctx(t), moved, "admin"); err != nil || len(again) != 0 {
		t.Errorf("the same undo twice moved %+v, %v", again, err)
	}
}

// The audit trail: each change, newest first, with who, when, from → to and the digest.
func testAuditTrail(t *testing.T, s store.Store) {
	id := record(t, s, note("h", "docker.io/audit:1", 1, at(0))).ImageID
	other := record(t, s, note("h", "docker.io/other:1", 2, at(0))).ImageID
	setStates(t, s, []int64{id}, store.Transition{State: store.StateAcknowledged}, "admin")
	record(t, s, note("h", "docker.io/audit:1", 3, at(time.Hour))) // a new digest reopens it
	until := at(48 * time.Hour)
	setStates(t, s, []int64{id, other}, transitionTo(store.StateSnoozed, until), "token:widget")
	setStates(t, s, []int64{id}, store.Transition{State: store.StateIgnored}, "admin")
	trail, err := s.ListStateChanges(ctx(t), id, 0)
	if err != nil || len(trail) != 4 {
		t.Fatalf("ListStateChanges = %d, %v; want 4", len(trail), err)
	}
	digest := func(n int) string { return note("h", "x", n, at(0)).Digest }
	wantTrail := []struct {
		actor    string
		from, to store.State
		digest   string
		cause    string
	}{
		{"admin", store.StateSnoozed, store.StateIgnored, digest(3), ""},
		{"token:widget", store.StateOpen, store.StateSnoozed, digest(3), ""},
		// What reopened it: Diun, with the new digest.
		{store.ActorDiun, store.StateAcknowledged, store.StateOpen, digest(3), store.CauseNewDigest},
		{"admin", store.StateOpen, store.StateAcknowledged, digest(1), ""},
	}
	for i, w := range wantTrail {
		c := trail[i]
		if c.ImageID != id || c.Actor != w.actor || c.From != w.from || c.To != w.to || c.Digest != w.digest || c.Cause != w.cause {
			t.Errorf("trail[%d] = %+v, want %s %s → %s at %s (%q)", i, c, w.actor, w.from, w.to, w.digest, w.cause)
		}
	}
	if !trail[2].At.Equal(at(time.Hour)) {
		t.Errorf("the reopening is dated %s, want the notification's %s", trail[2].At, at(time.Hour))
	}
	if !sameTimePtr(trail[1].ToUntil, &until) || !sameTimePtr(trail[0].FromUntil, &until) {
		t.Errorf("the snooze's time is not in the trail: %+v", trail[:2])
	}
	if got, _ := s.ListStateChanges(ctx(t), id, 1); len(got) != 1 || got[0].To != store.StateIgnored {
		t.Errorf("ListStateChanges(limit 1) = %+v, want the newest only", got)
	}
	// Deleting the image deletes its trail.
	if _, err := s.DeleteImages(ctx(t), []int64{id}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ListStateChanges(ctx(t), id, 0); err != nil || len(got) != 0 {
		t.Errorf("trail after delete: %+v, %v", got, err)
	}
}

// A bulk action over thousands of images is one call, and what it returns names each.
func testBulkOfThousands(t *testing.T, s store.Store) {
	const n = 2000
	seedN(t, s, n)
	all := ids(listAll(t, s, store.ImageFilter{}, store.SortImage, 500))
	if len(all) != n {
		t.Fatalf("%d images seeded, want %d", len(all), n)
	}
	got := setStates(t, s, all, store.Transition{State: store.StateAcknowledged}, "admin")
	if len(got) != n {
		t.Fatalf("acknowledging %d images moved %d", n, len(got))
	}
	if left := listAll(t, s, store.ImageFilter{State: store.StateOpen}, store.SortImage, 500); len(left) != 0 {
		t.Errorf("%d images still open", len(left))
	}
	if deleted, err := s.DeleteImages(ctx(t), all); err != nil || deleted != n {
		t.Errorf("DeleteImages of %d = %d, %v", n, deleted, err)
	}
}

// Concurrent changes of the same images leave a consistent trail: each change starts from
// where the one before it left the image (no lost update, no change read from a stale row).
func testConcurrentChangesChain(t *testing.T, s store.Store) {
	var all []int64
	for i := range 20 {
		all = append(all, record(t, s, note("h", fmt.Sprintf("docker.io/c%d:1", i), i+1, at(0))).ImageID)
	}
	states := []store.State{store.StateAcknowledged, store.StateIgnored, store.StateOpen}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				tr := store.Transition{State: states[(w+i)%len(states)]}
				if _, err := s.SetStates(ctx(t), all, tr, fmt.Sprint("worker", w)); err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, id := range all {
		trail, err := s.ListStateChanges(ctx(t), id, 500)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(trail)
		prev := store.StateOpen
		for i, c := range trail {
			if c.From != prev || c.From == c.To {
				t.Fatalf("image %d, change %d: %s → %s after %s: the trail is not a chain", id, i, c.From, c.To, prev)
			}
			prev = c.To
		}
		if img := getImage(t, s, id); img.State != prev {
			t.Errorf("image %d is %s, its trail ends at %s", id, img.State, prev)
		}
	}
}

func testWakeSnoozed(t *testing.T, s store.Store) {
	now := at(10 * time.Hour)
	snooze := func(image string, until time.Time) int64 {
		id := record(t, s, note("host", image, 1, at(0))).ImageID
		setState(t, s, id, store.StateSnoozed, &until)
		return id
	}
	past := snooze("docker.io/past:1", now.Add(-time.Hour))
	longPast := snooze("docker.io/long-past:1", now.Add(-1000*time.Hour))
	exactly := snooze("docker.io/exactly:1", now)
	future := snooze("docker.io/future:1", now.Add(time.Microsecond))
	farFuture := snooze("docker.io/far-future:1", now.Add(1000*time.Hour))
	open := record(t, s, note("host", "docker.io/open:1", 1, at(0))).ImageID
	ignored := record(t, s, note("host", "docker.io/ignored:1", 1, at(0))).ImageID
	setState(t, s, ignored, store.StateIgnored, nil)
	acked := record(t, s, note("host", "docker.io/acked:1", 1, at(0))).ImageID
	setState(t, s, acked, store.StateAcknowledged, nil)
	states := func() map[int64]store.Image {
		m := map[int64]store.Image{}
		for _, img := range listAll(t, s, store.ImageFilter{}, store.SortImage, 0) {
			m[img.ID] = img
		}
		return m
	}
	before := states()

	woken, err := s.WakeSnoozed(ctx(t), now)
	want := []int64{past, longPast, exactly}
	slices.Sort(want)
	if err != nil || !slices.Equal(changedIDs(woken), want) {
		t.Fatalf("WakeSnoozed woke %v, %v; want %v (two past and one exactly now)", changedIDs(woken), err, want)
	}
	for _, c := range woken {
		if c.Actor != store.ActorSnoozeEnded || c.From != store.StateSnoozed || c.To != store.StateOpen || c.FromUntil == nil || !c.At.Equal(now) {
			t.Errorf("wake-up change %+v; want snoozed → open by %q at %s", c, store.ActorSnoozeEnded, now)
		}
	}
	after := states()
	for _, id := range want {
		img := after[id]
		if img.State != store.StateOpen || img.SnoozedUntil != nil {
			t.Errorf("%s: %s until %s, want open with no time", img.Image, img.State, fmtTimePtr(img.SnoozedUntil))
		}
		if !img.StateChangedAt.Equal(now) {
			t.Errorf("%s: StateChangedAt %s, want the wake-up time %s", img.Image, img.StateChangedAt, now)
		}
	}
	for _, id := range []int64{future, farFuture, open, ignored, acked} {
		b, a := before[id], after[id]
		if a.State != b.State || !sameTimePtr(a.SnoozedUntil, b.SnoozedUntil) || !a.StateChangedAt.Equal(b.StateChangedAt) {
			t.Errorf("%s changed: %s until %s → %s until %s", a.Image, b.State, fmtTimePtr(b.SnoozedUntil), a.State, fmtTimePtr(a.SnoozedUntil))
		}
	}
	if woken, err := s.WakeSnoozed(ctx(t), now); err != nil || len(woken) != 0 {
		t.Errorf("WakeSnoozed again = %d, %v; want 0", len(woken), err)
	}
	if woken, err := s.WakeSnoozed(ctx(t), now.Add(time.Microsecond)); err != nil || !slices.Equal(changedIDs(woken), []int64{future}) {
		t.Errorf("WakeSnoozed a microsecond later = %v, %v; want [%d]", changedIDs(woken), err, future)
	}
}

func testGetTag(t *testing.T, s store.Store) {
	tag := createTag(t, s, "prod")
	got, err := s.GetTag(ctx(t), tag.ID)
	if err != nil || got.ID != tag.ID || got.Name != "prod" || !got.CreatedAt.Equal(tag.CreatedAt) {
		t.Errorf("GetTag = %+v, %v; want %+v", got, err, tag)
	}
	_, err = s.GetTag(ctx(t), tag.ID+100)
	wantErr(t, "GetTag of an unknown id", err, store.ErrNotFound)
}

// A filter's text with NUL or invalid UTF-8 is the client's mistake (ErrInvalid) on both
// stores: PostgreSQL refuses such a parameter with an error that read as "the database is
// unavailable" (found by an outside review).
func testFilterTextValidated(t *testing.T, s store.Store) {
	record(t, s, note("h", "docker.io/a:1", 1, at(0)))
	for _, bad := range []string{"a\x00b", "\xff", "ok\xc3"} {
		for name, f := range map[string]store.ImageFilter{
			"host": {Hostname: bad}, "provider": {Provider: bad}, "tag": {Tag: bad}, "q": {Query: bad},
		} {
			_, err := s.ListImages(ctx(t), f, store.SortLastSeen, store.PageRequest{})
			wantErr(t, fmt.Sprintf("ListImages with %s %q", name, bad), err, store.ErrInvalid)
			f.ExactHost = true
			_, err = s.SetStatesWhere(ctx(t), f, store.Transition{State: store.StateIgnored}, "admin")
			wantErr(t, fmt.Sprintf("SetStatesWhere with %s %q", name, bad), err, store.ErrInvalid)
		}
	}
}

// The audit trail ages with the events: PruneEvents removes the changes made before its cutoff
// (changes are stamped with the store's clock, so the cutoffs are on either side of now).
func testPruneTrail(t *testing.T, s store.Store) {
	id := record(t, s, note("h", "docker.io/trail:1", 1, at(0))).ImageID
	setStates(t, s, []int64{id}, store.Transition{State: store.StateIgnored}, "admin")
	setStates(t, s, []int64{id}, store.Transition{State: store.StateOpen}, "admin")
	if _, err := s.PruneEvents(ctx(t), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if trail, _ := s.ListStateChanges(ctx(t), id, 0); len(trail) != 2 {
		t.Errorf("a prune before the changes left %d of 2", len(trail))
	}
	if _, err := s.PruneEvents(ctx(t), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if trail, _ := s.ListStateChanges(ctx(t), id, 0); len(trail) != 0 {
		t.Errorf("a prune after the changes left %d", len(trail))
	}
	if getImage(t, s, id).State != store.StateOpen {
		t.Error("the prune changed the image's state")
	}
}
