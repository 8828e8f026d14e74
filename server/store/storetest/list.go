package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

func listTests() []test {
	return []test{
		{"DocumentedOrder", testListDocumentedOrder},
		{"TiesBrokenByID", testListTies},
		{"SubSecondOrder", testListSubSecond},
		{"EachFilter", testListEachFilter},
		{"FiltersCombined", testListFiltersCombined},
		{"QueryIsLiteral", testListQueryLiteral},
		{"TagsFilled", testListTagsFilled},
		{"InvalidArguments", testListInvalid},
	}
}

// catalog is a varied set of current rows: several hosts (mixed case, so that byte order and
// a language's order differ), providers, states, tags, and ties in first_seen and last_seen.
type catalog struct {
	images []store.Image // as GetImage returns them, tags included
	tags   map[string]store.Tag
}

type catalogEntry struct {
	host, image, provider string
	first, last           time.Duration // offsets from base; last 0 means seen once
	state                 store.State
	tags                  []string
}

var catalogEntries = []catalogEntry{
	{"alpha", "docker.io/library/nginx:1.29-alpine", "docker", 0, 5 * time.Hour, store.StateOpen, []string{"web", "prod"}},
	{"alpha", "docker.io/library/nginx:1.28", "docker", time.Minute, 0, store.StateAcknowledged, []string{"web"}},
	{"alpha", "docker.io/library/redis:7", "docker", 2 * time.Minute, 3 * time.Hour, store.StateSnoozed, nil},
	{"alpha", "ghcr.io/acme/web_app:2", "docker", 3 * time.Minute, 3 * time.Hour, store.StateOpen, []string{"prod"}},
	{"alpha", "ghcr.io/acme/webXapp:2", "docker", 3 * time.Minute, 0, store.StateIgnored, nil},
	{"Beta", "docker.io/library/nginx:Mainline", "kubernetes", 4 * time.Minute, 3 * time.Hour, store.StateOpen, []string{"web"}},
	{"Beta", "docker.io/library/nginx:1.29-alpine", "kubernetes", 4 * time.Minute, 0, store.StateOpen, nil},
	{"Beta", "quay.io/prometheus/node-exporter:v1.8", "kubernetes", 5 * time.Minute, time.Hour, store.StateAcknowledged, []string{"monitoring"}},
	{"Beta", "ghcr.io/acme/web-app:2", "kubernetes", 6 * time.Minute, 0, store.StateSnoozed, []string{"prod", "web"}},
	{"beta-2", "registry.example:5000/team/api:latest", "file", 6 * time.Minute, 2 * time.Hour, store.StateOpen, nil},
	{"beta-2", "docker.io/library/nginx:1.28", "file", 7 * time.Minute, 4 * time.Hour, store.StateIgnored, []string{"web"}},
	{"beta-2", "Registry.Example:5000/Team/UI:Latest", "file", 8 * time.Minute, 0, store.StateOpen, []string{"monitoring"}},
	{"gamma", "docker.io/library/nginx:1.29-alpine", "docker", 9 * time.Minute, 5 * time.Hour, store.StateAcknowledged, nil},
	{"gamma", "docker.io/grafana/grafana:11", "docker", 10 * time.Minute, 0, store.StateOpen, []string{"monitoring", "prod"}},
	{"gamma", "docker.io/library/nginx_old:1", "swarm", 10 * time.Minute, 90 * time.Minute, store.StateOpen, nil},
	{"gamma", "a.example/z:1", "swarm", 11 * time.Minute, 0, store.StateSnoozed, nil},
	{"gamma", "z.example/a:1", "swarm", 12 * time.Minute, 0, store.StateAcknowledged, []string{"unused-by-filter"}},
}

func seedCatalog(t *testing.T, s store.Store) catalog {
	t.Helper()
	c := catalog{tags: map[string]store.Tag{}}
	for _, name := range []string{"web", "prod", "monitoring", "unused-by-filter", "empty"} {
		c.tags[name] = createTag(t, s, name)
	}
	idsByEntry := make([]int64, len(catalogEntries))
	for i, e := range catalogEntries {
		n := note(e.host, e.image, i, at(e.first))
		n.Provider = e.provider
		idsByEntry[i] = record(t, s, n).ImageID
	}
	for i, e := range catalogEntries {
		if e.last != 0 {
			n := note(e.host, e.image, 100+i, at(e.last))
			n.Provider = e.provider
			record(t, s, n)
		}
		switch e.state {
		case store.StateOpen:
		case store.StateSnoozed:
			setState(t, s, idsByEntry[i], e.state, ptr(at(1000*time.Hour)))
		default:
			setState(t, s, idsByEntry[i], e.state, nil)
		}
		for _, tg := range e.tags {
			attach(t, s, idsByEntry[i], c.tags[tg].ID)
		}
	}
	for _, id := range idsByEntry {
		c.images = append(c.images, getImage(t, s, id))
	}
	return c
}

