package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"diundashboard/server/live"
	"diundashboard/server/store"
	"diundashboard/server/triage"
)

// The scenarios run against both stores: TestSQLite here, TestPostgres with the postgres tag.
func runScenarios(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, sc := range []struct {
		name string
		run  func(t *testing.T, st store.Store)
	}{
		{"OutageThenRecover", testOutageThenRecover},
		{"Backfill", testBackfill},
		{"WatchRepoTags", testWatchRepoTags},
		{"LearnHostname", testLearnHostname},
		{"NeverBackwards", testNeverBackwards},
		{"EqualOrOlderCreated", testEqualOrOlderCreated},
		{"NamedTags", testNamedTags},
		{"Lease", testLeaseOnce},
		{"ManyDiuns", testManyDiuns},
		{"RecordedOutage", testRecordedOutage},
		{"HostMismatch", testHostMismatch},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, newStore(t)) })
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newReconciler(t testing.TB, st store.Store, opts Options) *Reconciler {
	t.Helper()
	opts.Store = st
	if opts.Record == nil {
		opts.Record = triage.New(st, live.NewHub(), nil).Record
	}
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	if opts.Interval == 0 {
		opts.Interval = 15 * time.Minute
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// webhook records what Diun would have sent.
func webhook(t testing.TB, st store.Store, host, image string, dig int, created time.Time) store.RecordResult {
	t.Helper()
	res, err := st.Record(context.Background(), store.Notification{DiunVersion: "v4.33.0", Hostname: host, Status: "update",
		Provider: "docker", Image: image, Digest: digest(dig), Created: &created, Platform: "linux/amd64",
		Metadata: map[string]string{"ctn_names": "web-1"}, RawBody: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func imageOf(t testing.TB, st store.Store, host, image string) store.Image {
	t.Helper()
	p, err := st.ListImages(context.Background(), store.ImageFilter{Hostname: host, Query: image}, store.SortImage, store.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range p.Images {
		if img.Image == image {
			return img
		}
	}
	t.Fatalf("no image %s on %s", image, host)
	return store.Image{}
}

func eventsOf(t testing.TB, st store.Store, id int64) []store.Event {
	t.Helper()
	p, err := st.ListEvents(context.Background(), id, store.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return p.Events
}

// queued is what waits to be announced (peeked, left queued).
func queued(t testing.TB, st store.Store) []string {
	t.Helper()
	var out []string
	_, err := st.ComposeQueued(context.Background(), 1000, []store.OutboxTarget{{Key: "k", Label: "x"}}, time.Now(), func(items []store.QueuedUpdate) (*store.OutboxMessage, error) {
		for _, it := range items {
			out = append(out, it.Image+"@"+it.QueuedDigest[len(it.QueuedDigest)-2:])
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func syncOne(t testing.TB, r *Reconciler, addr string) {
	t.Helper()
	if err := r.Sync(context.Background(), addr); err != nil {
		t.Fatalf("Sync(%s): %v", addr, err)
	}
}

var t0 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// The dashboard is down while Diun sees a push: the webhook is lost. The next reconcile records
// the new digest as recovered, reopens the acknowledged image, queues it for announcing once;
// a second reconcile and the late webhook add nothing.
func testOutageThenRecover(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	const image = "docker.io/library/nginx"
	diun.push(image, "1.29-alpine", 1, t0)
	res := webhook(t, st, "vm", image+":1.29-alpine", 1, t0)
	if _, err := st.SetStates(context.Background(), []int64{res.ImageID}, store.Transition{State: store.StateAcknowledged}, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ComposeQueued(context.Background(), 1000, nil, time.Now(), func([]store.QueuedUpdate) (*store.OutboxMessage, error) {
		return &store.OutboxMessage{Kind: store.OutboxNew}, nil // the first digest was announced
	}); err != nil {
		t.Fatal(err)
	}
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}})

	diun.push(image, "1.29-alpine", 2, t0.Add(time.Hour)) // the webhook of this is lost
	syncOne(t, r, diun.addr)
	img := imageOf(t, st, "vm", image+":1.29-alpine")
	if img.Digest != digest(2) || img.State != store.StateOpen || img.Provider != "docker" || img.Metadata["ctn_names"] != "web-1" {
		t.Fatalf("after reconcile: %s %s provider %q metadata %v; want digest 2, reopened, what the webhook said kept", img.Digest, img.State, img.Provider, img.Metadata)
	}
	ev := eventsOf(t, st, img.ID)
	if len(ev) != 2 || ev[0].Source != store.SourceReconcile || !strings.Contains(ev[0].RawBody, diun.addr) {
		t.Fatalf("events = %+v; want the recovered one on top", ev[0])
	}
	if q := queued(t, st); len(q) != 1 || q[0] != image+":1.29-alpine@02" {
		t.Fatalf("queued = %v, want the recovered digest once", q)
	}
	st0 := r.Statuses()[0]
	if !st0.Reachable || st0.RecoveredTotal != 1 || len(st0.Recovered) != 1 || st0.DiunImages != 1 || st0.Here != 1 {
		t.Errorf("status = %+v", st0)
	}

	syncOne(t, r, diun.addr)                                         // idempotent
	webhook(t, st, "vm", image+":1.29-alpine", 2, t0.Add(time.Hour)) // the late webhook
	if ev := eventsOf(t, st, img.ID); len(ev) != 3 {
		t.Errorf("events = %d, want 3 (the late webhook is kept as Diun's word, nothing else)", len(ev))
	}
	if q := queued(t, st); len(q) != 1 {
		t.Errorf("queued = %v, want still one announcement", q)
	}
	if got := imageOf(t, st, "vm", image+":1.29-alpine"); got.State != store.StateOpen || got.Digest != digest(2) {
		t.Errorf("after the late webhook: %s %s", got.Digest, got.State)
	}
}

// A fresh dashboard next to a Diun shows what it knows at once, as known: nothing open,
// nothing announced, one row per tag (at most MaxBackfillTags per repository).
func testBackfill(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	diun.loadFixtures(t)
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}})
	start := time.Now()
	syncOne(t, r, diun.addr)
	t.Logf("backfill took %s", time.Since(start))
	sum, err := st.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, tot := sum.ByHost(); tot.Open != 0 || tot.Acknowledged != 7 {
		t.Errorf("totals = %+v, want the 7 tags known (acknowledged), none open", tot)
	}
	if q := queued(t, st); len(q) != 0 {
		t.Errorf("queued = %v, want nothing announced", q)
	}
	redis := imageOf(t, st, "vm", "docker.io/library/redis:8.0")
	if ev := eventsOf(t, st, redis.ID); len(ev) != 1 || ev[0].Source != store.SourceBackfill || redis.Created == nil {
		t.Errorf("redis events = %+v", ev)
	}
	several := 0
	for _, ms := range diun.images {
		if len(ms) > 1 {
			several++
		}
	}
	if diun.inspects != several {
		t.Errorf("ImageInspect called %d times, want once per image with several tags (%d)", diun.inspects, several)
	}
	s := r.Statuses()[0]
	if s.DiunImages != 3 || s.DiunTags != 7 || s.Here != 7 || s.BackfilledTotal != 7 {
		t.Errorf("status = %+v", s)
	}
}

// watch_repo: the tags the dashboard shows are kept up to date, and Diun's newest others are
// added (all of redis's 5 here, fewer than MaxBackfillTags).
func testWatchRepoTags(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	diun.loadFixtures(t)
	webhook(t, st, "vm", "docker.io/library/redis:7.2", 0x72, t0.AddDate(-1, 0, 0)) // an older 7.2
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}})
	syncOne(t, r, diun.addr)
	img := imageOf(t, st, "vm", "docker.io/library/redis:7.2")
	if img.Digest != "sha256:3333333333333333333333333333333333333333333333333333333333333372" {
		t.Errorf("redis:7.2 = %s, want Diun's", img.Digest)
	}
	p, _ := st.ListImages(context.Background(), store.ImageFilter{Hostname: "vm", Query: "redis"}, store.SortImage, store.PageRequest{Limit: 100})
	var refs []string
	for _, i := range p.Images {
		refs = append(refs, i.Image)
	}
	if len(refs) != len(diun.images["docker.io/library/redis"]) {
		t.Errorf("redis images = %v, want every tag Diun has", refs)
	}
}

// Without a hostname in DIUN_GRPC, NotifTest's notification (through the webhook) names it,
// once: a restart reads it back instead of sending another test to every notifier.
func testLearnHostname(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	diun.loadFixtures(t)
	diun.onNotifTest = func() {
		go func() { // Diun sends it after answering, from its notifier
			time.Sleep(50 * time.Millisecond)
			created := time.Date(2020, 3, 26, 12, 23, 56, 0, time.UTC)
			_, _ = st.Record(context.Background(), store.Notification{DiunVersion: "v4.33.0", Hostname: "nas", Status: "new", Provider: "file",
				Image: store.TestImage, Digest: digest(0xdead), Created: &created, RawBody: []byte("{}")})
		}()
	}
	r := newReconciler(t, st, Options{Targets: []Target{{Addr: diun.addr}}, LearnTimeout: 10 * time.Second})
	syncOne(t, r, diun.addr)
	s := r.Statuses()[0]
	if s.Host != "nas" || !s.Learned || s.Here != 7 {
		t.Fatalf("status = %+v, want host nas learned and 7 images", s)
	}
	r2 := newReconciler(t, st, Options{Targets: []Target{{Addr: diun.addr}}, Holder: "second"})
	if err := r2.Sync(context.Background(), diun.addr); err != nil {
		t.Fatal(err)
	}
	if diun.notifTests != 1 {
		t.Errorf("NotifTest called %d times, want once", diun.notifTests)
	}
}

// A webhook that arrives after reconcile read Diun's answer is newer than that answer: it is
// never undone, and the refusal is counted.
func testNeverBackwards(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	const image = "ghcr.io/acme/webapp"
	diun.push(image, "1.4", 1, t0)
	webhook(t, st, "vm", image+":1.4", 0, t0.Add(-time.Hour))
	record := triage.New(st, live.NewHub(), nil).Record
	raced := false
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}},
		Record: func(ctx context.Context, n store.Notification) (store.RecordResult, error) {
			if !raced { // the push's webhook arrives between ImageList and the write
				raced = true
				time.Sleep(2 * time.Millisecond)
				webhook(t, st, "vm", image+":1.4", 2, t0.Add(time.Hour))
			}
			return record(ctx, n)
		}})
	syncOne(t, r, diun.addr)
	if img := imageOf(t, st, "vm", image+":1.4"); img.Digest != digest(2) || img.Notifications != 2 {
		t.Errorf("image = %s (%d notifications), want the newer webhook's digest untouched", img.Digest, img.Notifications)
	}
	var m dto.Metric
	if err := r.metrics.refused.WithLabelValues(diun.addr).Write(&m); err != nil || m.GetCounter().GetValue() != 1 {
		got := m.GetCounter().GetValue()
		t.Errorf("refused = %v, want 1", got)
	}
	// A digest the image had before is older than its current one: never restored.
	diun.push(image, "1.4", 0, t0.Add(2*time.Hour))
	syncOne(t, r, diun.addr)
	if img := imageOf(t, st, "vm", image+":1.4"); img.Digest != digest(2) {
		t.Errorf("image = %s, want 2: digest 0 is in its history", img.Digest)
	}
}

