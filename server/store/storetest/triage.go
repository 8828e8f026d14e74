package storetest

import (
	"fmt"
	"testing"
	"time"

	"diundashboard/server/store"
)

func triageTests() []test {
	return []test{
		{"SetStateEveryTransition", testSetStateAll},
		{"SetStateInvalid", testSetStateInvalid},
		{"SetHostState", testSetHostState},
		{"SetHostStateInvalid", testSetHostStateInvalid},
		{"WakeSnoozed", testWakeSnoozed},
	}
}

// transitionTo is a valid transition into state.
func transitionTo(state store.State, until time.Time) store.Transition {
	if state == store.StateSnoozed {
		return store.Transition{State: state, SnoozedUntil: &until}
	}
	return store.Transition{State: state}
}

func testSetStateAll(t *testing.T, s store.Store) {
	until1 := at(48 * time.Hour).Add(123456 * time.Microsecond)
	until2 := at(96 * time.Hour)
	i := 0
	for _, from := range store.States {
		for _, to := range store.States {
			i++
			n := note("host", fmt.Sprintf("docker.io/acme/%s-to-%s:1", from, to), i, at(time.Duration(i)*time.Second))
			id := record(t, s, n).ImageID
			if from != store.StateOpen {
				if _, err := s.SetState(ctx(t), id, transitionTo(from, until1)); err != nil {
					t.Fatalf("SetState(%s): %v", from, err)
				}
			}
			before := time.Now().Add(-time.Second)
			got, err := s.SetState(ctx(t), id, transitionTo(to, until2))
			after := time.Now().Add(time.Second)
			if err != nil {
				t.Errorf("%s → %s: %v", from, to, err)
				continue
			}
			if got.ID != id || got.State != to {
				t.Errorf("%s → %s: SetState returned image %d in state %s", from, to, got.ID, got.State)
			}
			var wantUntil *time.Time
			if to == store.StateSnoozed {
				wantUntil = &until2
			}
			if !sameTimePtr(got.SnoozedUntil, wantUntil) {
				t.Errorf("%s → %s: SnoozedUntil = %s, want %s", from, to, fmtTimePtr(got.SnoozedUntil), fmtTimePtr(wantUntil))
			}
			if got.StateChangedAt.Before(before) || got.StateChangedAt.After(after) {
				t.Errorf("%s → %s: StateChangedAt = %s, want the time of the call", from, to, got.StateChangedAt)
			}
			// The rest of the row is untouched.
			checkImageFields(t, got, n)
			if got.Notifications != 1 || !got.FirstSeen.Equal(n.ReceivedAt) {
				t.Errorf("%s → %s: notifications %d first seen %s changed", from, to, got.Notifications, got.FirstSeen)
			}
			// SetState returns what GetImage then reads.
			read := getImage(t, s, id)
			if read.State != got.State || !sameTimePtr(read.SnoozedUntil, got.SnoozedUntil) || !read.StateChangedAt.Equal(got.StateChangedAt) {
				t.Errorf("%s → %s: GetImage reads state %s until %s changed %s; SetState returned %s %s %s", from, to,
					read.State, fmtTimePtr(read.SnoozedUntil), read.StateChangedAt, got.State, fmtTimePtr(got.SnoozedUntil), got.StateChangedAt)
			}
		}
	}
	// Tags come back with the image.
	tag := createTag(t, s, "kept")
	id := record(t, s, note("host", "docker.io/acme/tagged:1", 99, at(0))).ImageID
	attach(t, s, id, tag.ID)
	if got := setState(t, s, id, store.StateIgnored, nil); len(got.Tags) != 1 || got.Tags[0].Name != "kept" {
		t.Errorf("SetState returned tags %v, want [kept]", got.Tags)
	}
}

func testSetStateInvalid(t *testing.T, s store.Store) {
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
		_, err := s.SetState(ctx(t), res.ImageID, tr)
		wantErr(t, name, err, store.ErrInvalid)
	}
	after := getImage(t, s, res.ImageID)
	if after.State != before.State || !after.StateChangedAt.Equal(before.StateChangedAt) || after.SnoozedUntil != nil {
		t.Errorf("invalid transitions changed the image: %s %s %s", after.State, after.StateChangedAt, fmtTimePtr(after.SnoozedUntil))
	}
	for _, id := range []int64{res.ImageID + 1, 0, -1} {
		_, err := s.SetState(ctx(t), id, store.Transition{State: store.StateAcknowledged})
		wantErr(t, fmt.Sprintf("SetState(%d)", id), err, store.ErrNotFound)
	}
}