// matches is the reference implementation of ImageFilter.
func matches(img store.Image, f store.ImageFilter) bool {
	if f.State != "" && img.State != f.State {
		return false
	}
	if f.Hostname != "" && img.Hostname != f.Hostname {
		return false
	}
	if f.Provider != "" && img.Provider != f.Provider {
		return false
	}
	if f.Tag != "" && !slices.ContainsFunc(img.Tags, func(tg store.Tag) bool { return tg.Name == f.Tag }) {
		return false
	}
	if f.Query != "" && !searchMatches(img, f.Query) {
		return false
	}
	if f.Stack != "" && store.StackOf(img.Provider, img.Metadata) != f.Stack {
		return false
	}
	return true
}

// order is the reference implementation of each Sort, as documented in store.go: text in
// byte order (as SQLite's BINARY and PostgreSQL's "C" collations compare).
func order(s store.Sort) func(a, b store.Image) int {
	switch s {
	case store.SortLastSeen:
		return func(a, b store.Image) int {
			return cmp.Or(b.LastSeen.Compare(a.LastSeen), cmp.Compare(b.ID, a.ID))
		}
	case store.SortFirstSeen:
		return func(a, b store.Image) int {
			return cmp.Or(b.FirstSeen.Compare(a.FirstSeen), cmp.Compare(b.ID, a.ID))
		}
	case store.SortImage:
		return func(a, b store.Image) int {
			return cmp.Or(strings.Compare(a.Image, b.Image), strings.Compare(a.Hostname, b.Hostname))
		}
	case store.SortHost:
		return func(a, b store.Image) int {
			return cmp.Or(strings.Compare(a.Hostname, b.Hostname), strings.Compare(a.Image, b.Image))
		}
	}
	panic("unknown sort " + s)
}

func expected(images []store.Image, f store.ImageFilter, s store.Sort) []store.Image {
	var out []store.Image
	for _, img := range images {
		if matches(img, f) {
			out = append(out, img)
		}
	}
	slices.SortStableFunc(out, order(s))
	return out
}

func checkList(t *testing.T, s store.Store, c catalog, f store.ImageFilter, sort store.Sort, limit int) {
	t.Helper()
	got := listAll(t, s, f, sort, limit)
	want := expected(c.images, f, sort)
	if !slices.Equal(ids(got), ids(want)) {
		t.Errorf("ListImages(%+v, %s, limit %d):\n got  %s\n want %s", f, sort, limit, joinKeys(imageKeys(got)), joinKeys(imageKeys(want)))
	}
}

// testListDocumentedOrder spells out each order on a small set, so that a failure reads easily.
func testListDocumentedOrder(t *testing.T, s store.Store) {
	rec := func(host, image string, first, last time.Duration) {
		record(t, s, note(host, image, 1, at(first)))
		if last != 0 {
			record(t, s, note(host, image, 2, at(last)))
		}
	}
	rec("web-1", "docker.io/library/nginx:1", 0, 4*time.Hour)
	rec("db-1", "docker.io/library/postgres:17", time.Hour, 0)
	rec("Web-2", "docker.io/library/nginx:1", 2*time.Hour, 3*time.Hour)
	rec("web-1", "Docker.io/acme/app:1", 3*time.Hour, 0)
	rec("db-1", "docker.io/library/nginx:1", 150*time.Minute, 5*time.Hour)

	want := map[store.Sort][]string{
		store.SortLastSeen: {
			"db-1 docker.io/library/nginx:1",     // 5h
			"web-1 docker.io/library/nginx:1",    // 4h
			"web-1 Docker.io/acme/app:1",         // 3h, newer id
			"Web-2 docker.io/library/nginx:1",    // 3h
			"db-1 docker.io/library/postgres:17", // 1h
		},
		store.SortFirstSeen: {
			"web-1 Docker.io/acme/app:1",
			"db-1 docker.io/library/nginx:1",
			"Web-2 docker.io/library/nginx:1",
			"db-1 docker.io/library/postgres:17",
			"web-1 docker.io/library/nginx:1",
		},
		store.SortImage: {
			"web-1 Docker.io/acme/app:1",
			"Web-2 docker.io/library/nginx:1",
			"db-1 docker.io/library/nginx:1",
			"web-1 docker.io/library/nginx:1",
			"db-1 docker.io/library/postgres:17",
		},
		store.SortHost: {
			"Web-2 docker.io/library/nginx:1",
			"db-1 docker.io/library/nginx:1",
			"db-1 docker.io/library/postgres:17",
			"web-1 Docker.io/acme/app:1",
			"web-1 docker.io/library/nginx:1",
		},
	}
	for _, sort := range store.Sorts {
		for _, limit := range []int{0, 1, 2} {
			got := imageKeys(listAll(t, s, store.ImageFilter{}, sort, limit))
			if !slices.Equal(got, want[sort]) {
				t.Errorf("sort %s, limit %d:\n got  %s\n want %s", sort, limit, joinKeys(got), joinKeys(want[sort]))
			}
		}
	}
}

