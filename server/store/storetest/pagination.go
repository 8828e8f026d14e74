package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

func paginationTests() []test {
	return []test{
		{"EmptyStore", testPageEmpty},
		{"ExactlyOnePage", testPageExact},
		{"LimitOneWalksEveryRow", testPageLimitOne},
		{"CursorSurvivesDeletes", testPageCursorAfterDeletes},
		{"CursorSurvivesUpdates", testPageCursorAfterUpdates},
		{"Limits", testPageLimits},
	}
}

func testPageEmpty(t *testing.T, s store.Store) {
	for _, sort := range store.Sorts {
		for _, f := range []store.ImageFilter{{}, {State: store.StateOpen}, {Hostname: "h", Tag: "t", Query: "q", Provider: "p"}} {
			p, err := s.ListImages(ctx(t), f, sort, store.PageRequest{})
			if err != nil {
				t.Fatalf("ListImages(%+v, %s) on an empty store: %v", f, sort, err)
			}
			if len(p.Images) != 0 || p.NextCursor != "" {
				t.Errorf("ListImages(%+v, %s) on an empty store = %d images, next %q", f, sort, len(p.Images), p.NextCursor)
			}
		}
	}
	checks, err := s.ListChecks(ctx(t), 0)
	if err != nil || len(checks) != 0 {
		t.Errorf("ListChecks on an empty store = %d, %v", len(checks), err)
	}
}

func seedN(t *testing.T, s store.Store, n int) []int64 {
	t.Helper()
	var out []int64
	for i := range n {
		res := record(t, s, note(fmt.Sprintf("host-%d", i%3), fmt.Sprintf("docker.io/acme/page-%03d:1", i), i, at(time.Duration(i)*time.Second)))
		out = append(out, res.ImageID)
	}
	return out
}

