package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"diundashboard/server/store"
)

func recordTests() []test {
	return []test{
		{"NewImage", testRecordNewImage},
		{"DuplicateDelivery", testRecordDuplicate},
		{"NewerDigestReopensAcknowledged", testRecordReopensAcknowledged},
		{"DuplicateDigestKeepsAcknowledged", testRecordDuplicateKeepsAcknowledged},
		{"DuplicateDigestKeepsStatus", testRecordDuplicateKeepsStatus},
		{"NewerDigestKeepsSnoozed", func(t *testing.T, s store.Store) {
			testRecordKeepsState(t, s, store.StateSnoozed)
		}},
		{"NewerDigestKeepsIgnored", func(t *testing.T, s store.Store) {
			testRecordKeepsState(t, s, store.StateIgnored)
		}},
		{"NewerDigestKeepsOpen", func(t *testing.T, s store.Store) {
			testRecordKeepsState(t, s, store.StateOpen)
		}},
		{"CurrentRowFollowsNewestNotification", testRecordCurrentRowFollows},
		{"SameImageOnTwoHosts", testRecordTwoHosts},
		{"TestNotification", testRecordCheck},
		{"Metadata", testRecordMetadata},
		{"Created", testRecordCreated},
		{"ReceivedAtDefaultsToNow", testRecordReceivedAtDefault},
		{"UnicodeAndLongReferences", testRecordUnicodeAndLong},
		{"Invalid", testRecordInvalid},
		{"RawBodyCapped", testRecordRawBodyCapped},
		{"RawBodyNotUTF8", testRecordRawBodyNotUTF8},
	}
}

func testRecordNewImage(t *testing.T, s store.Store) {
	n := note("host-a", "docker.io/library/nginx:1.29-alpine", 1, at(0))
	res := record(t, s, n)
	if res.Check || res.ImageID <= 0 || res.EventID <= 0 || res.State != store.StateOpen {
		t.Fatalf("Record = %+v, want an event id, an image id, Check false and state open", res)
	}

	img := getImage(t, s, res.ImageID)
	checkImageFields(t, img, n)
	if img.ID != res.ImageID {
		t.Errorf("GetImage ID = %d, want %d", img.ID, res.ImageID)
	}
	if img.Notifications != 1 {
		t.Errorf("Notifications = %d, want 1", img.Notifications)
	}
	if img.State != store.StateOpen || img.SnoozedUntil != nil {
		t.Errorf("State = %s, SnoozedUntil %s; want open and nil", img.State, fmtTimePtr(img.SnoozedUntil))
	}
	if !img.FirstSeen.Equal(n.ReceivedAt) || !img.LastSeen.Equal(n.ReceivedAt) {
		t.Errorf("FirstSeen %s, LastSeen %s; want both %s", img.FirstSeen, img.LastSeen, n.ReceivedAt)
	}
	if img.StateChangedAt.IsZero() {
		t.Error("StateChangedAt is zero")
	}
	if len(img.Tags) != 0 {
		t.Errorf("Tags = %v, want none", img.Tags)
	}

	page, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Images) != 1 || page.Images[0].ID != res.ImageID || page.NextCursor != "" {
		t.Fatalf("ListImages = %v (next %q), want only image %d", ids(page.Images), page.NextCursor, res.ImageID)
	}
	checkImageFields(t, page.Images[0], n)

	events := allEvents(t, s, res.ImageID, 0)
	if len(events) != 1 {
		t.Fatalf("ListEvents returned %d events, want 1", len(events))
	}
	if events[0].ID != res.EventID || events[0].ImageID != res.ImageID {
		t.Errorf("event ID %d ImageID %d, want %d and %d", events[0].ID, events[0].ImageID, res.EventID, res.ImageID)
	}
	checkEventFields(t, events[0], n)
}

