package storetest

import (
	"slices"
	"testing"
	"time"

	"diundashboard/server/store"
)

func imageTests() []test {
	return []test{
		{"GetImageNotFound", testGetImageNotFound},
		{"ListEventsNewestFirst", testListEvents},
		{"ListEventsDefaultLimit", testListEventsDefaultLimit},
		{"ListEventsErrors", testListEventsErrors},
		{"ListChecks", testListChecks},
		{"DeleteImage", testDeleteImage},
		{"IDsNeverReused", testIDsNeverReused},
	}
}

// testIDsNeverReused: an id is never given to a second row, even after the newest row was
// deleted: a bookmarked /images/{id}, an API client's tag or token id, or an event cursor
// would otherwise reach another row than the one it was made for.
func testIDsNeverReused(t *testing.T, s store.Store) {
	a := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	b := record(t, s, note("host", "docker.io/library/redis:7", 1, at(time.Second)))
	// b is the newest image and has the newest event: deleting it frees the largest ids.
	if n, err := s.DeleteImages(ctx(t), []int64{b.ImageID}); err != nil || n != 1 {
		t.Fatalf("DeleteImages = %d, %v", n, err)
	}
	c := record(t, s, note("host", "docker.io/library/postgres:17", 1, at(2*time.Second)))
	if c.ImageID <= b.ImageID || c.ImageID <= a.ImageID {
		t.Errorf("a new image got id %d after image %d was deleted: ids %d and %d were used before", c.ImageID, b.ImageID, a.ImageID, b.ImageID)
	}
	if c.EventID <= b.EventID {
		t.Errorf("a new event got id %d after event %d was deleted with its image", c.EventID, b.EventID)
	}

	t1, t2 := createTag(t, s, "one"), createTag(t, s, "two")
	if err := s.DeleteTag(ctx(t), t2.ID); err != nil {
		t.Fatal(err)
	}
	if t3 := createTag(t, s, "three"); t3.ID <= t2.ID || t3.ID <= t1.ID {
		t.Errorf("a new tag got id %d after tag %d was deleted", t3.ID, t2.ID)
	}

	k1, err := s.CreateAPIToken(ctx(t), "one", hashOf("token-1"), "dd_1", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := s.CreateAPIToken(ctx(t), "two", hashOf("token-2"), "dd_2", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIToken(ctx(t), k2.ID); err != nil {
		t.Fatal(err)
	}
	k3, err := s.CreateAPIToken(ctx(t), "three", hashOf("token-3"), "dd_3", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	if k3.ID <= k2.ID || k3.ID <= k1.ID {
		t.Errorf("a new API token got id %d after token %d was revoked: revoking by a stale id would hit it", k3.ID, k2.ID)
	}
}

func testGetImageNotFound(t *testing.T, s store.Store) {
	res := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	for _, id := range []int64{res.ImageID + 1, res.ImageID + 1000, 0, -1} {
		_, err := s.GetImage(ctx(t), id)
		wantErr(t, "GetImage of an unknown id", err, store.ErrNotFound)
	}
}

func testListEvents(t *testing.T, s store.Store) {
	var a, b []store.RecordResult
	var notesA []store.Notification
	for i := range 5 {
		n := note("host", "docker.io/library/nginx:1", i%2, at(time.Duration(i)*time.Minute))
		n.DiunVersion = "v4.3" + string(rune('0'+i)) + ".0"
		notesA = append(notesA, n)
		a = append(a, record(t, s, n))
		if i%2 == 0 {
			b = append(b, record(t, s, note("host", "docker.io/library/redis:7", i, at(time.Duration(i)*time.Minute+time.Second))))
		}
	}
	record(t, s, checkNote(at(time.Hour)))

	imageID := a[0].ImageID
	var want []int64
	for i := len(a) - 1; i >= 0; i-- {
		want = append(want, a[i].EventID)
	}
	for _, limit := range []int{0, 1, 2, 5, 6, 500} {
		got := allEvents(t, s, imageID, limit)
		if !slices.Equal(eventIDs(got), want) {
			t.Errorf("limit %d: ListEvents = %v, want %v", limit, eventIDs(got), want)
		}
		for i, e := range got {
			checkEventFields(t, e, notesA[len(notesA)-1-i])
			if e.ImageID != imageID {
				t.Errorf("event %d: ImageID %d, want %d", e.ID, e.ImageID, imageID)
			}
		}
	}
	// Page boundaries: 5 events, limit 2 → 2, 2, 1 and no cursor after the last.
	p1, err := s.ListEvents(ctx(t), imageID, store.PageRequest{Limit: 2})
	if err != nil || len(p1.Events) != 2 || p1.NextCursor == "" {
		t.Fatalf("page 1: %d events, next %q, %v", len(p1.Events), p1.NextCursor, err)
	}
	p2, err := s.ListEvents(ctx(t), imageID, store.PageRequest{Limit: 2, Cursor: p1.NextCursor})
	if err != nil || len(p2.Events) != 2 || p2.NextCursor == "" {
		t.Fatalf("page 2: %d events, next %q, %v", len(p2.Events), p2.NextCursor, err)
	}
	p3, err := s.ListEvents(ctx(t), imageID, store.PageRequest{Limit: 2, Cursor: p2.NextCursor})
	if err != nil || len(p3.Events) != 1 || p3.NextCursor != "" {
		t.Fatalf("page 3: %d events, next %q, %v", len(p3.Events), p3.NextCursor, err)
	}
	// Exactly one full page: no cursor.
	if p, err := s.ListEvents(ctx(t), imageID, store.PageRequest{Limit: 5}); err != nil || len(p.Events) != 5 || p.NextCursor != "" {
		t.Errorf("limit 5 of 5: %d events, next %q, %v", len(p.Events), p.NextCursor, err)
	}

	gotB := eventIDs(allEvents(t, s, b[0].ImageID, 0))
	wantB := []int64{b[2].EventID, b[1].EventID, b[0].EventID}
	if !slices.Equal(gotB, wantB) {
		t.Errorf("the other image's events: %v, want %v", gotB, wantB)
	}
}

func testListEventsDefaultLimit(t *testing.T, s store.Store) {
	const n = store.DefaultPageSize + 3
	var id int64
	for i := range n {
		id = record(t, s, note("host", "docker.io/library/nginx:1", i, at(time.Duration(i)*time.Second))).ImageID
	}
	for _, limit := range []int{0, -3} {
		p, err := s.ListEvents(ctx(t), id, store.PageRequest{Limit: limit})
		if err != nil || len(p.Events) != store.DefaultPageSize || p.NextCursor == "" {
			t.Errorf("limit %d: %d events, next %q, %v; want the default %d and a cursor", limit, len(p.Events), p.NextCursor, err, store.DefaultPageSize)
		}
	}
	p, err := s.ListEvents(ctx(t), id, store.PageRequest{Limit: store.MaxPageSize + 100})
	if err != nil || len(p.Events) != n || p.NextCursor != "" {
		t.Errorf("limit over MaxPageSize: %d events, next %q, %v; want all %d", len(p.Events), p.NextCursor, err, n)
	}
	if got := allEvents(t, s, id, 0); len(got) != n {
		t.Errorf("walking with the default limit: %d events, want %d", len(got), n)
	}
}

func testListEventsErrors(t *testing.T, s store.Store) {
	res := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	record(t, s, note("host", "docker.io/library/nginx:2", 2, at(time.Second)))
	for _, id := range []int64{res.ImageID + 100, 0, -5} {
		_, err := s.ListEvents(ctx(t), id, store.PageRequest{})
		wantErr(t, "ListEvents of an unknown image", err, store.ErrNotFound)
	}
	images, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Limit: 1})
	if err != nil || images.NextCursor == "" {
		t.Fatalf("ListImages: %v", err)
	}
	for name, cur := range map[string]string{
		"garbage":         "%%%",
		"base64 of text":  "aGVsbG8",
		"an image cursor": images.NextCursor,
	} {
		_, err := s.ListEvents(ctx(t), res.ImageID, store.PageRequest{Cursor: cur})
		wantErr(t, "ListEvents with "+name, err, store.ErrInvalidCursor)
	}
}

func testListChecks(t *testing.T, s store.Store) {
	var checks []int64
	for i := range 4 {
		checks = append(checks, record(t, s, checkNote(at(time.Duration(i)*time.Minute))).EventID)
		record(t, s, note("host", "docker.io/library/nginx:1", i, at(time.Duration(i)*time.Minute+time.Second)))
	}
	slices.Reverse(checks)

	got, err := s.ListChecks(ctx(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(eventIDs(got), checks) {
		t.Errorf("ListChecks(10) = %v, want %v (newest first, checks only)", eventIDs(got), checks)
	}
	for _, e := range got {
		if e.ImageID != 0 || e.Image != store.TestImage {
			t.Errorf("check %d: ImageID %d image %s", e.ID, e.ImageID, e.Image)
		}
	}
	got, err = s.ListChecks(ctx(t), 2)
	if err != nil || !slices.Equal(eventIDs(got), checks[:2]) {
		t.Errorf("ListChecks(2) = %v, %v; want %v", eventIDs(got), err, checks[:2])
	}
	got, err = s.ListChecks(ctx(t), 0)
	if err != nil || !slices.Equal(eventIDs(got), checks) {
		t.Errorf("ListChecks(0) = %v, %v; want all %v", eventIDs(got), err, checks)
	}
}

func testDeleteImage(t *testing.T, s store.Store) {
	a := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	record(t, s, note("host", "docker.io/library/nginx:1", 2, at(time.Minute)))
	record(t, s, note("host", "docker.io/library/nginx:1", 3, at(2*time.Minute)))
	b := record(t, s, note("host", "docker.io/library/redis:7", 1, at(time.Second)))
	record(t, s, checkNote(at(3*time.Minute)))
	tag := createTag(t, s, "web")
	attach(t, s, a.ImageID, tag.ID)
	attach(t, s, b.ImageID, tag.ID)

	if n, err := s.DeleteImages(ctx(t), []int64{a.ImageID}); err != nil || n != 1 {
		t.Fatalf("DeleteImages = %d, %v; want 1", n, err)
	}
	_, err := s.GetImage(ctx(t), a.ImageID)
	wantErr(t, "GetImage after DeleteImage", err, store.ErrNotFound)
	_, err = s.ListEvents(ctx(t), a.ImageID, store.PageRequest{})
	wantErr(t, "ListEvents after DeleteImage", err, store.ErrNotFound)
	if n := countAllEvents(t, s); n != 2 {
		t.Errorf("%d events left, want 2 (the other image's and the check): DeleteImage must remove the image's events", n)
	}
	if got := allEvents(t, s, b.ImageID, 0); len(got) != 1 {
		t.Errorf("the other image has %d events, want 1", len(got))
	}
	if checks, err := s.ListChecks(ctx(t), 10); err != nil || len(checks) != 1 {
		t.Errorf("checks: %d, %v; want 1", len(checks), err)
	}
	tags, err := s.ListTags(ctx(t))
	if err != nil || len(tags) != 1 || tags[0].Images != 1 {
		t.Errorf("ListTags after DeleteImage = %+v, %v; want web on 1 image", tags, err)
	}
	if got := listAll(t, s, store.ImageFilter{Tag: "web"}, store.SortImage, 0); !slices.Equal(ids(got), []int64{b.ImageID}) {
		t.Errorf("images tagged web: %v, want [%d]", ids(got), b.ImageID)
	}
	if got, err := s.UntagImages(ctx(t), []int64{a.ImageID}, tag.ID); err != nil || len(got) != 0 {
		t.Errorf("UntagImages of a deleted image = %v, %v; want none", got, err)
	}

	if n, err := s.DeleteImages(ctx(t), []int64{a.ImageID}); err != nil || n != 0 {
		t.Errorf("DeleteImages twice = %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteImages(ctx(t), []int64{b.ImageID + 1000, -1, 0}); err != nil || n != 0 {
		t.Errorf("DeleteImages of unknown ids = %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteImages(ctx(t), nil); err != nil || n != 0 {
		t.Errorf("DeleteImages of none = %d, %v; want 0", n, err)
	}

	// Diun reporting the image again starts a new history.
	again := record(t, s, note("host", "docker.io/library/nginx:1", 3, at(time.Hour)))
	if again.ImageID == a.ImageID || again.State != store.StateOpen {
		t.Errorf("recorded again after delete: %+v, want a new open image", again)
	}
	img := getImage(t, s, again.ImageID)
	if img.Notifications != 1 || !img.FirstSeen.Equal(at(time.Hour)) || len(img.Tags) != 0 {
		t.Errorf("recorded again: notifications %d first seen %s tags %v; want 1, %s, none", img.Notifications, img.FirstSeen, img.Tags, at(time.Hour))
	}
}