// testListTies: rows with the same time come in id order, newest id first, and pagination
// through a run of ties neither skips nor repeats a row.
func testListTies(t *testing.T, s store.Store) {
	var created []int64
	for i := range 7 {
		res := record(t, s, note("host", fmt.Sprintf("docker.io/acme/tie-%d:1", i), i, at(time.Hour)))
		created = append(created, res.ImageID)
	}
	// Two of them are seen again at the same later instant.
	record(t, s, note("host", "docker.io/acme/tie-2:1", 50, at(2*time.Hour)))
	record(t, s, note("host", "docker.io/acme/tie-5:1", 50, at(2*time.Hour)))

	byFirst := slices.Clone(created)
	slices.Reverse(byFirst)
	byLast := []int64{created[5], created[2], created[6], created[4], created[3], created[1], created[0]}
	for _, limit := range []int{1, 2, 3, 7, 100} {
		if got := ids(listAll(t, s, store.ImageFilter{}, store.SortFirstSeen, limit)); !slices.Equal(got, byFirst) {
			t.Errorf("first_seen, limit %d: %v, want %v", limit, got, byFirst)
		}
		if got := ids(listAll(t, s, store.ImageFilter{}, store.SortLastSeen, limit)); !slices.Equal(got, byLast) {
			t.Errorf("last_seen, limit %d: %v, want %v", limit, got, byLast)
		}
	}
}

// testListSubSecond: times that differ by less than a second, or by a microsecond, keep their order.
func testListSubSecond(t *testing.T, s store.Store) {
	offsets := []time.Duration{
		0, 500 * time.Millisecond, 250 * time.Millisecond, time.Second, time.Microsecond,
		999999 * time.Microsecond, 100 * time.Millisecond, 10 * time.Second, 2 * time.Microsecond,
	}
	for i, d := range offsets {
		record(t, s, note("host", fmt.Sprintf("docker.io/acme/sub-%d:1", i), i, at(d)))
	}
	for _, sort := range []store.Sort{store.SortLastSeen, store.SortFirstSeen} {
		got := listAll(t, s, store.ImageFilter{}, sort, 2)
		var times []time.Time
		for _, img := range got {
			times = append(times, img.LastSeen)
		}
		if len(got) != len(offsets) || !slices.IsSortedFunc(times, func(a, b time.Time) int { return b.Compare(a) }) {
			t.Errorf("sort %s gave times %v, want newest first", sort, times)
		}
	}
}