func testRecordDuplicate(t *testing.T, s store.Store) {
	n := note("host-a", "docker.io/library/nginx:1.29", 1, at(0))
	first := record(t, s, n)
	n.ReceivedAt = at(time.Minute)
	second := record(t, s, n)

	if second.ImageID != first.ImageID {
		t.Errorf("the same digest again got image %d, want %d", second.ImageID, first.ImageID)
	}
	if second.EventID == first.EventID {
		t.Errorf("a duplicate delivery got the same event id %d: it must be stored as a new event", second.EventID)
	}
	if second.State != store.StateOpen {
		t.Errorf("State = %s, want open", second.State)
	}
	img := getImage(t, s, first.ImageID)
	if img.Notifications != 2 {
		t.Errorf("Notifications = %d, want 2", img.Notifications)
	}
	if !img.FirstSeen.Equal(at(0)) || !img.LastSeen.Equal(at(time.Minute)) {
		t.Errorf("FirstSeen %s, LastSeen %s; want %s and %s", img.FirstSeen, img.LastSeen, at(0), at(time.Minute))
	}
	if all := listAll(t, s, store.ImageFilter{}, store.SortLastSeen, 0); len(all) != 1 {
		t.Errorf("ListImages has %d rows, want one current row", len(all))
	}
	events := allEvents(t, s, first.ImageID, 0)
	if got, want := eventIDs(events), []int64{second.EventID, first.EventID}; !equalIDs(got, want) {
		t.Errorf("ListEvents = %v, want %v (newest first)", got, want)
	}
	if n := countAllEvents(t, s); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}

func testRecordReopensAcknowledged(t *testing.T, s store.Store) {
	res := record(t, s, note("host-a", "ghcr.io/acme/app:1.4", 1, at(0)))
	setState(t, s, res.ImageID, store.StateAcknowledged, nil)

	n := note("host-a", "ghcr.io/acme/app:1.4", 2, at(time.Hour))
	res2 := record(t, s, n)
	if res2.ImageID != res.ImageID || res2.State != store.StateOpen {
		t.Fatalf("Record of a newer digest = %+v, want image %d reopened", res2, res.ImageID)
	}
	img := getImage(t, s, res.ImageID)
	checkImageFields(t, img, n)
	if img.State != store.StateOpen {
		t.Errorf("State = %s, want open", img.State)
	}
	if !img.StateChangedAt.Equal(n.ReceivedAt) {
		t.Errorf("StateChangedAt = %s, want the time the newer digest arrived, %s", img.StateChangedAt, n.ReceivedAt)
	}
	if img.Notifications != 2 {
		t.Errorf("Notifications = %d, want 2", img.Notifications)
	}
	if events := allEvents(t, s, res.ImageID, 0); len(events) != 2 {
		t.Errorf("%d events, want 2", len(events))
	}
}

func testRecordDuplicateKeepsAcknowledged(t *testing.T, s store.Store) {
	res := record(t, s, note("host-a", "ghcr.io/acme/app:1.4", 1, at(0)))
	acked := setState(t, s, res.ImageID, store.StateAcknowledged, nil)

	res2 := record(t, s, note("host-a", "ghcr.io/acme/app:1.4", 1, at(time.Hour)))
	if res2.State != store.StateAcknowledged {
		t.Errorf("Record of the acknowledged digest again: State = %s, want acknowledged", res2.State)
	}
	img := getImage(t, s, res.ImageID)
	if img.State != store.StateAcknowledged || !img.StateChangedAt.Equal(acked.StateChangedAt) {
		t.Errorf("State %s changed at %s; want acknowledged, unchanged since %s", img.State, img.StateChangedAt, acked.StateChangedAt)
	}
	if img.Notifications != 2 || !img.LastSeen.Equal(at(time.Hour)) {
		t.Errorf("Notifications %d LastSeen %s; want 2 and %s", img.Notifications, img.LastSeen, at(time.Hour))
	}
}

