// Package storetest is the conformance suite that every store.Store implementation must pass,
// in the manner of dexidp/dex's storage/conformance and riverqueue/river's riverdrivertest:
// one set of tests, written against the interface, run by one small runner per database.
//
// A runner looks like this:
//
//	func TestSQLite(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			// a fresh, migrated, empty store, closed in t.Cleanup
//		})
//	}
//
// The tests only use the Store interface and the documented contract (the doc comments in
// store.go). Each subtest gets a store of its own from newStore, so they never see one
// another's rows; they run one after the other, so a runner may reuse one database and empty it
// in newStore.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

// Run runs every conformance test against stores made by newStore. newStore must return a
// fresh, migrated, empty store and close it when the (sub)test it was given ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Record", recordTests()},
		{"Concurrency", concurrencyTests()},
		{"ListImages", listTests()},
		{"Search", searchTests()},
		{"Pagination", paginationTests()},
		{"Images", imageTests()},
		{"Triage", triageTests()},
		{"Tags", tagTests()},
		{"Summary", summaryTests()},
		{"DayCounts", dayCountTests()},
		{"ImageCounts", imageCountTests()},
		{"CountImagesMatching", countMatchingTests()},
		{"Prune", pruneTests()},
		{"Settings", settingTests()},
		{"Auth", authTests()},
		{"Notify", notifyTests()},
		{"Source", sourceTests()},
		{"OpenMarks", openMarkTests()},
		{"Lifecycle", lifecycleTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					s := newStore(t)
					if s == nil {
						t.Fatal("newStore returned nil")
					}
					tc.run(t, s)
				})
			}
		})
	}
}

type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// base is the suite's reference time: whole microseconds, UTC, close to the real clock so
// that the times the store takes from its own clock (StateChangedAt) are near the ones the
// tests give.
var base = time.Now().UTC().Truncate(time.Second).Add(-24 * time.Hour)

// at returns base shifted by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// far is later than anything the suite stores.
var far = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

// digest returns a valid sha256 digest that differs for every n.
func digest(n int) string { return fmt.Sprintf("sha256:%064x", n) }

// note returns a realistic docker-provider notification.
func note(host, image string, dig int, received time.Time) store.Notification {
	created := time.Date(2026, 5, 28, 20, 26, 40, 123456000, time.UTC)
	return store.Notification{
		DiunVersion: "v4.33.0",
		Hostname:    host,
		Status:      "update",
		Provider:    "docker",
		Image:       image,
		HubLink:     "https://hub.docker.com/_/nginx",
		MimeType:    "application/vnd.oci.image.index.v1+json",
		Digest:      digest(dig),
		Created:     &created,
		Platform:    "linux/amd64",
		Metadata:    map[string]string{"ctn_names": "web-1", "ctn_state": "running"},
		RawBody:     []byte(fmt.Sprintf(`{"hostname":%q,"image":%q,"digest":%q}`, host, image, digest(dig))),
		ReceivedAt:  received,
	}
}

// checkNote is Diun's test notification (`diun notif test`).
func checkNote(received time.Time) store.Notification {
	n := note("vm", store.TestImage, 0xdeadbeef, received)
	n.Status = "new"
	n.Provider = "file"
	n.Metadata = nil
	return n
}

func record(t *testing.T, s store.Store, n store.Notification) store.RecordResult {
	t.Helper()
	res, err := s.Record(ctx(t), n)
	if err != nil {
		t.Fatalf("Record(%s %s %s): %v", n.Hostname, n.Image, n.Digest, err)
	}
	return res
}

func getImage(t *testing.T, s store.Store, id int64) store.Image {
	t.Helper()
	img, err := s.GetImage(ctx(t), id)
	if err != nil {
		t.Fatalf("GetImage(%d): %v", id, err)
	}
	return img
}

func setState(t *testing.T, s store.Store, id int64, state store.State, until *time.Time) store.Image {
	t.Helper()
	if _, err := s.SetStates(ctx(t), []int64{id}, store.Transition{State: state, SnoozedUntil: until}, "tester"); err != nil {
		t.Fatalf("SetStates(%d, %s): %v", id, state, err)
	}
	return getImage(t, s, id)
}

func createTag(t *testing.T, s store.Store, name string) store.Tag {
	t.Helper()
	tag, err := s.CreateTag(ctx(t), name)
	if err != nil {
		t.Fatalf("CreateTag(%q): %v", name, err)
	}
	return tag
}

func attach(t *testing.T, s store.Store, imageID, tagID int64) {
	t.Helper()
	if _, err := s.TagImages(ctx(t), []int64{imageID}, tagID); err != nil {
		t.Fatalf("TagImages(%d, %d): %v", imageID, tagID, err)
	}
}