// Diun keeps only each tag's current digest: one the dashboard never had is recovered even
// when its created equals the row's (reproducible builds) or is older (a rollback).
func testEqualOrOlderCreated(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	const image = "ghcr.io/acme/webapp"
	webhook(t, st, "vm", image+":1.4", 1, t0)
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}})
	diun.push(image, "1.4", 2, t0) // SOURCE_DATE_EPOCH: the same created
	syncOne(t, r, diun.addr)
	if img := imageOf(t, st, "vm", image+":1.4"); img.Digest != digest(2) {
		t.Fatalf("equal created: image = %s, want Diun's 2", img.Digest)
	}
	diun.push(image, "1.4", 3, t0.AddDate(0, -1, 0)) // a rollback to an older build
	syncOne(t, r, diun.addr)
	if img := imageOf(t, st, "vm", image+":1.4"); img.Digest != digest(3) {
		t.Fatalf("older created: image = %s, want Diun's 3", img.Digest)
	}
	if s := r.Statuses()[0]; s.RecoveredTotal != 2 {
		t.Errorf("recovered = %d, want 2", s.RecoveredTotal)
	}
}

// Two replicas: on their timers, one reconciles and the other skips until an interval has
// passed; a replica that starts (a restart, a new holder) reconciles at once all the same.
func testLeaseOnce(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	diun.loadFixtures(t)
	opts := func(holder string) Options {
		return Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}, Holder: holder, Interval: time.Hour}
	}
	a, b := newReconciler(t, st, opts("a")), newReconciler(t, st, opts("b"))
	ctx := context.Background()
	if err := a.sync(ctx, a.instances[0], true); err != nil {
		t.Fatal(err)
	}
	if err := b.sync(ctx, b.instances[0], true); err != nil {
		t.Fatal(err)
	}
	if sa, sb := a.Statuses()[0], b.Statuses()[0]; sa.LastRun.IsZero() || !sb.Skipped || !sb.LastRun.IsZero() {
		t.Errorf("a = %+v\nb = %+v; want a ran and b skipped", sa, sb)
	}
	// A dashboard that restarts is a new holder: its start's run does not wait out the
	// others' interval (it waited up to 13 minutes: found with the real Diun).
	restarted := newReconciler(t, st, opts("a-restarted"))
	syncOne(t, restarted, diun.addr)
	if s := restarted.Statuses()[0]; s.Skipped || s.LastRun.IsZero() {
		t.Errorf("the restarted dashboard's first run was skipped: %+v", s)
	}
}