// testRecordDuplicateKeepsStatus: when Diun's database is reset, Diun sends every image again
// with status "new". For a digest the dashboard already has, that says nothing new: the stored
// status ("update") stays. A changed digest takes the status it came with, "new" included.
func testRecordDuplicateKeepsStatus(t *testing.T, s store.Store) {
	first := note("host-a", "ghcr.io/acme/app:1.4", 1, at(0))
	res := record(t, s, first)

	resent := note("host-a", "ghcr.io/acme/app:1.4", 1, at(time.Hour))
	resent.Status = "new"
	record(t, s, resent)
	img := getImage(t, s, res.ImageID)
	if img.Status != "update" {
		t.Errorf("after the same digest came again as new: Status = %q, want the stored %q", img.Status, "update")
	}
	if img.Notifications != 2 || !img.LastSeen.Equal(at(time.Hour)) {
		t.Errorf("Notifications %d LastSeen %s; want 2 and %s: the notification still counts", img.Notifications, img.LastSeen, at(time.Hour))
	}
	// The event keeps what Diun sent.
	if events := allEvents(t, s, res.ImageID, 0); len(events) != 2 || events[0].Status != "new" {
		t.Errorf("events %+v, want the newest with status new, as sent", events)
	}

	changed := note("host-a", "ghcr.io/acme/app:1.4", 2, at(2*time.Hour))
	changed.Status = "new"
	record(t, s, changed)
	if img := getImage(t, s, res.ImageID); img.Status != "new" || img.Digest != digest(2) {
		t.Errorf("after a new digest with status new: Status %q Digest %s, want new and %s", img.Status, img.Digest, digest(2))
	}
}

// testRecordKeepsState: a newer digest leaves snoozed, ignored (and open) images in their state
// while their history grows.
func testRecordKeepsState(t *testing.T, s store.Store, state store.State) {
	res := record(t, s, note("host-a", "quay.io/org/tool:2", 1, at(0)))
	var until *time.Time
	if state == store.StateSnoozed {
		until = ptr(at(72 * time.Hour))
	}
	if state != store.StateOpen {
		setState(t, s, res.ImageID, state, until)
	}
	before := getImage(t, s, res.ImageID)

	for i := 2; i <= 4; i++ {
		n := note("host-a", "quay.io/org/tool:2", i, at(time.Duration(i)*time.Hour))
		r := record(t, s, n)
		if r.State != state {
			t.Errorf("Record of digest %d: State = %s, want %s", i, r.State, state)
		}
	}
	img := getImage(t, s, res.ImageID)
	if img.State != state || !sameTimePtr(img.SnoozedUntil, until) {
		t.Errorf("State %s SnoozedUntil %s; want %s and %s", img.State, fmtTimePtr(img.SnoozedUntil), state, fmtTimePtr(until))
	}
	if !img.StateChangedAt.Equal(before.StateChangedAt) {
		t.Errorf("StateChangedAt moved from %s to %s though the state did not change", before.StateChangedAt, img.StateChangedAt)
	}
	if img.Digest != digest(4) || img.Notifications != 4 {
		t.Errorf("Digest %s Notifications %d; want %s and 4", img.Digest, img.Notifications, digest(4))
	}
	events := allEvents(t, s, res.ImageID, 0)
	if len(events) != 4 {
		t.Fatalf("%d events, want 4", len(events))
	}
	for i, e := range events {
		if want := digest(4 - i); e.Digest != want {
			t.Errorf("event %d has digest %s, want %s (newest first)", i, e.Digest, want)
		}
	}
}

func testRecordCurrentRowFollows(t *testing.T, s store.Store) {
	first := note("host-a", "docker.io/library/redis:7", 1, at(0))
	res := record(t, s, first)

	second := note("host-a", "docker.io/library/redis:7", 2, at(time.Hour))
	second.Status = "new"
	second.Provider = "swarm"
	second.HubLink = ""
	second.MimeType = "application/vnd.docker.distribution.manifest.list.v2+json"
	second.Platform = "linux/arm/v7"
	second.Created = nil
	second.Metadata = nil
	record(t, s, second)

	img := getImage(t, s, res.ImageID)
	checkImageFields(t, img, second)
	if !img.FirstSeen.Equal(first.ReceivedAt) {
		t.Errorf("FirstSeen = %s, want the first notification's %s", img.FirstSeen, first.ReceivedAt)
	}
	// The history keeps each notification as it was.
	events := allEvents(t, s, res.ImageID, 0)
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	checkEventFields(t, events[0], second)
	checkEventFields(t, events[1], first)
}

