package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

// The overview's search (ImageFilter.Query) also finds an image by the names Diun's metadata
// gives it (container, pod, task, job) and by its stack or namespace; ImageFilter.Stack picks
// one stack exactly. Both stores keep these values beside the row, so they must follow every
// new notification's metadata.
func searchTests() []test {
	return []test{
		{"QueryMatchesNames", testSearchNames},
		{"QueryIgnoresOtherMetadata", testSearchOtherMetadata},
		{"FollowsNewMetadata", testSearchFollowsMetadata},
		{"FollowsEachKey", testSearchFollowsEachKey},
		{"StackFilter", testSearchStackFilter},
		{"StackFilterPages", testSearchStackPages},
		{"HostActionsSeeTheSameView", testSearchHostActions},
	}
}

// searchMatches is the reference implementation of Query: an ASCII case-insensitive substring
// of the reference or of one of the values of store.SearchKeys.
func searchMatches(img store.Image, q string) bool {
	q = asciiLower(q)
	if strings.Contains(asciiLower(img.Image), q) {
		return true
	}
	for _, k := range store.SearchKeys {
		if v := img.Metadata[k]; v != "" && strings.Contains(asciiLower(v), q) {
			return true
		}
	}
	return false
}

// asciiLower lowers A–Z only, as SQLite's lower() and PostgreSQL's under COLLATE "C" do.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// searchFixture records one image per provider, each with the metadata that provider sends.
func searchFixture(t *testing.T, s store.Store) map[string]store.Image {
	t.Helper()
	entries := []struct {
		key, host, image, provider string
		meta                       map[string]string
	}{
		{"plex", "nas", "lscr.io/linuxserver/plex:latest", "docker",
			map[string]string{"ctn_names": "Plex-Server", "ctn_state": "exited", "com.docker.compose.project": "Media", "ctn_command": "/init --verbose"}},
		{"sonarr", "nas", "lscr.io/linuxserver/sonarr:4", "docker",
			map[string]string{"ctn_names": "sonarr", "stack": "media-extra", "com.docker.compose.project": "Media"}},
		{"api", "k8s", "ghcr.io/acme/api:2", "kubernetes",
			map[string]string{"pod_name": "api-7d9f", "pod_namespace": "prod", "ctn_name": "api-container", "pod_status": `{"phase":"Running"}`}},
		{"redis", "nomad", "docker.io/library/redis:7", "nomad",
			map[string]string{"job_name": "cache", "task_name": "redis-task", "job_namespace": "infra"}},
		{"traefik", "swarm", "docker.io/library/traefik:3", "swarm",
			map[string]string{"svc_id": "q1w2e3", "ctn_name": "edge_traefik.1", "com.docker.stack.namespace": "edge"}},
		// What Diun's swarm provider sends for a service that `docker stack deploy` made:
		// its name is <stack>_<service>, and no key names the stack.
		{"whoami", "swarm", "docker.io/traefik/whoami:1", "swarm",
			map[string]string{"svc_id": "z9x8c7", "ctn_name": "tools_whoami"}},
		{"bare", "nas", "docker.io/library/busybox:1", "file", nil},
	}
	out := map[string]store.Image{}
	for i, e := range entries {
		n := note(e.host, e.image, i, at(time.Duration(i)*time.Minute))
		n.Provider, n.Metadata = e.provider, e.meta
		out[e.key] = getImage(t, s, record(t, s, n).ImageID)
	}
	return out
}

