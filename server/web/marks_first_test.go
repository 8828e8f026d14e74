package web

import (
	"testing"
	"time"

	"diundashboard/server/store"
)

// TestRowMarksNameTheFirstThing (outside review of the marks): an open row carries every
// mark that may be news with its time, oldest first, so that app.js can name the first thing
// that happened since the last look, not only the last: acknowledged, reopened by a digest,
// then another digest says "new digest since you acknowledged" to one who saw it acknowledged;
// back from snooze then a digest says "back from snooze"; never seen, two digests, "new".
func TestRowMarksNameTheFirstThing(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	cases := []struct {
		name string
		img  store.Image
		want string
	}{
		{"reopened by a digest, then another", store.Image{FirstSeen: at(0), StateChangedAt: at(20), OpenedBy: store.OpenedByDigest, DigestChangedAt: at(30)},
			"2026-12-07T10:00:00.000Z new;2026-12-07T10:20:00.000Z new digest since you acknowledged;2026-12-07T10:30:00.000Z newer digest since it opened"},
		{"back from snooze, then a digest", store.Image{FirstSeen: at(0), StateChangedAt: at(20), OpenedBy: store.OpenedBySnooze, DigestChangedAt: at(30)},
			"2026-12-07T10:00:00.000Z new;2026-12-07T10:20:00.000Z back from snooze;2026-12-07T10:30:00.000Z newer digest since it opened"},
		{"new, then another digest", store.Image{FirstSeen: at(0), StateChangedAt: at(0), DigestChangedAt: at(30)},
			"2026-12-07T10:00:00.000Z new;2026-12-07T10:30:00.000Z newer digest since it opened"},
		{"reopened by a digest", store.Image{FirstSeen: at(0), StateChangedAt: at(20), OpenedBy: store.OpenedByDigest, DigestChangedAt: at(20)},
			"2026-12-07T10:00:00.000Z new;2026-12-07T10:20:00.000Z new digest since you acknowledged"},
		{"reopened by a person", store.Image{FirstSeen: at(0), StateChangedAt: at(20), OpenedBy: store.OpenedByPerson, DigestChangedAt: at(0)},
			"2026-12-07T10:00:00.000Z new"},
		{"acknowledged", store.Image{FirstSeen: at(0), StateChangedAt: at(20), State: store.StateAcknowledged, DigestChangedAt: at(0)}, ""},
	}
	// A time between milliseconds is rounded up: a change a fraction of a millisecond after the
	// page's data was read (rounded down) is after it.
	cases = append(cases, struct {
		name string
		img  store.Image
		want string
	}{"between milliseconds", store.Image{FirstSeen: t0.Add(1500 * time.Microsecond), StateChangedAt: t0, DigestChangedAt: t0}, "2026-12-07T10:00:00.002Z new"})
	for _, c := range cases {
		if c.img.State == "" {
			c.img.State = store.StateOpen
		}
		var r imageRow
		r.withMarks(c.img)
		if got := marksAttr(r.Marks); got != c.want {
			t.Errorf("%s: data-marks %q, want %q", c.name, got, c.want)
		}
	}
}