// listAll walks every page of ListImages and checks the page invariants on the way.
func listAll(t *testing.T, s store.Store, f store.ImageFilter, sort store.Sort, limit int) []store.Image {
	t.Helper()
	var all []store.Image
	cursor := ""
	for page := 1; ; page++ {
		p, err := s.ListImages(ctx(t), f, sort, store.PageRequest{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatalf("ListImages(%+v, %s, page %d, limit %d): %v", f, sort, page, limit, err)
		}
		if limit > 0 && len(p.Images) > limit {
			t.Fatalf("ListImages page %d has %d images, more than the limit %d", page, len(p.Images), limit)
		}
		if p.NextCursor != "" && limit > 0 && len(p.Images) != limit {
			t.Fatalf("ListImages page %d has %d images and a next cursor; only full pages may have one", page, len(p.Images))
		}
		if page > 1 && len(p.Images) == 0 {
			t.Fatalf("ListImages page %d is empty: the previous page should have had no next cursor", page)
		}
		all = append(all, p.Images...)
		if p.NextCursor == "" {
			return all
		}
		if page > 10000 {
			t.Fatal("ListImages never ends")
		}
		cursor = p.NextCursor
	}
}

// allEvents walks every page of ListEvents.
func allEvents(t *testing.T, s store.Store, imageID int64, limit int) []store.Event {
	t.Helper()
	var all []store.Event
	cursor := ""
	for page := 1; ; page++ {
		p, err := s.ListEvents(ctx(t), imageID, store.PageRequest{Cursor: cursor, Limit: limit})
		if err != nil {
			t.Fatalf("ListEvents(%d, page %d): %v", imageID, page, err)
		}
		if limit > 0 && len(p.Events) > limit {
			t.Fatalf("ListEvents page %d has %d events, more than the limit %d", page, len(p.Events), limit)
		}
		if page > 1 && len(p.Events) == 0 {
			t.Fatalf("ListEvents page %d is empty: the previous page should have had no next cursor", page)
		}
		all = append(all, p.Events...)
		if p.NextCursor == "" {
			return all
		}
		if page > 100000 {
			t.Fatal("ListEvents never ends")
		}
		cursor = p.NextCursor
	}
}

func countAllEvents(t *testing.T, s store.Store) int64 {
	t.Helper()
	n, err := s.CountEventsBefore(ctx(t), far)
	if err != nil {
		t.Fatalf("CountEventsBefore: %v", err)
	}
	return n
}

func ids(images []store.Image) []int64 {
	out := make([]int64, len(images))
	for i, img := range images {
		out[i] = img.ID
	}
	return out
}

func eventIDs(events []store.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func tagNames(tags []store.Tag) []string {
	out := make([]string, len(tags))
	for i, tg := range tags {
		out[i] = tg.Name
	}
	slices.Sort(out)
	return out
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one wrapping %q", what, err, target)
	}
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func fmtTimePtr(p *time.Time) string {
	if p == nil {
		return "nil"
	}
	return p.Format(time.RFC3339Nano)
}

func ptr[T any](v T) *T { return &v }

// sameMetadata compares metadata, telling nil apart from an empty map.
func sameMetadata(a, b map[string]string) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkImageFields compares what a current row must hold after n was the newest notification.
func checkImageFields(t *testing.T, img store.Image, n store.Notification) {
	t.Helper()
	checks := []struct {
		field     string
		got, want string
	}{
		{"Hostname", img.Hostname, n.Hostname},
		{"Image", img.Image, n.Image},
		{"Digest", img.Digest, n.Digest},
		{"Status", img.Status, n.Status},
		{"Provider", img.Provider, n.Provider},
		{"HubLink", img.HubLink, n.HubLink},
		{"MimeType", img.MimeType, n.MimeType},
		{"Platform", img.Platform, n.Platform},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("image %d %s = %q, want %q", img.ID, c.field, truncate(c.got), truncate(c.want))
		}
	}
	if !sameTimePtr(img.Created, truncPtr(n.Created)) {
		t.Errorf("image %d Created = %s, want %s", img.ID, fmtTimePtr(img.Created), fmtTimePtr(n.Created))
	}
	if !sameMetadata(img.Metadata, n.Metadata) {
		t.Errorf("image %d Metadata = %#v, want %#v", img.ID, img.Metadata, n.Metadata)
	}
	if !n.ReceivedAt.IsZero() && !img.LastSeen.Equal(n.ReceivedAt) {
		t.Errorf("image %d LastSeen = %s, want the notification's ReceivedAt %s", img.ID, img.LastSeen, n.ReceivedAt)
	}
}

// checkEventFields compares a stored event with the notification it came from.
func checkEventFields(t *testing.T, e store.Event, n store.Notification) {
	t.Helper()
	checks := []struct {
		field     string
		got, want string
	}{
		{"DiunVersion", e.DiunVersion, n.DiunVersion},
		{"Hostname", e.Hostname, n.Hostname},
		{"Status", e.Status, n.Status},
		{"Provider", e.Provider, n.Provider},
		{"Image", e.Image, n.Image},
		{"HubLink", e.HubLink, n.HubLink},
		{"MimeType", e.MimeType, n.MimeType},
		{"Digest", e.Digest, n.Digest},
		{"Platform", e.Platform, n.Platform},
		{"RawBody", e.RawBody, string(n.RawBody)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("event %d %s = %q, want %q", e.ID, c.field, truncate(c.got), truncate(c.want))
		}
	}
	if !sameTimePtr(e.Created, truncPtr(n.Created)) {
		t.Errorf("event %d Created = %s, want %s", e.ID, fmtTimePtr(e.Created), fmtTimePtr(n.Created))
	}
	if !sameMetadata(e.Metadata, n.Metadata) {
		t.Errorf("event %d Metadata = %#v, want %#v", e.ID, e.Metadata, n.Metadata)
	}
	if !n.ReceivedAt.IsZero() && !e.ReceivedAt.Equal(n.ReceivedAt) {
		t.Errorf("event %d ReceivedAt = %s, want %s", e.ID, e.ReceivedAt, n.ReceivedAt)
	}
}

// truncPtr is the time both databases keep: microseconds.
func truncPtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := p.Truncate(time.Microsecond)
	return &v
}

func truncate(s string) string {
	if len(s) > 100 {
		return s[:100] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

// imageKey names a current row the way a person reads it.
func imageKey(img store.Image) string { return img.Hostname + " " + img.Image }

func imageKeys(images []store.Image) []string {
	out := make([]string, len(images))
	for i, img := range images {
		out[i] = imageKey(img)
	}
	return out
}

func joinKeys(keys []string) string { return "[" + strings.Join(keys, ", ") + "]" }