// Five Diuns of 2,000 images each, one of them changed 100 images while the dashboard was
// away: everything lands, once. (The time and memory: BenchmarkReconcile5x2000.)
func testManyDiuns(t *testing.T, st store.Store) {
	if testing.Short() {
		t.Skip("short")
	}
	diuns := fleet(t, 5, 2000)
	r := newReconciler(t, st, Options{Targets: targets(diuns)})
	syncAll(t, r, diuns)
	for i, d := range diuns[0:1] {
		for j := range 100 {
			d.push(fmt.Sprintf("registry.example/app%d", j), "1", 1000000+j, t0.Add(time.Hour))
		}
		_ = i
	}
	syncAll(t, r, diuns)
	sum, err := st.Summary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, tot := sum.ByHost(); tot.Open != 100 || tot.Acknowledged != 9900 {
		t.Errorf("totals = %+v, want 100 recovered (open) and 9,900 known", tot)
	}
	if q := queued(t, st); len(q) != 100 {
		t.Errorf("queued = %d, want 100", len(q))
	}
}

// fleet starts n fake Diuns of size images each, on hosts host0…
func fleet(t testing.TB, n, size int) []*fakeDiun {
	var out []*fakeDiun
	for i := range n {
		d := newFakeDiun(t)
		for j := range size {
			d.push(fmt.Sprintf("registry.example/app%d", j), "1", i*100000+j+1, t0)
		}
		out = append(out, d)
	}
	return out
}

