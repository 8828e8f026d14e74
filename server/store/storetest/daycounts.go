package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

// The chart's daily counts (CountEventsPerDay) are kept as events are recorded and deleted,
// not counted on each read: these tests change the events every way the store can and check
// that the counts always equal the events stored.
func dayCountTests() []test {
	return []test{
		{"Record", testDayCountsRecord},
		{"RecordConcurrently", testDayCountsConcurrent},
		{"DeleteImage", testDayCountsDeleteImage},
		{"Prune", testDayCountsPrune},
	}
}

// countDay is midnight UTC of a day the tests put events on.
var countDay = time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC)

// wantDays checks CountEventsPerDay from countDay on against want, day offset → events.
func wantDays(t *testing.T, s store.Store, want map[int]int64) {
	t.Helper()
	got, err := s.CountEventsPerDay(ctx(t), countDay)
	if err != nil {
		t.Fatalf("CountEventsPerDay: %v", err)
	}
	gotMap := map[int]int64{}
	for _, d := range got {
		gotMap[int(d.Day.Sub(countDay)/(24*time.Hour))] = d.Events
	}
	if fmt.Sprint(gotMap) != fmt.Sprint(want) {
		t.Errorf("CountEventsPerDay (day offset: events) = %v, want %v", gotMap, want)
	}
}

func testDayCountsRecord(t *testing.T, s store.Store) {
	for i := range 5 {
		record(t, s, note("h1", "docker.io/library/a:1", i, countDay.Add(time.Duration(i)*time.Hour)))
	}
	record(t, s, note("h2", "docker.io/library/a:1", 1, countDay.Add(36*time.Hour)))
	record(t, s, checkNote(countDay.Add(37*time.Hour)))
	record(t, s, checkNote(countDay.Add(72*time.Hour)))
	wantDays(t, s, map[int]int64{0: 5, 1: 1})
}

// testDayCountsConcurrent records from many goroutines on one day: no count may be lost when
// transactions update the same day at once.
func testDayCountsConcurrent(t *testing.T, s store.Store) {
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := note(fmt.Sprintf("h%d", w), fmt.Sprintf("docker.io/library/app%d:1", i), i, countDay.Add(time.Duration(w*each+i)*time.Second))
				if _, err := s.Record(ctx(t), n); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Record: %v", err)
	}
	wantDays(t, s, map[int]int64{0: workers * each})
}

func testDayCountsDeleteImage(t *testing.T, s store.Store) {
	a := record(t, s, note("h", "docker.io/library/a:1", 1, countDay.Add(time.Hour)))
	record(t, s, note("h", "docker.io/library/a:1", 2, countDay.Add(2*time.Hour)))
	record(t, s, note("h", "docker.io/library/a:1", 3, countDay.Add(26*time.Hour)))
	record(t, s, note("h", "docker.io/library/b:1", 1, countDay.Add(3*time.Hour)))
	record(t, s, note("h", "docker.io/library/b:1", 2, countDay.Add(4*time.Hour)))
	wantDays(t, s, map[int]int64{0: 4, 1: 1})
	if n, err := s.DeleteImages(ctx(t), []int64{a.ImageID}); err != nil || n != 1 {
		t.Fatalf("DeleteImages = %d, %v", n, err)
	}
	// The deleted image's events went with it, and so did their counts.
	wantDays(t, s, map[int]int64{0: 2})
}