func testRecordTwoHosts(t *testing.T, s store.Store) {
	a := record(t, s, note("host-a", "docker.io/library/nginx:1", 1, at(0)))
	b := record(t, s, note("host-b", "docker.io/library/nginx:1", 1, at(time.Second)))
	if a.ImageID == b.ImageID {
		t.Fatalf("one image reference on two hosts got one current row (%d); want one per host", a.ImageID)
	}
	setState(t, s, a.ImageID, store.StateAcknowledged, nil)
	record(t, s, note("host-b", "docker.io/library/nginx:1", 2, at(time.Minute)))
	if img := getImage(t, s, a.ImageID); img.State != store.StateAcknowledged || img.Digest != digest(1) || img.Notifications != 1 {
		t.Errorf("host-a's row changed when host-b reported: %+v", img)
	}
	if img := getImage(t, s, b.ImageID); img.Digest != digest(2) || img.Notifications != 2 {
		t.Errorf("host-b's row: digest %s notifications %d; want %s and 2", img.Digest, img.Notifications, digest(2))
	}
}

func testRecordCheck(t *testing.T, s store.Store) {
	n := checkNote(at(0))
	res := record(t, s, n)
	if !res.Check || res.ImageID != 0 || res.EventID <= 0 {
		t.Fatalf("Record(test notification) = %+v, want Check true, ImageID 0 and an event id", res)
	}
	if all := listAll(t, s, store.ImageFilter{}, store.SortLastSeen, 0); len(all) != 0 {
		t.Errorf("the test notification created current rows: %v", imageKeys(all))
	}
	checks, err := s.ListChecks(ctx(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 1 {
		t.Fatalf("ListChecks returned %d events, want 1", len(checks))
	}
	if checks[0].ID != res.EventID || checks[0].ImageID != 0 {
		t.Errorf("check ID %d ImageID %d, want %d and 0", checks[0].ID, checks[0].ImageID, res.EventID)
	}
	checkEventFields(t, checks[0], n)

	sum, err := s.Summary(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !sameTimePtr(sum.LastCheck, ptr(at(0))) {
		t.Errorf("Summary.LastCheck = %s, want %s", fmtTimePtr(sum.LastCheck), at(0))
	}
	if sum.LastNotification != nil {
		t.Errorf("Summary.LastNotification = %s, want nil: a test notification is a connection check (LastCheck)", fmtTimePtr(sum.LastNotification))
	}
	if len(sum.Counts) != 0 {
		t.Errorf("Summary.Counts = %+v, want none: a check is not an image", sum.Counts)
	}

	// A second check is another event; the newest comes first.
	res2 := record(t, s, checkNote(at(time.Minute)))
	checks, err = s.ListChecks(ctx(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := eventIDs(checks), []int64{res2.EventID, res.EventID}; !equalIDs(got, want) {
		t.Errorf("ListChecks = %v, want %v", got, want)
	}
	if countAllEvents(t, s) != 2 {
		t.Errorf("want 2 events")
	}
}

func testRecordMetadata(t *testing.T, s store.Store) {
	cases := []struct {
		name string
		meta map[string]string
	}{
		{"nil", nil},
		{"empty", map[string]string{}},
		{"object", map[string]string{
			"ctn_names":   "webapp-1",
			"ctn_command": "/app --port 8080 && echo <done>",
			"pod_status":  strings.Repeat("phase: Running; ", 50),
			"ключ":        "значение ✓",
			"":            "empty key",
		}},
	}
	for i, c := range cases {
		n := note("host-a", "docker.io/acme/meta-"+c.name+":1", i, at(time.Duration(i)*time.Second))
		n.Metadata = c.meta
		res := record(t, s, n)
		img := getImage(t, s, res.ImageID)
		if !sameMetadata(img.Metadata, c.meta) {
			t.Errorf("%s: image Metadata = %#v (nil: %t), want %#v (nil: %t)", c.name, img.Metadata, img.Metadata == nil, c.meta, c.meta == nil)
		}
		events := allEvents(t, s, res.ImageID, 0)
		if len(events) != 1 || !sameMetadata(events[0].Metadata, c.meta) {
			t.Errorf("%s: event Metadata = %#v, want %#v", c.name, events, c.meta)
		}
		// The list returns the same as GetImage.
		listed := listAll(t, s, store.ImageFilter{Query: "meta-" + c.name + ":"}, store.SortImage, 0)
		if len(listed) != 1 || !sameMetadata(listed[0].Metadata, c.meta) {
			t.Errorf("%s: listed Metadata = %v, want %#v", c.name, listed, c.meta)
		}
	}
}

func testRecordCreated(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	cases := []struct {
		name    string
		created *time.Time
	}{
		{"nil", nil},
		{"whole-seconds", ptr(time.Date(2020, 3, 26, 12, 23, 56, 0, time.UTC))},
		{"microseconds-other-zone", ptr(time.Date(2026, 6, 27, 13, 20, 19, 987654000, zone))},
	}
	for i, c := range cases {
		n := note("host-a", "docker.io/acme/created-"+c.name+":1", i, at(time.Duration(i)*time.Second))
		n.Created = c.created
		res := record(t, s, n)
		img := getImage(t, s, res.ImageID)
		if !sameTimePtr(img.Created, c.created) {
			t.Errorf("%s: image Created = %s, want %s", c.name, fmtTimePtr(img.Created), fmtTimePtr(c.created))
		}
		events := allEvents(t, s, res.ImageID, 0)
		if len(events) != 1 || !sameTimePtr(events[0].Created, c.created) {
			t.Errorf("%s: event Created differs: %+v", c.name, events)
		}
	}
	// Nanoseconds (Diun sends RFC 3339 with up to 9 digits) survive to at least the microsecond.
	nano := time.Date(2026, 6, 27, 13, 20, 19, 987654321, time.UTC)
	n := note("host-a", "docker.io/acme/created-nanos:1", 9, at(time.Minute))
	n.Created = &nano
	img := getImage(t, s, record(t, s, n).ImageID)
	if img.Created == nil || img.Created.Sub(nano).Abs() >= time.Microsecond {
		t.Errorf("Created = %s, want %s to the microsecond", fmtTimePtr(img.Created), nano)
	}
}

func testRecordReceivedAtDefault(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	n := note("host-a", "docker.io/acme/now:1", 1, time.Time{})
	res := record(t, s, n)
	after := time.Now().Add(time.Second)
	img := getImage(t, s, res.ImageID)
	if img.LastSeen.Before(before) || img.LastSeen.After(after) {
		t.Errorf("LastSeen = %s, want the time of the call (between %s and %s)", img.LastSeen, before, after)
	}
	events := allEvents(t, s, res.ImageID, 0)
	if len(events) != 1 || !events[0].ReceivedAt.Equal(img.LastSeen) {
		t.Errorf("event ReceivedAt differs from LastSeen %s: %+v", img.LastSeen, events)
	}
}

func testRecordUnicodeAndLong(t *testing.T, s store.Store) {
	long := "registry.example.com:5000/" + strings.Repeat("a", 1000-len("registry.example.com:5000/")-len(":1.0")) + ":1.0"
	if len(long) != 1000 {
		t.Fatalf("test bug: long reference is %d bytes", len(long))
	}
	longest := "r.example/" + strings.Repeat("b", store.MaxImageLen-len("r.example/"))
	refs := []struct{ host, image string }{
		{"hôte-ünïcødé", "registry.example/ünïcödé/app:1.0-β"},
		{"host-a", "registry.example/日本語/イメージ:最新"},
		{"host-a", "registry.example/emoji/🐳:🚀"},
		{"host-a", long},
		{"host-a", longest},
	}
	for i, r := range refs {
		n := note(r.host, r.image, i, at(time.Duration(i)*time.Second))
		res := record(t, s, n)
		img := getImage(t, s, res.ImageID)
		checkImageFields(t, img, n)
		events := allEvents(t, s, res.ImageID, 0)
		if len(events) != 1 {
			t.Fatalf("%q: %d events, want 1", truncate(r.image), len(events))
		}
		checkEventFields(t, events[0], n)
		// Recording it again finds the same row: the key compares equal byte for byte.
		if again := record(t, s, note(r.host, r.image, i, at(time.Hour))); again.ImageID != res.ImageID {
			t.Errorf("%q recorded again got image %d, want %d", truncate(r.image), again.ImageID, res.ImageID)
		}
	}
	all := listAll(t, s, store.ImageFilter{}, store.SortImage, 2)
	if len(all) != len(refs) {
		t.Errorf("ListImages has %d rows, want %d", len(all), len(refs))
	}
	if got := listAll(t, s, store.ImageFilter{Query: "ünïcödé"}, store.SortLastSeen, 0); len(got) != 1 || got[0].Image != refs[0].image {
		t.Errorf("Query ünïcödé found %v", imageKeys(got))
	}
	if got := listAll(t, s, store.ImageFilter{Hostname: "hôte-ünïcødé"}, store.SortHost, 0); len(got) != 1 {
		t.Errorf("Hostname filter on a unicode host found %v", imageKeys(got))
	}
	if got := listAll(t, s, store.ImageFilter{Query: strings.Repeat("a", 900)}, store.SortImage, 0); len(got) != 1 || got[0].Image != long {
		t.Errorf("Query on a long substring found %d rows, want the 1000-byte reference", len(got))
	}
}

func testRecordInvalid(t *testing.T, s store.Store) {
	valid := func() store.Notification { return note("host-a", "docker.io/library/nginx:1", 1, at(0)) }
	cases := []struct {
		name   string
		mutate func(n *store.Notification)
	}{
		{"empty image", func(n *store.Notification) { n.Image = "" }},
		{"blank image", func(n *store.Notification) { n.Image = "   " }},
		{"empty digest", func(n *store.Notification) { n.Digest = "" }},
		{"digest without algorithm", func(n *store.Notification) {
			n.Digest = "216e3ae7de4ca8b553eb11ef7abda00651e79e537e85c46108284e5e91673e01"
		}},
		{"digest without hex", func(n *store.Notification) { n.Digest = "sha256:" }},
		{"digest with empty algorithm", func(n *store.Notification) { n.Digest = ":abc123" }},
		{"digest with a space", func(n *store.Notification) { n.Digest = "sha256:abc 123" }},
		{"digest with bad characters", func(n *store.Notification) { n.Digest = "sha256:abc/123" }},
		{"digest is prose", func(n *store.Notification) { n.Digest = "latest" }},
		{"image too long", func(n *store.Notification) {
			n.Image = "r.example/" + strings.Repeat("x", store.MaxImageLen)
		}},
		{"NUL in image", func(n *store.Notification) { n.Image = "docker.io/library/nginx\x00:1" }},
		{"NUL in hostname", func(n *store.Notification) { n.Hostname = "host\x00a" }},
		{"NUL in status", func(n *store.Notification) { n.Status = "up\x00date" }},
		{"NUL in metadata", func(n *store.Notification) { n.Metadata = map[string]string{"k": "v\x00"} }},
		{"invalid UTF-8 in image", func(n *store.Notification) { n.Image = "docker.io/library/ng\xffinx:1" }},
		{"invalid UTF-8 in hostname", func(n *store.Notification) { n.Hostname = "h\xc3\x28" }},
		{"invalid UTF-8 in provider", func(n *store.Notification) { n.Provider = "dock\xe2\x82er" }},
		{"invalid UTF-8 in metadata key", func(n *store.Notification) { n.Metadata = map[string]string{"\xff": "v"} }},
		{"invalid UTF-8 in metadata value", func(n *store.Notification) { n.Metadata = map[string]string{"k": "\xfe"} }},
		{"test image without digest", func(n *store.Notification) { n.Image = store.TestImage; n.Digest = "" }},
		{"test image with NUL in hostname", func(n *store.Notification) { n.Image = store.TestImage; n.Hostname = "\x00" }},
	}
	for _, c := range cases {
		n := valid()
		c.mutate(&n)
		res, err := s.Record(ctx(t), n)
		if err == nil {
			t.Errorf("%s: Record accepted it: %+v", c.name, res)
			continue
		}
		wantErr(t, c.name, err, store.ErrInvalid)
	}

	// Nothing of any of them was stored.
	if all := listAll(t, s, store.ImageFilter{}, store.SortLastSeen, 0); len(all) != 0 {
		t.Errorf("invalid notifications created rows: %v", imageKeys(all))
	}
	if n := countAllEvents(t, s); n != 0 {
		t.Errorf("invalid notifications created %d events", n)
	}
	if checks, err := s.ListChecks(ctx(t), 10); err != nil || len(checks) != 0 {
		t.Errorf("ListChecks = %d checks, %v; want none", len(checks), err)
	}
	if sum, err := s.Summary(ctx(t)); err != nil || sum.LastNotification != nil {
		t.Errorf("Summary.LastNotification = %s, %v; want nil", fmtTimePtr(sum.LastNotification), err)
	}

	// The store still works, and the longest accepted image is exactly MaxImageLen bytes.
	n := valid()
	n.Image = "r.example/" + strings.Repeat("x", store.MaxImageLen-len("r.example/"))
	record(t, s, n)
}

func testRecordRawBodyCapped(t *testing.T, s store.Store) {
	// Over the cap: the first MaxRawBody bytes are kept.
	body := bytes.Repeat([]byte(`{"k":"0123456789abcdef"}`), store.MaxRawBody/16)
	n := note("host-a", "docker.io/acme/big:1", 1, at(0))
	n.RawBody = body
	res := record(t, s, n)
	events := allEvents(t, s, res.ImageID, 0)
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	if got := events[0].RawBody; len(got) != store.MaxRawBody || got != string(body[:store.MaxRawBody]) {
		t.Errorf("RawBody is %d bytes, want the first %d bytes of the %d-byte body", len(got), store.MaxRawBody, len(body))
	}

	// Exactly the cap: kept whole.
	exact := bytes.Repeat([]byte("x"), store.MaxRawBody)
	n = note("host-a", "docker.io/acme/exact:1", 2, at(time.Second))
	n.RawBody = exact
	events = allEvents(t, s, record(t, s, n).ImageID, 0)
	if len(events) != 1 || events[0].RawBody != string(exact) {
		t.Errorf("a body of exactly MaxRawBody bytes was not kept whole")
	}

	// A multi-byte character across the cap: the store keeps at most MaxRawBody bytes, and
	// what it keeps is text (valid UTF-8), so that both databases accept it.
	straddle := append(bytes.Repeat([]byte("y"), store.MaxRawBody-1), []byte("€ and more")...)
	n = note("host-a", "docker.io/acme/straddle:1", 3, at(2*time.Second))
	n.RawBody = straddle
	res, err := s.Record(ctx(t), n)
	if err != nil {
		t.Fatalf("Record with a multi-byte character across MaxRawBody: %v", err)
	}
	events = allEvents(t, s, res.ImageID, 0)
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	got := events[0].RawBody
	if len(got) > store.MaxRawBody || len(got) < store.MaxRawBody-utf8.UTFMax || !utf8.ValidString(got) ||
		!strings.HasPrefix(string(straddle), strings.TrimRight(got, "\uFFFD")) {
		t.Errorf("RawBody is %d bytes (valid UTF-8: %t, ends %q); want a valid prefix of at most %d bytes",
			len(got), utf8.ValidString(got), got[max(0, len(got)-8):], store.MaxRawBody)
	}

	// Empty body: stored empty.
	n = note("host-a", "docker.io/acme/empty:1", 4, at(3*time.Second))
	n.RawBody = nil
	events = allEvents(t, s, record(t, s, n).ImageID, 0)
	if len(events) != 1 || events[0].RawBody != "" {
		t.Errorf("an empty body came back as %q", events[0].RawBody)
	}
}

// testRecordRawBodyNotUTF8: JSON decoders accept invalid UTF-8 inside strings (Go's replaces
// it), so a notification whose fields are valid can arrive in a body that is not. The
// notification must not be lost over its raw copy.
func testRecordRawBodyNotUTF8(t *testing.T, s store.Store) {
	n := note("host-a", "docker.io/acme/latin1:1", 1, at(0))
	n.RawBody = []byte("{\"hostname\":\"h\xe9te\",\"image\":\"docker.io/acme/latin1:1\"}")
	res, err := s.Record(ctx(t), n)
	if err != nil {
		t.Fatalf("Record with a raw body that is not UTF-8: %v", err)
	}
	events := allEvents(t, s, res.ImageID, 0)
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	got := events[0].RawBody
	if !utf8.ValidString(got) || !strings.HasPrefix(got, `{"hostname":"h`) || !strings.HasSuffix(got, `"image":"docker.io/acme/latin1:1"}`) {
		t.Errorf("RawBody = %q, want the body with its invalid bytes replaced", got)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