func targets(diuns []*fakeDiun) []Target {
	var out []Target
	for i, d := range diuns {
		out = append(out, Target{Host: fmt.Sprintf("host%d", i), Addr: d.addr})
	}
	return out
}

func syncAll(t testing.TB, r *Reconciler, diuns []*fakeDiun) {
	t.Helper()
	errs := make(chan error, len(diuns))
	for _, d := range diuns {
		go func() { errs <- r.Sync(context.Background(), d.addr) }()
	}
	for range diuns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Faults need no second store: a Diun that is down, hangs or answers garbage fails its run
// with an error that names it, within the call timeout, and webhooks are stored meanwhile.
func TestFaults(t *testing.T) {
	st := newSQLite(t)
	hanging := newFakeDiun(t)
	hanging.loadFixtures(t)
	hanging.hang = true
	down := deadAddr(t)
	garbage := garbageServer(t)
	r := newReconciler(t, st, Options{CallTimeout: 500 * time.Millisecond, Targets: []Target{
		{Host: "a", Addr: hanging.addr}, {Host: "b", Addr: down}, {Host: "c", Addr: garbage}}})

	done := make(chan error, 1)
	go func() { done <- r.Sync(context.Background(), hanging.addr) }()
	// A webhook while the reconcile waits on the hanging Diun is stored at once.
	stored := make(chan struct{})
	go func() { webhook(t, st, "a", "docker.io/library/nginx:1", 1, t0); close(stored) }()
	select {
	case <-stored:
	case <-done:
		t.Fatal("the reconcile ended before the webhook was stored: the Diun did not hang")
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "DeadlineExceeded") {
		t.Errorf("hanging Diun: %v, want a deadline error", err)
	}
	for _, addr := range []string{down, garbage} {
		if err := r.Sync(context.Background(), addr); err == nil {
			t.Errorf("%s: no error", addr)
		}
	}
	for _, s := range r.Statuses() {
		if s.Reachable || s.Err == "" || s.LastRun.IsZero() {
			t.Errorf("%s: %+v, want unreachable with its error", s.Addr, s)
		}
	}
	// Run keeps retrying with backoff and never panics nor exits while ctx lives.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r.opts.RetryMin = 50 * time.Millisecond
	r.Run(ctx)
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("Run returned before its context ended")
	}
}