func testSetHostState(t *testing.T, s store.Store) {
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

	n, err := s.SetHostState(ctx(t), "h1", store.StateOpen, store.Transition{State: store.StateAcknowledged})
	if err != nil || n != 3 {
		t.Fatalf("SetHostState(h1, open → acknowledged) = %d, %v; want 3", n, err)
	}
	for _, id := range append(h1open, h1ack) {
		if st := stateOf(id); st != store.StateAcknowledged {
			t.Errorf("h1 image %d is %s, want acknowledged", id, st)
		}
	}
	if st := stateOf(h1ign); st != store.StateIgnored {
		t.Errorf("h1's ignored image is %s: only images in the from-state move", st)
	}
	for _, id := range append(h2open, h1prefix) {
		if st := stateOf(id); st != store.StateOpen {
			t.Errorf("image %d of another host is %s, want open", id, st)
		}
	}

	until := at(30 * time.Hour)
	n, err = s.SetHostState(ctx(t), "h1", store.StateAcknowledged, store.Transition{State: store.StateSnoozed, SnoozedUntil: &until})
	if err != nil || n != 4 {
		t.Fatalf("SetHostState(h1, acknowledged → snoozed) = %d, %v; want 4", n, err)
	}
	for _, id := range append(h1open, h1ack) {
		img := getImage(t, s, id)
		if img.State != store.StateSnoozed || !sameTimePtr(img.SnoozedUntil, &until) {
			t.Errorf("h1 image %d: %s until %s, want snoozed until %s", id, img.State, fmtTimePtr(img.SnoozedUntil), until)
		}
	}
	n, err = s.SetHostState(ctx(t), "h1", store.StateSnoozed, store.Transition{State: store.StateOpen})
	if err != nil || n != 4 {
		t.Fatalf("SetHostState(h1, snoozed → open) = %d, %v; want 4", n, err)
	}
	if img := getImage(t, s, h1ack); img.State != store.StateOpen || img.SnoozedUntil != nil {
		t.Errorf("after snoozed → open: %s until %s, want open and no time", img.State, fmtTimePtr(img.SnoozedUntil))
	}

	for _, host := range []string{"nobody", "H1", "h"} {
		if n, err := s.SetHostState(ctx(t), host, store.StateOpen, store.Transition{State: store.StateIgnored}); err != nil || n != 0 {
			t.Errorf("SetHostState(%q) = %d, %v; want 0", host, n, err)
		}
	}
	if n, err := s.SetHostState(ctx(t), "h2", store.StateIgnored, store.Transition{State: store.StateOpen}); err != nil || n != 0 {
		t.Errorf("SetHostState(h2, ignored → open) = %d, %v; want 0 (no ignored images there)", n, err)
	}
}

func testSetHostStateInvalid(t *testing.T, s store.Store) {
	id := record(t, s, note("h1", "docker.io/a:1", 1, at(0))).ImageID
	until := at(time.Hour)
	_, err := s.SetHostState(ctx(t), "h1", "closed", store.Transition{State: store.StateAcknowledged})
	wantErr(t, "unknown from-state", err, store.ErrInvalid)
	_, err = s.SetHostState(ctx(t), "h1", "", store.Transition{State: store.StateAcknowledged})
	wantErr(t, "empty from-state", err, store.ErrInvalid)
	_, err = s.SetHostState(ctx(t), "h1", store.StateOpen, store.Transition{State: "closed"})
	wantErr(t, "unknown to-state", err, store.ErrInvalid)
	_, err = s.SetHostState(ctx(t), "h1", store.StateOpen, store.Transition{State: store.StateSnoozed})
	wantErr(t, "snooze without a time", err, store.ErrInvalid)
	_, err = s.SetHostState(ctx(t), "h1", store.StateOpen, store.Transition{State: store.StateIgnored, SnoozedUntil: &until})
	wantErr(t, "ignore with a time", err, store.ErrInvalid)
	if st := getImage(t, s, id).State; st != store.StateOpen {
		t.Errorf("invalid SetHostState calls moved the image to %s", st)
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

	n, err := s.WakeSnoozed(ctx(t), now)
	if err != nil || n != 3 {
		t.Fatalf("WakeSnoozed = %d, %v; want 3 (two past and one exactly now)", n, err)
	}
	after := states()
	for _, id := range []int64{past, longPast, exactly} {
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
	if n, err := s.WakeSnoozed(ctx(t), now); err != nil || n != 0 {
		t.Errorf("WakeSnoozed again = %d, %v; want 0", n, err)
	}
	if n, err := s.WakeSnoozed(ctx(t), now.Add(time.Microsecond)); err != nil || n != 1 {
		t.Errorf("WakeSnoozed a microsecond later = %d, %v; want 1", n, err)
	}
	if got := getImage(t, s, future).State; got != store.StateOpen {
		t.Errorf("the image snoozed until now+1µs is %s, want open", got)
	}
}