func keysOf(images map[string]store.Image, got []store.Image) []string {
	var out []string
	for _, g := range got {
		for k, img := range images {
			if img.ID == g.ID {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

func testSearchNames(t *testing.T, s store.Store) {
	imgs := searchFixture(t, s)
	cases := map[string][]string{
		"plex-server":   {"plex"},           // docker container name, another case
		"MEDIA":         {"plex", "sonarr"}, // compose project
		"media-extra":   {"sonarr"},         // stack label
		"api-7d9":       {"api"},            // pod
		"api-container": {"api"},            // container in the pod
		"prod":          {"api"},            // namespace
		"redis-task":    {"redis"},          // nomad task
		"cache":         {"redis"},          // nomad job
		"infra":         {"redis"},          // nomad namespace
		"edge":          {"traefik"},        // swarm stack
		"busybox":       {"bare"},           // the reference, as before
		"sonarr":        {"sonarr"},         // both reference and name: once
		"no-such-name":  nil,
	}
	for q, want := range cases {
		for _, sort := range store.Sorts {
			got := keysOf(imgs, listAll(t, s, store.ImageFilter{Query: q}, sort, 2))
			if !slices.Equal(got, want) {
				t.Errorf("Query %q (%s): %v, want %v", q, sort, got, want)
			}
		}
	}
	// With a state filter the other query of each sort runs: the same answer.
	if got := keysOf(imgs, listAll(t, s, store.ImageFilter{Query: "media", State: store.StateOpen}, store.SortLastSeen, 0)); !slices.Equal(got, []string{"plex", "sonarr"}) {
		t.Errorf("Query media, state open: %v", got)
	}
}

func testSearchOtherMetadata(t *testing.T, s store.Store) {
	imgs := searchFixture(t, s)
	// Values of other keys, key names, and text across two values are not searched.
	for _, q := range []string{"--verbose", "running", "ctn_names", "pod_namespace", "q1w2e3", "plex-server\nmedia", "exited"} {
		if got := keysOf(imgs, listAll(t, s, store.ImageFilter{Query: q}, store.SortHost, 0)); len(got) != 0 {
			t.Errorf("Query %q matched %v: only the reference and the names are searched", q, got)
		}
	}
}

func testSearchFollowsMetadata(t *testing.T, s store.Store) {
	n := note("vm", "docker.io/acme/app:1", 1, at(0))
	n.Metadata = map[string]string{"ctn_names": "oldname", "stack": "oldstack"}
	id := record(t, s, n).ImageID
	n = note("vm", "docker.io/acme/app:1", 2, at(time.Minute))
	n.Metadata = map[string]string{"ctn_names": "newname", "stack": "newstack"}
	record(t, s, n)
	for q, want := range map[string]int{"oldname": 0, "oldstack": 0, "newname": 1, "newstack": 1} {
		if got := listAll(t, s, store.ImageFilter{Query: q}, store.SortLastSeen, 0); len(got) != want {
			t.Errorf("after new metadata, Query %q found %d images, want %d", q, len(got), want)
		}
	}
	if got := listAll(t, s, store.ImageFilter{Stack: "oldstack"}, store.SortLastSeen, 0); len(got) != 0 {
		t.Errorf("Stack oldstack still finds %v", ids(got))
	}
	if got := listAll(t, s, store.ImageFilter{Stack: "newstack"}, store.SortLastSeen, 0); !slices.Equal(ids(got), []int64{id}) {
		t.Errorf("Stack newstack: %v, want [%d]", ids(got), id)
	}
	// Metadata that goes away (null) takes the names with it.
	n = note("vm", "docker.io/acme/app:1", 3, at(2*time.Minute))
	n.Metadata = nil
	record(t, s, n)
	if got := listAll(t, s, store.ImageFilter{Query: "newname"}, store.SortLastSeen, 0); len(got) != 0 {
		t.Errorf("metadata gone, Query newname still finds %v", ids(got))
	}
	// The same metadata again keeps the names; a provider that changes, with the same metadata,
	// changes the stack (a swarm service's comes from its ctn_name).
	for i, provider := range []string{"docker", "docker", "swarm"} {
		n = note("vm", "docker.io/acme/app:1", 10+i, at(time.Duration(10+i)*time.Minute))
		n.Provider = provider
		n.Metadata = map[string]string{"ctn_name": "shop_web"}
		record(t, s, n)
		if got := listAll(t, s, store.ImageFilter{Query: "shop_web"}, store.SortLastSeen, 0); !slices.Equal(ids(got), []int64{id}) {
			t.Errorf("provider %s, same metadata: Query shop_web found %v, want [%d]", provider, ids(got), id)
		}
	}
	if got := listAll(t, s, store.ImageFilter{Stack: "shop"}, store.SortLastSeen, 0); !slices.Equal(ids(got), []int64{id}) {
		t.Errorf("provider became swarm: Stack shop found %v, want [%d]", ids(got), id)
	}
	// A deleted image and a new one of the same name: the new one's names only.
	if _, err := s.DeleteImages(ctx(t), []int64{id}); err != nil {
		t.Fatal(err)
	}
	n = note("vm", "docker.io/acme/app:1", 4, at(3*time.Minute))
	n.Metadata = map[string]string{"ctn_names": "thirdname"}
	id2 := record(t, s, n).ImageID
	if got := listAll(t, s, store.ImageFilter{Query: "thirdname"}, store.SortLastSeen, 0); !slices.Equal(ids(got), []int64{id2}) {
		t.Errorf("Query thirdname: %v, want [%d]", ids(got), id2)
	}
}

// testSearchFollowsEachKey changes each metadata key the search reads, alone, beside keys it
// does not read (which change in most of Diun's notifications): the names follow every one.
// PostgreSQL's trigger compares only these keys before it refreshes the row.
func testSearchFollowsEachKey(t *testing.T, s store.Store) {
	keys := []string{"stack", "com.docker.compose.project", "com.docker.stack.namespace", "ctn_name", "ctn_names",
		"pod_name", "task_name", "job_name", "pod_namespace", "job_namespace"}
	for i, key := range keys {
		image := fmt.Sprintf("docker.io/acme/key-%d:1", i)
		n := note("vm", image, 1, at(0))
		n.Metadata = map[string]string{key: fmt.Sprintf("before%d", i), "ctn_status": "Up 1 hour"}
		id := record(t, s, n).ImageID
		n = note("vm", image, 2, at(time.Minute))
		n.Metadata = map[string]string{key: fmt.Sprintf("after%d", i), "ctn_status": "Up 2 hours"}
		record(t, s, n)
		if got := listAll(t, s, store.ImageFilter{Query: fmt.Sprintf("after%d", i)}, store.SortLastSeen, 0); !slices.Equal(ids(got), []int64{id}) {
			t.Errorf("%s changed: Query after%d found %v, want [%d]", key, i, ids(got), id)
		}
		if got := listAll(t, s, store.ImageFilter{Query: fmt.Sprintf("before%d", i)}, store.SortLastSeen, 0); len(got) != 0 {
			t.Errorf("%s changed: Query before%d still finds %v", key, i, ids(got))
		}
	}
}

func testSearchStackFilter(t *testing.T, s store.Store) {
	imgs := searchFixture(t, s)
	cases := map[string][]string{
		"Media":       {"plex"},   // the compose project; sonarr's stack label wins over it
		"media-extra": {"sonarr"}, // the stack label
		"media":       nil,        // exact, case and all
		"Med":         nil,        // not a substring
		"prod":        {"api"},    // a namespace when there is no stack
		"infra":       {"redis"},
		"edge":        {"traefik"},
		"tools":       {"whoami"}, // derived from the swarm service's name
	}
	for stack, want := range cases {
		for _, sort := range store.Sorts {
			for _, state := range []store.State{"", store.StateOpen} {
				got := keysOf(imgs, listAll(t, s, store.ImageFilter{Stack: stack, State: state}, sort, 0))
				if !slices.Equal(got, want) {
					t.Errorf("Stack %q (%s, state %q): %v, want %v", stack, sort, state, got, want)
				}
			}
		}
	}
	// Combined with the other filters.
	if got := keysOf(imgs, listAll(t, s, store.ImageFilter{Stack: "Media", Hostname: "nas", Query: "plex"}, store.SortHost, 0)); !slices.Equal(got, []string{"plex"}) {
		t.Errorf("Stack Media, host nas, q plex: %v", got)
	}
	if got := listAll(t, s, store.ImageFilter{Stack: "Media", Hostname: "k8s"}, store.SortHost, 0); len(got) != 0 {
		t.Errorf("Stack Media on k8s: %v", ids(got))
	}
	if _, err := s.ListImages(ctx(t), store.ImageFilter{Stack: strings.Repeat("s", 10000)}, store.SortHost, store.PageRequest{}); err == nil {
		t.Error("a stack of 10,000 bytes was accepted")
	}
}

// Keyset pagination with a stack filter: every page full, nothing twice, nothing lost.
func testSearchStackPages(t *testing.T, s store.Store) {
	var want []int64
	for i := range 7 {
		n := note("h", "docker.io/acme/app-"+string(rune('a'+i))+":1", i, at(time.Duration(i%3)*time.Minute))
		if i%2 == 0 {
			n.Metadata = map[string]string{"com.docker.compose.project": "shop"}
		}
		id := record(t, s, n).ImageID
		if i%2 == 0 {
			want = append(want, id)
		}
	}
	for _, sort := range store.Sorts {
		got := ids(listAll(t, s, store.ImageFilter{Stack: "shop"}, sort, 1))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Stack shop, %s, one per page: %v, want %v", sort, got, want)
		}
	}
}

// A host's actions act on exactly the images its view shows: the stack and the names count.
func testSearchHostActions(t *testing.T, s store.Store) {
	imgs := searchFixture(t, s)
	ack := store.Transition{State: store.StateAcknowledged}
	got, err := s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "nas", Stack: "Media"}, ack, "admin")
	if err != nil || !slices.Equal(changedIDs(got), []int64{imgs["plex"].ID}) {
		t.Errorf("nas, stack Media: moved %v, %v; want plex only", changedIDs(got), err)
	}
	got, err = s.SetStatesWhere(ctx(t), store.ImageFilter{Hostname: "nas", Query: "sonarr", State: store.StateOpen}, ack, "admin")
	if err != nil || !slices.Equal(changedIDs(got), []int64{imgs["sonarr"].ID}) {
		t.Errorf("nas, q sonarr: moved %v, %v; want sonarr only", changedIDs(got), err)
	}
	if st := getImage(t, s, imgs["bare"].ID).State; st != store.StateOpen {
		t.Errorf("busybox is %s: a host action touched an image outside the view", st)
	}
}