// deadAddr is an address where nothing listens.
func deadAddr(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// garbageServer accepts connections and answers bytes that are not HTTP/2.
func garbageServer(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello\x00\xff\xfe garbage"))
			c.Close()
		}
	}()
	return lis.Addr().String()
}

// A webhook from a host silent for longer than the interval reconciles its Diun at once; one
// from a host that spoke recently does not.
func TestWebhookFromSilentHostReconciles(t *testing.T) {
	st := newSQLite(t)
	diun := newFakeDiun(t)
	diun.push("docker.io/library/nginx", "1", 1, t0)
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}, Interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool { return !r.Statuses()[0].LastRun.IsZero() }) // the start's run
	first := r.Statuses()[0].LastRun

	// The lease is this replica's own: it may run again before the interval ends.
	diun.push("docker.io/library/nginx", "1", 2, t0.Add(time.Hour))
	now := time.Now()
	r.Observe("vm", now.Add(-time.Minute))
	r.Observe("vm", now) // a minute later: not silent
	time.Sleep(300 * time.Millisecond)
	if r.Statuses()[0].LastRun != first {
		t.Fatal("a webhook from a host that spoke a minute ago started a reconcile")
	}
	r.Observe("vm", now.Add(2*time.Hour)) // two hours of silence, interval one hour
	waitFor(t, func() bool { return r.Statuses()[0].LastRun != first })
	if img := imageOf(t, st, "vm", "docker.io/library/nginx:1"); img.Digest != digest(2) {
		t.Errorf("after the silent host's webhook: %s, want digest 2", img.Digest)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}