func testListEachFilter(t *testing.T, s store.Store) {
	c := seedCatalog(t, s)
	filters := []store.ImageFilter{
		{},
		{State: store.StateOpen}, {State: store.StateAcknowledged}, {State: store.StateSnoozed}, {State: store.StateIgnored},
		{Hostname: "alpha"}, {Hostname: "Beta"}, {Hostname: "beta"}, {Hostname: "beta-2"}, {Hostname: "nobody"},
		{Provider: "docker"}, {Provider: "kubernetes"}, {Provider: "file"}, {Provider: "swarm"}, {Provider: "nomad"},
		{Tag: "web"}, {Tag: "prod"}, {Tag: "monitoring"}, {Tag: "empty"}, {Tag: "no-such-tag"},
		{Query: "nginx"}, {Query: "NGINX"}, {Query: "MainLine"}, {Query: "registry.example:5000/team"},
		{Query: "docker.io/library/nginx:1.29-alpine"}, {Query: "a"}, {Query: "no-such-image"},
	}
	for _, f := range filters {
		want := expected(c.images, f, store.SortLastSeen)
		if f == (store.ImageFilter{}) && len(want) != len(catalogEntries) {
			t.Fatalf("test bug: the catalog has %d rows", len(want))
		}
		for _, sort := range store.Sorts {
			checkList(t, s, c, f, sort, 0)
			checkList(t, s, c, f, sort, 2)
		}
	}
	// A few results spelled out, in case the reference implementation and the store agree on
	// a mistake.
	spot := []struct {
		f    store.ImageFilter
		want int
	}{
		{store.ImageFilter{Query: "NGINX"}, 7},
		{store.ImageFilter{Hostname: "Beta"}, 4},
		{store.ImageFilter{Hostname: "beta"}, 0},
		{store.ImageFilter{Tag: "web"}, 5},
		{store.ImageFilter{Tag: "empty"}, 0},
		{store.ImageFilter{State: store.StateSnoozed}, 3},
		{store.ImageFilter{Provider: "swarm"}, 3},
	}
	for _, sp := range spot {
		if got := listAll(t, s, sp.f, store.SortImage, 0); len(got) != sp.want {
			t.Errorf("ListImages(%+v) returned %d rows, want %d", sp.f, len(got), sp.want)
		}
	}
}

func testListFiltersCombined(t *testing.T, s store.Store) {
	c := seedCatalog(t, s)
	states := []store.State{"", store.StateOpen, store.StateAcknowledged}
	hosts := []string{"", "alpha", "Beta"}
	providers := []string{"", "docker"}
	tags := []string{"", "web", "prod"}
	queries := []string{"", "NGINX", "acme"}
	combos := 0
	for _, st := range states {
		for _, h := range hosts {
			for _, p := range providers {
				for _, tg := range tags {
					for _, q := range queries {
						f := store.ImageFilter{State: st, Hostname: h, Provider: p, Tag: tg, Query: q}
						for _, sort := range store.Sorts {
							checkList(t, s, c, f, sort, 2)
						}
						if len(expected(c.images, f, store.SortHost)) > 0 {
							combos++
						}
					}
				}
			}
		}
	}
	if combos < 40 {
		t.Errorf("test bug: only %d filter combinations match anything", combos)
	}
	// Spelled out: open nginx images of host alpha tagged web.
	got := listAll(t, s, store.ImageFilter{State: store.StateOpen, Hostname: "alpha", Tag: "web", Query: "Nginx"}, store.SortImage, 0)
	if keys := imageKeys(got); !slices.Equal(keys, []string{"alpha docker.io/library/nginx:1.29-alpine"}) {
		t.Errorf("combined filter: %v", keys)
	}
}

// testListQueryLiteral: Query is a plain substring; LIKE's wildcards match only themselves.
// Case is ignored for ASCII letters, all that image references may contain; other letters
// always match their own case (SQLite's lower() folds only ASCII).
func testListQueryLiteral(t *testing.T, s store.Store) {
	for i, img := range []string{"ghcr.io/acme/web_app:1", "ghcr.io/acme/webXapp:1", "ghcr.io/acme/100%:1", "ghcr.io/acme/1000:1", `ghcr.io/acme/back\slash:1`, "registry.example/Ärger/App:1"} {
		record(t, s, note("host", img, i, at(time.Duration(i)*time.Second)))
	}
	cases := map[string][]string{
		"web_app": {"host ghcr.io/acme/web_app:1"},
		"_":       {"host ghcr.io/acme/web_app:1"},
		"100%":    {"host ghcr.io/acme/100%:1"},
		"%":       {"host ghcr.io/acme/100%:1"},
		`\s`:      {`host ghcr.io/acme/back\slash:1`},
		"WEBX":    {"host ghcr.io/acme/webXapp:1"},
		// Letters outside ASCII match at least in their own case, whatever the server's locale.
		"Ärger/App": {"host registry.example/Ärger/App:1"},
		"Ärger/app": {"host registry.example/Ärger/App:1"},
	}
	for q, want := range cases {
		if got := imageKeys(listAll(t, s, store.ImageFilter{Query: q}, store.SortImage, 0)); !slices.Equal(got, want) {
			t.Errorf("Query %q: %v, want %v", q, got, want)
		}
	}
}

