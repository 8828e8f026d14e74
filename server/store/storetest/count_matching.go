package storetest

import (
	"fmt"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// CountImagesMatching counts a filtered view per host and state, for the overview's tabs and
// host headings (issue 11: "60 open" over a view of 5 rows). Its counts must be exactly the
// rows ListImages pages through for the same filter in each state.
func countMatchingTests() []test {
	return []test{
		{"EachFilter", testCountMatchingEachFilter},
		{"Stack", testCountMatchingStack},
		{"FollowsTriage", testCountMatchingFollowsTriage},
		{"Invalid", testCountMatchingInvalid},
	}
}

// countsOf folds host counts into "host/state" → images, the zero counts left out.
func countsOf(rows []store.HostCount) map[string]int64 {
	out := map[string]int64{}
	for _, r := range rows {
		if r.Images != 0 {
			out[r.Hostname+"/"+string(r.State)] += r.Images
		}
	}
	return out
}

// referenceCounts counts the images that match f (its state ignored) by the reference filter.
func referenceCounts(images []store.Image, f store.ImageFilter) map[string]int64 {
	f.State = ""
	out := map[string]int64{}
	for _, img := range images {
		if matches(img, f) {
			out[img.Hostname+"/"+string(img.State)]++
		}
	}
	return out
}

func checkCounts(t *testing.T, s store.Store, f store.ImageFilter, want map[string]int64) {
	t.Helper()
	rows, err := s.CountImagesMatching(ctx(t), f)
	if err != nil {
		t.Fatalf("CountImagesMatching(%+v): %v", f, err)
	}
	for _, r := range rows {
		if r.Images <= 0 {
			t.Errorf("CountImagesMatching(%+v) has a row of %d images (%s/%s): empty hosts and states are left out", f, r.Images, r.Hostname, r.State)
		}
	}
	if got := countsOf(rows); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CountImagesMatching(%+v) = %v, want %v", f, got, want)
	}
	// The same view, paged through per state, has those rows.
	for _, st := range store.States {
		g := f
		g.State = st
		perHost := map[string]int64{}
		for _, img := range listAll(t, s, g, store.SortHost, 0) {
			perHost[img.Hostname+"/"+string(st)]++
		}
		for k, n := range perHost {
			if want[k] != n {
				t.Errorf("%+v: ListImages has %d rows of %s, the counts say %d", g, n, k, want[k])
			}
		}
	}
}

func testCountMatchingEachFilter(t *testing.T, s store.Store) {
	c := seedCatalog(t, s)
	filters := []store.ImageFilter{
		{}, {State: store.StateOpen}, // the state is not a filter of the counts
		{Hostname: "alpha"}, {Hostname: "Beta"}, {Hostname: "beta"}, {Hostname: "nobody"},
		{Provider: "docker"}, {Provider: "file"}, {Provider: "nomad"},
		{Tag: "web"}, {Tag: "prod"}, {Tag: "empty"}, {Tag: "no-such-tag"},
		{Query: "nginx"}, {Query: "NGINX"}, {Query: "MainLine"}, {Query: "registry.example:5000/team"}, {Query: "no-such-image"},
		{Query: "nginx", Hostname: "alpha"}, {Query: "nginx", Tag: "web", State: store.StateIgnored},
		{Tag: "prod", Provider: "kubernetes"}, {Query: "a", Hostname: "gamma", Provider: "swarm"},
	}
	for _, f := range filters {
		checkCounts(t, s, f, referenceCounts(c.images, f))
	}
	// Spelled out, in case the reference and the store agree on a mistake: nginx is on
	// alpha twice (open, acknowledged), Beta twice (open), beta-2 once (ignored), gamma twice
	// (acknowledged, and nginx_old open).
	want := map[string]int64{"alpha/open": 1, "alpha/acknowledged": 1, "Beta/open": 2, "beta-2/ignored": 1, "gamma/acknowledged": 1, "gamma/open": 1}
	rows, err := s.CountImagesMatching(ctx(t), store.ImageFilter{Query: "NGINX"})
	if err != nil {
		t.Fatal(err)
	}
	if got := countsOf(rows); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("q=NGINX counts %v, want %v", got, want)
	}
}

func testCountMatchingStack(t *testing.T, s store.Store) {
	imgs := searchFixture(t, s)
	var all []store.Image
	for _, img := range imgs {
		all = append(all, getImage(t, s, img.ID))
	}
	for _, f := range []store.ImageFilter{{Stack: "Media"}, {Stack: "media"}, {Stack: "prod"}, {Stack: "Media", Hostname: "nas"}, {Stack: "Media", Query: "plex"}} {
		checkCounts(t, s, f, referenceCounts(all, f))
	}
}

// A triage change moves an image from one state's count to another's at once.
func testCountMatchingFollowsTriage(t *testing.T, s store.Store) {
	var ids []int64
	for i, name := range []string{"app-a", "app-b", "other"} {
		ids = append(ids, record(t, s, note("h", "docker.io/acme/"+name+":1", i, at(0))).ImageID)
	}
	f := store.ImageFilter{Query: "app-"}
	checkCounts(t, s, f, map[string]int64{"h/open": 2})
	setState(t, s, ids[0], store.StateAcknowledged, nil)
	checkCounts(t, s, f, map[string]int64{"h/open": 1, "h/acknowledged": 1})
	if _, err := s.DeleteImages(ctx(t), ids[1:2]); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, f, map[string]int64{"h/acknowledged": 1})
}

func testCountMatchingInvalid(t *testing.T, s store.Store) {
	for _, f := range []store.ImageFilter{{State: "closed"}, {Query: strings.Repeat("q", 10000)}, {Hostname: "bad\x00host"}} {
		if _, err := s.CountImagesMatching(ctx(t), f); err == nil {
			t.Errorf("CountImagesMatching(%.60v) accepted an invalid filter", f)
		}
	}
}