func testPageExact(t *testing.T, s store.Store) {
	seedN(t, s, 5)
	for _, sort := range store.Sorts {
		p, err := s.ListImages(ctx(t), store.ImageFilter{}, sort, store.PageRequest{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Images) != 5 || p.NextCursor != "" {
			t.Errorf("sort %s, 5 rows, limit 5: %d images, next cursor %q; want 5 and none", sort, len(p.Images), p.NextCursor)
		}
		p, err = s.ListImages(ctx(t), store.ImageFilter{}, sort, store.PageRequest{Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Images) != 4 || p.NextCursor == "" {
			t.Fatalf("sort %s, 5 rows, limit 4: %d images, next cursor %q; want 4 and a cursor", sort, len(p.Images), p.NextCursor)
		}
		last, err := s.ListImages(ctx(t), store.ImageFilter{}, sort, store.PageRequest{Limit: 4, Cursor: p.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(last.Images) != 1 || last.NextCursor != "" {
			t.Errorf("sort %s, last page: %d images, next cursor %q; want 1 and none", sort, len(last.Images), last.NextCursor)
		}
		if slices.Contains(ids(p.Images), last.Images[0].ID) {
			t.Errorf("sort %s: the last page repeats image %d", sort, last.Images[0].ID)
		}
	}
}

func testPageLimitOne(t *testing.T, s store.Store) {
	all := seedN(t, s, 12)
	record(t, s, note("host-0", "docker.io/acme/page-000:1", 99, at(time.Hour))) // one row moves to the front of last_seen
	for _, sort := range store.Sorts {
		var walked []int64
		pages := 0
		cursor := ""
		for {
			p, err := s.ListImages(ctx(t), store.ImageFilter{}, sort, store.PageRequest{Limit: 1, Cursor: cursor})
			if err != nil {
				t.Fatalf("sort %s page %d: %v", sort, pages+1, err)
			}
			pages++
			if len(p.Images) != 1 {
				t.Fatalf("sort %s page %d has %d images, want 1", sort, pages, len(p.Images))
			}
			walked = append(walked, p.Images[0].ID)
			if p.NextCursor == "" {
				break
			}
			if pages > len(all) {
				t.Fatalf("sort %s: more pages than rows", sort)
			}
			cursor = p.NextCursor
		}
		if want := ids(listAll(t, s, store.ImageFilter{}, sort, 100)); !slices.Equal(walked, want) || pages != len(all) {
			t.Errorf("sort %s: limit 1 walked %v in %d pages, want %v in %d", sort, walked, pages, want, len(all))
		}
	}
}

// testPageCursorAfterDeletes: a cursor is a position in the order, not a row: it still works
// after the row it was taken from, rows before it and rows after it are deleted.
func testPageCursorAfterDeletes(t *testing.T, s store.Store) {
	for _, sort := range store.Sorts {
		t.Run(string(sort), func(t *testing.T) {
			if _, err := s.DeleteImages(ctx(t), ids(listAll(t, s, store.ImageFilter{}, sort, 0))); err != nil {
				t.Fatal(err)
			}
			seedN(t, s, 9)
			full := ids(listAll(t, s, store.ImageFilter{}, sort, 0))
			p, err := s.ListImages(ctx(t), store.ImageFilter{}, sort, store.PageRequest{Limit: 3})
			if err != nil || p.NextCursor == "" {
				t.Fatalf("first page: %v, cursor %q", err, p.NextCursor)
			}
			// Delete a row before the cursor, the cursor's own row, and one after it.
			if n, err := s.DeleteImages(ctx(t), []int64{full[0], full[2], full[4]}); err != nil || n != 3 {
				t.Fatalf("DeleteImages = %d, %v; want 3", n, err)
			}
			var rest []int64
			cursor := p.NextCursor
			for {
				next, err := s.ListImages(ctx(t), store.ImageFilter{}, sort, store.PageRequest{Limit: 3, Cursor: cursor})
				if err != nil {
					t.Fatalf("ListImages after deletes: %v", err)
				}
				rest = append(rest, ids(next.Images)...)
				if next.NextCursor == "" {
					break
				}
				cursor = next.NextCursor
			}
			want := []int64{full[3], full[5], full[6], full[7], full[8]}
			if !slices.Equal(rest, want) {
				t.Errorf("after deletes the cursor gave %v, want %v", rest, want)
			}
		})
	}
}

// testPageCursorAfterUpdates: a row that moves ahead of the cursor (seen again) is not repeated.
func testPageCursorAfterUpdates(t *testing.T, s store.Store) {
	seedN(t, s, 6)
	full := ids(listAll(t, s, store.ImageFilter{}, store.SortLastSeen, 0))
	p, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Limit: 3})
	if err != nil || p.NextCursor == "" {
		t.Fatalf("first page: %v", err)
	}
	// The last row (not yet shown) is seen again: it moves to the front.
	moved := getImage(t, s, full[5])
	record(t, s, note(moved.Hostname, moved.Image, 77, at(time.Hour)))
	next, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Limit: 3, Cursor: p.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(next.Images), []int64{full[3], full[4]}; !slices.Equal(got, want) || next.NextCursor != "" {
		t.Errorf("second page after an update: %v (next %q), want %v", got, next.NextCursor, want)
	}
}

func testPageLimits(t *testing.T, s store.Store) {
	const n = store.MaxPageSize + 7
	// Record concurrently: it is faster on a database that commits one transaction at a time.
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if _, err := s.Record(ctx(t), note(fmt.Sprintf("host-%d", i%5), fmt.Sprintf("docker.io/acme/many-%04d:1", i), i, at(time.Duration(i)*time.Millisecond))); err != nil {
					t.Errorf("Record %d: %v", i, err)
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	for _, limit := range []int{0, -1, -1000} {
		p, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Images) != store.DefaultPageSize || p.NextCursor == "" {
			t.Errorf("limit %d: %d images (next %q), want the default %d and a cursor", limit, len(p.Images), p.NextCursor, store.DefaultPageSize)
		}
	}
	for _, limit := range []int{store.MaxPageSize + 1, 10000, int(^uint(0) >> 1)} {
		p, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortImage, store.PageRequest{Limit: limit})
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if len(p.Images) != store.MaxPageSize || p.NextCursor == "" {
			t.Fatalf("limit %d: %d images (next %q), want MaxPageSize %d and a cursor", limit, len(p.Images), p.NextCursor, store.MaxPageSize)
		}
		rest, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortImage, store.PageRequest{Limit: limit, Cursor: p.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(rest.Images) != n-store.MaxPageSize || rest.NextCursor != "" {
			t.Errorf("limit %d, second page: %d images (next %q), want %d and none", limit, len(rest.Images), rest.NextCursor, n-store.MaxPageSize)
		}
	}
	p, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortHost, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil || len(p.Images) != store.MaxPageSize {
		t.Errorf("limit MaxPageSize: %d images, %v", len(p.Images), err)
	}
	// The default applies to every page, not just the first.
	if all := listAll(t, s, store.ImageFilter{}, store.SortFirstSeen, 0); len(all) != n {
		t.Errorf("walking with the default limit found %d rows, want %d", len(all), n)
	}
}