// A broken webhook path: the one NotifTest of this start sends its test message, nothing
// arrives, and the retries with backoff never send another (each would reach every notifier).
func TestNotifTestOncePerStart(t *testing.T) {
	st := newSQLite(t)
	diun := newFakeDiun(t)
	diun.loadFixtures(t) // onNotifTest is nil: the test notification never reaches the webhook
	r := newReconciler(t, st, Options{Targets: []Target{{Addr: diun.addr}},
		LearnTimeout: 100 * time.Millisecond, RetryMin: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r.Run(ctx)
	diun.mu.Lock()
	calls := diun.notifTests
	diun.mu.Unlock()
	if calls != 1 {
		t.Errorf("NotifTest called %d times in a second of retries, want once", calls)
	}
	if s := r.Statuses()[0]; !strings.Contains(s.Err, "none reached the webhook") || !strings.Contains(s.Err, "until the dashboard restarts") {
		t.Errorf("status error = %q, want why and that no other test is sent", s.Err)
	}
}

// Tags a user named in Diun all show. Of the tags the dashboard did not have, one created
// after the host's last notification appeared while the dashboard was away: a recovered update
// (open, announced); an older one is known. Both are described as the repository's other tag
// (provider, metadata) and are updates of an image the dashboard has. A repository with more
// tags than MaxBackfillTags gets its newest ones only.
func testNamedTags(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	const app = "ghcr.io/acme/webapp"
	created := t0.Add(-48 * time.Hour)
	res, err := st.Record(context.Background(), store.Notification{DiunVersion: "v4.33.0", Hostname: "vm", Status: "new",
		Provider: "docker", Image: app + ":1.4", Digest: digest(1), Created: &created, Platform: "linux/amd64",
		Metadata: map[string]string{"ctn_names": "web-1"}, RawBody: []byte("{}"), ReceivedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetStates(context.Background(), []int64{res.ImageID}, store.Transition{State: store.StateAcknowledged}, "tester"); err != nil {
		t.Fatal(err)
	}
	drainQueue(t, st)
	diun.push(app, "1.4", 1, created)
	diun.push(app, "1.5", 2, t0.Add(-time.Hour))   // before the last notification: known
	diun.push(app, "latest", 3, t0.Add(time.Hour)) // while the dashboard was away: missed
	const tool = "ghcr.io/acme/tool"
	for i := range MaxBackfillTags + 5 {
		diun.push(tool, fmt.Sprintf("v%d", i), 100+i, t0.Add(time.Duration(i)*time.Minute))
	}
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "vm", Addr: diun.addr}}})
	syncOne(t, r, diun.addr)

	known := imageOf(t, st, "vm", app+":1.5")
	if known.State != store.StateAcknowledged || known.Status != "update" || known.Provider != "docker" || known.Metadata["ctn_names"] != "web-1" {
		t.Errorf("1.5 = %s %s provider %q metadata %v; want known, an update, described as 1.4", known.State, known.Status, known.Provider, known.Metadata)
	}
	missed := imageOf(t, st, "vm", app+":latest")
	if missed.State != store.StateOpen || missed.Status != "update" || missed.Provider != "docker" || missed.Metadata["ctn_names"] != "web-1" {
		t.Errorf("latest = %s %s provider %q metadata %v; want open, an update, described as 1.4", missed.State, missed.Status, missed.Provider, missed.Metadata)
	}
	if ev := eventsOf(t, st, missed.ID); len(ev) != 1 || ev[0].Source != store.SourceReconcile {
		t.Errorf("latest events = %+v, want one reconcile", ev)
	}
	if q := queued(t, st); len(q) != 1 || q[0] != app+":latest@03" {
		t.Errorf("queued = %v, want the missed latest only", q)
	}
	p, err := st.ListImages(context.Background(), store.ImageFilter{Hostname: "vm", Query: tool}, store.SortImage, store.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Images) != MaxBackfillTags {
		t.Errorf("%d tool tags, want the newest %d", len(p.Images), MaxBackfillTags)
	}
	for _, img := range p.Images {
		if img.Image == tool+":v0" || img.Provider != "" {
			t.Errorf("tool tag %s (provider %q): want the newest only, undescribed (no other tag here)", img.Image, img.Provider)
		}
	}
	// A later push of a named tag is a recovered update, not lost.
	diun.push(app, "1.5", 4, t0.Add(2*time.Hour))
	syncOne(t, r, diun.addr)
	if got := imageOf(t, st, "vm", app+":1.5"); got.Digest != digest(4) || got.State != store.StateOpen {
		t.Errorf("1.5 after a push = %s %s, want Diun's digest, open", got.Digest, got.State)
	}
}