func testListTagsFilled(t *testing.T, s store.Store) {
	c := seedCatalog(t, s)
	byID := map[int64]store.Image{}
	for _, img := range c.images {
		byID[img.ID] = img
	}
	for i, e := range catalogEntries {
		if got := tagNames(c.images[i].Tags); !slices.Equal(got, sortedCopy(e.tags)) {
			t.Errorf("GetImage %s: tags %v, want %v", imageKey(c.images[i]), got, sortedCopy(e.tags))
		}
	}
	for _, sort := range store.Sorts {
		for _, limit := range []int{0, 3} {
			for _, img := range listAll(t, s, store.ImageFilter{}, sort, limit) {
				want := byID[img.ID]
				if got := tagNames(img.Tags); !slices.Equal(got, tagNames(want.Tags)) {
					t.Errorf("sort %s limit %d: %s has tags %v, want %v", sort, limit, imageKey(img), got, tagNames(want.Tags))
				}
				for _, tg := range img.Tags {
					if tg.ID != c.tags[tg.Name].ID {
						t.Errorf("%s: tag %q has id %d, want %d", imageKey(img), tg.Name, tg.ID, c.tags[tg.Name].ID)
					}
				}
			}
		}
	}
	// Filtering by one tag still returns all of each image's tags.
	for _, img := range listAll(t, s, store.ImageFilter{Tag: "prod"}, store.SortHost, 0) {
		if got := tagNames(img.Tags); !slices.Equal(got, tagNames(byID[img.ID].Tags)) {
			t.Errorf("filtered by tag prod: %s has tags %v, want %v", imageKey(img), got, tagNames(byID[img.ID].Tags))
		}
	}
}

func testListInvalid(t *testing.T, s store.Store) {
	first := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	record(t, s, note("host", "docker.io/library/nginx:1", 3, at(time.Minute)))
	record(t, s, note("host", "docker.io/library/nginx:2", 2, at(time.Second)))
	for _, sort := range []store.Sort{"name", "LAST_SEEN", "last_seen desc", "image;drop table images"} {
		_, err := s.ListImages(ctx(t), store.ImageFilter{}, sort, store.PageRequest{})
		wantErr(t, fmt.Sprintf("sort %q", sort), err, store.ErrInvalid)
	}
	for _, st := range []store.State{"closed", "OPEN", "all"} {
		_, err := s.ListImages(ctx(t), store.ImageFilter{State: st}, store.SortLastSeen, store.PageRequest{})
		wantErr(t, fmt.Sprintf("state %q", st), err, store.ErrInvalid)
	}

	page, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Limit: 1})
	if err != nil || page.NextCursor == "" {
		t.Fatalf("first page: %v, next cursor %q", err, page.NextCursor)
	}
	events, err := s.ListEvents(ctx(t), first.ImageID, store.PageRequest{Limit: 1})
	if err != nil || events.NextCursor == "" {
		t.Fatalf("ListEvents first page: %v, next cursor %q", err, events.NextCursor)
	}
	bad := map[string]string{
		"garbage":          "%%% not a cursor %%%",
		"not base64":       "!!!!",
		"base64 of text":   "aGVsbG8gd29ybGQ",
		"empty object":     "e30",
		"JSON array":       "WzEsMl0",
		"very long":        strings.Repeat("A", 10000),
		"an events cursor": events.NextCursor,
	}
	for name, cur := range bad {
		_, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Cursor: cur})
		wantErr(t, "ListImages with "+name, err, store.ErrInvalidCursor)
	}
	for _, other := range []store.Sort{store.SortFirstSeen, store.SortImage, store.SortHost} {
		_, err := s.ListImages(ctx(t), store.ImageFilter{}, other, store.PageRequest{Cursor: page.NextCursor})
		wantErr(t, fmt.Sprintf("a last_seen cursor with sort %s", other), err, store.ErrInvalidCursor)
	}
	// The cursor itself is fine with its own sort.
	if _, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Cursor: page.NextCursor}); err != nil {
		t.Errorf("the cursor fails with its own sort: %v", err)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	if c == nil {
		c = []string{}
	}
	return c
}
