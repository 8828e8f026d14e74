package reconcile

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"diundashboard/gen/diunpb"
	"diundashboard/server/store"
)

// recorded is where the answers of a real Diun are (see its README.md).
const recorded = "testdata/diun-v4.33.0-14-g9050b6a2/"

// loadRecorded replaces f's database with the recorded ImageInspect answers of one state
// ("01-initial", "03-after-outage-push").
func (f *fakeDiun) loadRecorded(t testing.TB, state string) {
	t.Helper()
	files, err := filepath.Glob(recorded + state + "-ImageInspect-*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded answers for %s: %v", state, err)
	}
	f.mu.Lock()
	f.images = map[string][]*diunpb.Manifest{}
	f.mu.Unlock()
	for _, file := range files {
		if filepath.Base(file) == "01-initial-ImageInspect-acme-webapp-with-tag-1.4.json" {
			continue // the same image inspected by name:tag: Diun answers every tag alike
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var res diunpb.ImageInspectResponse
		if err := protojson.Unmarshal(b, &res); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		f.put(res.GetImage().GetName(), res.GetImage().GetManifests()...)
	}
}

// The fake answers ImageList as the real Diun did in each recorded state.
func TestFakeDiunMatchesRecordedImageList(t *testing.T) {
	f := newFakeDiun(t)
	for _, state := range []string{"01-initial", "02-after-push", "03-after-outage-push"} {
		f.loadRecorded(t, state)
		got, _ := f.ImageList(context.Background(), nil)
		var want diunpb.ImageListResponse
		b, err := os.ReadFile(recorded + state + "-ImageList.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := protojson.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		byName := func(a, b *diunpb.ImageListResponse_Image) int {
			return map[bool]int{true: -1, false: 1}[a.GetName() < b.GetName()]
		}
		slices.SortFunc(got.Images, byName)
		slices.SortFunc(want.Images, byName)
		if len(got.Images) != len(want.Images) {
			t.Fatalf("%s: %d images, recorded %d", state, len(got.Images), len(want.Images))
		}
		for i := range got.Images {
			g, w := got.Images[i], want.Images[i]
			if g.GetName() != w.GetName() || g.GetManifestsCount() != w.GetManifestsCount() || g.GetLatest().GetDigest() != w.GetLatest().GetDigest() {
				t.Errorf("%s: %s %d %s, recorded %s %d %s", state, g.GetName(), g.GetManifestsCount(), g.GetLatest().GetDigest(),
					w.GetName(), w.GetManifestsCount(), w.GetLatest().GetDigest())
			}
		}
	}
}

// The real Diun's outage: the dashboard shows what the containers run (webapp 1.4, worker 2.1,
// cli 1.0.0 of a watch_repo image), acknowledged; pushes happen while it is down; after one
// reconcile every image it shows is at Diun's digest, the changed ones open and announced once.
func testRecordedOutage(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	diun.loadRecorded(t, "01-initial")
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}})
	diunDigest := func(ref string) string {
		repo, tag := splitRef(ref)
		diun.mu.Lock()
		defer diun.mu.Unlock()
		for _, m := range diun.images[repo] {
			if m.GetTag() == tag {
				return m.GetDigest()
			}
		}
		return ""
	}
	running := []string{"127.0.0.1:5000/acme/webapp:1.4", "127.0.0.1:5000/acme/worker:2.1", "127.0.0.1:5000/tools/cli:1.0.0"}
	for _, ref := range running {
		created := t0
		res, err := st.Record(context.Background(), store.Notification{Hostname: "vm", Status: "new", Provider: "docker", Image: ref,
			Digest: diunDigest(ref), Created: &created, RawBody: []byte("{}")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetStates(context.Background(), []int64{res.ImageID}, store.Transition{State: store.StateAcknowledged}, "tester"); err != nil {
			t.Fatal(err)
		}
	}
	drainQueue(t, st) // those webhooks were announced
	// A first reconcile with nothing changed changes nothing (and backfills the newest tags).
	syncOne(t, r, diun.addr)
	if q := queued(t, st); len(q) != 0 {
		t.Fatalf("queued after a reconcile of an unchanged Diun: %v", q)
	}

	before := map[string]string{}
	for _, img := range listVM(t, st) {
		before[img.Image] = img.Digest
	}

	allowed := newestTags(diun, "127.0.0.1:5000/tools/cli")
	diun.loadRecorded(t, "03-after-outage-push")
	syncOne(t, r, diun.addr)
	allowed = append(allowed, newestTags(diun, "127.0.0.1:5000/tools/cli")...)
	after := listVM(t, st)
	var changed []string
	for _, img := range after {
		if want := diunDigest(img.Image); img.Digest != want {
			t.Errorf("%s = %s, Diun has %s", img.Image, img.Digest, want)
		}
		old, ok := before[img.Image]
		switch {
		case ok && old != img.Digest:
			changed = append(changed, img.Image)
			if img.State != store.StateOpen {
				t.Errorf("%s: %s, want reopened by the recovered digest", img.Image, img.State)
			}
		case img.State != store.StateAcknowledged:
			t.Errorf("%s (unchanged or backfilled) is %s", img.Image, img.State)
		}
	}
	// webapp 1.4 and worker 2.1 (run here) and webapp 1.5 (Diun's newest, backfilled before).
	if !slices.Contains(changed, "127.0.0.1:5000/acme/webapp:1.4") || !slices.Contains(changed, "127.0.0.1:5000/acme/worker:2.1") {
		t.Errorf("changed = %v", changed)
	}
	if q := queued(t, st); len(q) != len(changed) {
		t.Errorf("queued = %v, want each recovered update once (%v)", q, changed)
	}
	// cli has 34 tags in Diun: the one run here and its MaxBackfillTags newest at each
	// reconcile, no more.
	for _, img := range after {
		if repo, tag := splitRef(img.Image); repo == "127.0.0.1:5000/tools/cli" && tag != "1.0.0" && !slices.Contains(allowed, tag) {
			t.Errorf("cli:%s here: watch_repo must add only the %d newest", tag, MaxBackfillTags)
		}
	}
}

// newestTags is what wanted keeps of repo in diun's database for a dashboard without its tags.
func newestTags(diun *fakeDiun, repo string) []string {
	diun.mu.Lock()
	defer diun.mu.Unlock()
	var tags []string
	for _, m := range wanted(diun.images[repo], nil) {
		tags = append(tags, m.GetTag())
	}
	return tags
}

func listVM(t testing.TB, st store.Store) []store.Image {
	t.Helper()
	p, err := st.ListImages(context.Background(), store.ImageFilter{Hostname: "vm"}, store.SortImage, store.PageRequest{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return p.Images
}

// drainQueue plays the notifier announcing what is queued.
func drainQueue(t testing.TB, st store.Store) {
	t.Helper()
	if _, err := st.ComposeQueued(context.Background(), 1000, nil, time.Now(), func([]store.QueuedUpdate) (*store.OutboxMessage, error) {
		return &store.OutboxMessage{Kind: store.OutboxNew}, nil
	}); err != nil {
		t.Fatal(err)
	}
}
