package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

func concurrencyTests() []test {
	return []test{
		{"OverlappingRecords", testConcurrentRecords},
		{"SameNewImage", testConcurrentSameNewImage},
	}
}

// testConcurrentRecords: Diun's workers send concurrently, in any order, several digests of the
// same images. 50 goroutines × 10 notifications over 10 images on 2 hosts.
func testConcurrentRecords(t *testing.T, s store.Store) {
	const (
		goroutines = 50
		perG       = 10
		images     = 10
		digests    = 5
	)
	type key struct{ host, image string }
	keyOf := func(g, i int) (key, int) {
		img := (g + i) % images
		return key{fmt.Sprintf("host-%d", img%2), fmt.Sprintf("docker.io/acme/svc-%d:latest", img)}, img*100 + (g*perG+i)%digests
	}
	want := map[key]int64{}
	for g := range goroutines {
		for i := range perG {
			k, _ := keyOf(g, i)
			want[k]++
		}
	}

	var (
		mu       sync.Mutex
		eventIDs = map[int64]bool{}
		imageIDs = map[key]int64{}
		wg       sync.WaitGroup
	)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				k, dig := keyOf(g, i)
				n := note(k.host, k.image, dig, time.Time{}) // ReceivedAt from the store's clock
				res, err := s.Record(ctx(t), n)
				if err != nil {
					t.Errorf("goroutine %d, record %d: %v", g, i, err)
					return
				}
				mu.Lock()
				if eventIDs[res.EventID] {
					t.Errorf("event id %d returned twice", res.EventID)
				}
				eventIDs[res.EventID] = true
				if id, ok := imageIDs[k]; ok && id != res.ImageID {
					t.Errorf("%v got image ids %d and %d: want one current row", k, id, res.ImageID)
				}
				imageIDs[k] = res.ImageID
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	if len(eventIDs) != goroutines*perG {
		t.Errorf("%d distinct event ids, want %d", len(eventIDs), goroutines*perG)
	}
	all := listAll(t, s, store.ImageFilter{}, store.SortHost, 3)
	if len(all) != len(want) {
		t.Fatalf("ListImages has %d rows %v, want %d: one per (host, image)", len(all), imageKeys(all), len(want))
	}
	seen := map[key]bool{}
	var total int
	for _, img := range all {
		k := key{img.Hostname, img.Image}
		if seen[k] {
			t.Errorf("two current rows for %v", k)
		}
		seen[k] = true
		if img.ID != imageIDs[k] {
			t.Errorf("%v listed with id %d, Record said %d", k, img.ID, imageIDs[k])
		}
		if img.Notifications != want[k] {
			t.Errorf("%v: Notifications = %d, want %d", k, img.Notifications, want[k])
		}
		events := allEvents(t, s, img.ID, 7)
		if int64(len(events)) != want[k] {
			t.Errorf("%v: %d events, want %d", k, len(events), want[k])
		}
		for j, e := range events {
			if !eventIDs[e.ID] {
				t.Errorf("%v: event %d was not returned by any Record", k, e.ID)
			}
			if e.ImageID != img.ID || e.Image != img.Image || e.Hostname != img.Hostname {
				t.Errorf("%v: event %d belongs to %d %s %s", k, e.ID, e.ImageID, e.Hostname, e.Image)
			}
			if j > 0 && e.ID >= events[j-1].ID {
				t.Errorf("%v: events not newest first: %d after %d", k, e.ID, events[j-1].ID)
			}
		}
		total += len(events)
		// The current row holds the digest of the newest event.
		if len(events) > 0 && img.Digest != events[0].Digest {
			t.Errorf("%v: current digest %s, newest event's %s", k, img.Digest, events[0].Digest)
		}
	}
	if total != goroutines*perG {
		t.Errorf("ListEvents found %d events in all, want %d", total, goroutines*perG)
	}
	if n := countAllEvents(t, s); n != goroutines*perG {
		t.Errorf("CountEventsBefore(far future) = %d, want %d", n, goroutines*perG)
	}
}

// testConcurrentSameNewImage: many first notifications of one image at once make one row.
func testConcurrentSameNewImage(t *testing.T, s store.Store) {
	const goroutines = 20
	var wg sync.WaitGroup
	results := make([]store.RecordResult, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := note("host-a", "docker.io/library/postgres:17", g%3, time.Time{})
			res, err := s.Record(ctx(t), n)
			if err != nil {
				t.Errorf("goroutine %d: %v", g, err)
			}
			results[g] = res
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, r := range results[1:] {
		if r.ImageID != results[0].ImageID {
			t.Fatalf("one new image got several rows: %d and %d", results[0].ImageID, r.ImageID)
		}
	}
	img := getImage(t, s, results[0].ImageID)
	if img.Notifications != goroutines || img.State != store.StateOpen {
		t.Errorf("Notifications %d State %s; want %d and open", img.Notifications, img.State, goroutines)
	}
	if all := listAll(t, s, store.ImageFilter{}, store.SortLastSeen, 0); len(all) != 1 {
		t.Errorf("%d rows, want 1", len(all))
	}
}