func testDayCountsPrune(t *testing.T, s store.Store) {
	record(t, s, note("h", "docker.io/library/a:1", 1, countDay.Add(time.Hour)))
	record(t, s, note("h", "docker.io/library/b:1", 1, countDay.Add(2*time.Hour)))
	record(t, s, note("h", "docker.io/library/a:1", 2, countDay.Add(25*time.Hour)))
	record(t, s, note("h", "docker.io/library/b:1", 2, countDay.Add(47*time.Hour)))
	record(t, s, note("h", "docker.io/library/a:1", 3, countDay.Add(50*time.Hour)))
	record(t, s, checkNote(countDay.Add(3*time.Hour)))
	wantDays(t, s, map[int]int64{0: 2, 1: 2, 2: 1})
	// A cutoff in the middle of day 1 leaves that day's later event counted.
	n, err := s.PruneEvents(ctx(t), countDay.Add(36*time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("PruneEvents = %d, %v; want 4 (3 updates and a check)", n, err)
	}
	wantDays(t, s, map[int]int64{1: 1, 2: 1})
	record(t, s, note("h", "docker.io/library/a:1", 4, countDay.Add(30*time.Minute)))
	wantDays(t, s, map[int]int64{0: 1, 1: 1, 2: 1})
}

// imageCountTests: the summary's counts per host and state are kept as images come, change
// state and go (image_counts), not counted on each read.
func imageCountTests() []test {
	return []test{
		{"RecordTriageDelete", testImageCounts},
		{"Tags", testTagCounts},
	}
}

// wantCounts checks Summary's counts against want, "host/state" → images.
func wantCounts(t *testing.T, s store.Store, want map[string]int64) {
	t.Helper()
	sum, err := s.Summary(ctx(t))
	if err != nil {
		t.Fatalf("Summary: %v", err)
	}
	got := map[string]int64{}
	for _, c := range sum.Counts {
		got[c.Hostname+"/"+string(c.State)] = c.Images
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Summary counts = %v, want %v", got, want)
	}
}

func testImageCounts(t *testing.T, s store.Store) {
	var ids []int64
	for i := range 4 {
		ids = append(ids, record(t, s, note("h1", fmt.Sprintf("docker.io/library/a%d:1", i), i, countDay)).ImageID)
	}
	b := record(t, s, note("h2", "docker.io/library/b:1", 1, countDay)).ImageID
	record(t, s, checkNote(countDay))
	// A second notification about the same image, same digest, changes no count.
	record(t, s, note("h2", "docker.io/library/b:1", 1, countDay.Add(time.Hour)))
	wantCounts(t, s, map[string]int64{"h1/open": 4, "h2/open": 1})

	// A bulk action over two hosts, then one image alone.
	if _, err := s.SetStates(ctx(t), []int64{ids[0], ids[1], b}, store.Transition{State: store.StateAcknowledged}, "test"); err != nil {
		t.Fatal(err)
	}
	setState(t, s, ids[2], store.StateIgnored, nil)
	wantCounts(t, s, map[string]int64{"h1/open": 1, "h1/acknowledged": 2, "h1/ignored": 1, "h2/acknowledged": 1})

	// A newer digest reopens an acknowledged image.
	record(t, s, note("h2", "docker.io/library/b:1", 2, countDay.Add(2*time.Hour)))
	wantCounts(t, s, map[string]int64{"h1/open": 1, "h1/acknowledged": 2, "h1/ignored": 1, "h2/open": 1})

	// Deleted images leave their counts; a host with none left is gone from the summary.
	if _, err := s.DeleteImages(ctx(t), []int64{ids[0], b}); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, map[string]int64{"h1/open": 1, "h1/acknowledged": 1, "h1/ignored": 1})
}

// testTagCounts: ListTags' image counts are kept as tags are put on and taken off, and as
// images and tags are deleted.
func testTagCounts(t *testing.T, s store.Store) {
	var ids []int64
	for i := range 4 {
		ids = append(ids, record(t, s, note("h", fmt.Sprintf("docker.io/library/t%d:1", i), i, countDay)).ImageID)
	}
	red, blue := createTag(t, s, "red"), createTag(t, s, "blue")
	if _, err := s.TagImages(ctx(t), ids, red.ID); err != nil {
		t.Fatal(err)
	}
	// Tagging again what already carries the tag counts nothing twice.
	if _, err := s.TagImages(ctx(t), ids[:2], red.ID); err != nil {
		t.Fatal(err)
	}
	attach(t, s, ids[0], blue.ID)
	wantTags := func(want map[string]int64) {
		t.Helper()
		tags, err := s.ListTags(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, tg := range tags {
			got[tg.Name] = tg.Images
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ListTags counts = %v, want %v", got, want)
		}
	}
	wantTags(map[string]int64{"red": 4, "blue": 1})
	if _, err := s.UntagImages(ctx(t), ids[1:2], red.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteImages(ctx(t), ids[:1]); err != nil {
		t.Fatal(err)
	}
	wantTags(map[string]int64{"red": 2, "blue": 0})
	if err := s.DeleteTag(ctx(t), red.ID); err != nil {
		t.Fatal(err)
	}
	wantTags(map[string]int64{"blue": 0})
	// A new tag starts at 0, and counts from there.
	green := createTag(t, s, "green")
	attach(t, s, ids[3], green.ID)
	wantTags(map[string]int64{"blue": 0, "green": 1})
}
