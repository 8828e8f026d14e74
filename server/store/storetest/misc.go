package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

func summaryTests() []test {
	return []test{
		{"Empty", testSummaryEmpty},
		{"CountsPerHostAndState", testSummaryCounts},
		{"ChecksOnly", testSummaryChecksOnly},
		{"CountEventsPerDay", testCountEventsPerDay},
	}
}

func pruneTests() []test {
	return []test{
		{"OnlyOlderEvents", testPruneOlder},
		{"ManyBatches", testPruneBatches},
		{"NothingToPrune", testPruneNothing},
	}
}

func settingTests() []test {
	return []test{
		{"GetPut", testSettings},
		{"InitFirstWriterWins", testInitSetting},
		{"InitConcurrently", testInitSettingConcurrent},
	}
}

func lifecycleTests() []test {
	return []test{
		{"PingAndDialect", testPing},
		{"Close", testClose},
	}
}

func testSummaryEmpty(t *testing.T, s store.Store) {
	sum, err := s.Summary(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Counts) != 0 || sum.LastNotification != nil || sum.LastCheck != nil {
		t.Errorf("Summary of an empty store = %+v, want nothing", sum)
	}
}

// testSummaryChecksOnly: `diun notif test` proves the connection; it is not a notification
// about an image, so a store that only received checks has a LastCheck and no
// LastNotification, and nothing in the chart.
func testSummaryChecksOnly(t *testing.T, s store.Store) {
	record(t, s, checkNote(at(-time.Minute)))
	record(t, s, checkNote(at(0)))
	sum, err := s.Summary(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if sum.LastNotification != nil || !sameTimePtr(sum.LastCheck, ptr(at(0))) || len(sum.Counts) != 0 {
		t.Errorf("Summary after two checks = LastNotification %s, LastCheck %s, %d counts; want no notification, the check at %s, no image",
			fmtTimePtr(sum.LastNotification), fmtTimePtr(sum.LastCheck), len(sum.Counts), at(0))
	}
	if days, err := s.CountEventsPerDay(ctx(t), at(-48*time.Hour)); err != nil || len(days) != 0 {
		t.Errorf("CountEventsPerDay after two checks = %+v, %v; want no day: checks are not notifications", days, err)
	}
}

func testSummaryCounts(t *testing.T, s store.Store) {
	type hs struct {
		host  string
		state store.State
	}
	plan := map[hs]int{
		{"alpha", store.StateOpen}:         3,
		{"alpha", store.StateAcknowledged}: 1,
		{"alpha", store.StateSnoozed}:      2,
		{"beta", store.StateOpen}:          1,
		{"beta", store.StateIgnored}:       2,
		{"", store.StateOpen}:              1, // Diun may send an empty hostname
	}
	i := 0
	for k, n := range plan {
		for range n {
			i++
			id := record(t, s, note(k.host, fmt.Sprintf("docker.io/acme/s%d:1", i), i, at(time.Duration(i)*time.Second))).ImageID
			record(t, s, note(k.host, fmt.Sprintf("docker.io/acme/s%d:1", i), i, at(time.Duration(i)*time.Second+time.Millisecond)))
			if k.state != store.StateOpen {
				setState(t, s, id, k.state, snoozeTime(k.state))
			}
		}
	}
	lastImage := at(time.Duration(i)*time.Second + time.Millisecond)
	record(t, s, checkNote(at(-time.Hour)))

	sum, err := s.Summary(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[hs]int{}
	for _, c := range sum.Counts {
		k := hs{c.Hostname, c.State}
		if _, dup := got[k]; dup {
			t.Errorf("Summary counts %v twice", k)
		}
		got[k] = int(c.Images)
		if c.Images <= 0 {
			t.Errorf("Summary has an empty count %+v", c)
		}
	}
	if len(got) != len(plan) {
		t.Errorf("Summary.Counts = %+v, want %v", sum.Counts, plan)
	}
	for k, n := range plan {
		if got[k] != n {
			t.Errorf("Summary %q %s = %d, want %d", k.host, k.state, got[k], n)
		}
	}
	if !sameTimePtr(sum.LastNotification, &lastImage) {
		t.Errorf("LastNotification = %s, want %s", fmtTimePtr(sum.LastNotification), lastImage)
	}
	if !sameTimePtr(sum.LastCheck, ptr(at(-time.Hour))) {
		t.Errorf("LastCheck = %s, want %s", fmtTimePtr(sum.LastCheck), at(-time.Hour))
	}

	// A check newer than every update is a connection check, not a notification: only
	// LastCheck moves.
	record(t, s, checkNote(at(time.Hour)))
	sum, err = s.Summary(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !sameTimePtr(sum.LastNotification, &lastImage) || !sameTimePtr(sum.LastCheck, ptr(at(time.Hour))) {
		t.Errorf("after a newer check: LastNotification %s LastCheck %s, want %s and %s",
			fmtTimePtr(sum.LastNotification), fmtTimePtr(sum.LastCheck), lastImage, at(time.Hour))
	}
	total := 0
	for _, c := range sum.Counts {
		total += int(c.Images)
	}
	if total != i {
		t.Errorf("Summary counts %d images, want %d: checks are not images", total, i)
	}
}

func testCountEventsPerDay(t *testing.T, s store.Store) {
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	received := []time.Time{
		day.Add(-time.Second),                  // the day before: outside the range
		day.Add(time.Second),                   // day 0
		day.Add(23*time.Hour + 59*time.Minute), // day 0
		day.Add(24 * time.Hour),                // day 1, exactly midnight
		day.Add(72*time.Hour + 5*time.Hour),    // day 3
	}
	for i, r := range received {
		record(t, s, note("h", fmt.Sprintf("docker.io/library/app%d:1", i), i, r))
	}
	// Test notifications are connection checks, not updates: they are not counted, and a day
	// that had only a check has no entry.
	record(t, s, checkNote(day.Add(25*time.Hour)))
	record(t, s, checkNote(day.Add(48*time.Hour+time.Hour)))

	got, err := s.CountEventsPerDay(ctx(t), day)
	if err != nil {
		t.Fatalf("CountEventsPerDay: %v", err)
	}
	want := []store.DayCount{{Day: day, Events: 2}, {Day: day.AddDate(0, 0, 1), Events: 1}, {Day: day.AddDate(0, 0, 3), Events: 1}}
	if len(got) != len(want) {
		t.Fatalf("CountEventsPerDay = %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Day.Equal(want[i].Day) || got[i].Events != want[i].Events {
			t.Errorf("day %d = %s: %d, want %s: %d", i, got[i].Day.Format(time.DateOnly), got[i].Events, want[i].Day.Format(time.DateOnly), want[i].Events)
		}
	}
	if got, err := s.CountEventsPerDay(ctx(t), far); err != nil || len(got) != 0 {
		t.Errorf("CountEventsPerDay(far future) = %+v, %v; want nothing", got, err)
	}
}

func snoozeTime(st store.State) *time.Time {
	if st == store.StateSnoozed {
		return ptr(at(1000 * time.Hour))
	}
	return nil
}

func testPruneOlder(t *testing.T, s store.Store) {
	cutoff := at(-24 * time.Hour)
	a1 := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(-48*time.Hour)))
	record(t, s, note("host", "docker.io/library/nginx:1", 1, at(-30*time.Hour)))
	a3 := record(t, s, note("host", "docker.io/library/nginx:1", 2, at(-time.Hour)))
	onCutoff := record(t, s, note("host", "docker.io/library/nginx:1", 2, cutoff))
	justBefore := record(t, s, note("host", "docker.io/library/redis:7", 1, cutoff.Add(-time.Microsecond)))
	record(t, s, checkNote(at(-40*time.Hour)))
	newCheck := record(t, s, checkNote(at(-2*time.Hour)))
	setState(t, s, a1.ImageID, store.StateAcknowledged, nil)
	tag := createTag(t, s, "kept")
	attach(t, s, justBefore.ImageID, tag.ID)
	imageBefore := getImage(t, s, a1.ImageID)

	n, err := s.CountEventsBefore(ctx(t), cutoff)
	if err != nil || n != 4 {
		t.Fatalf("CountEventsBefore = %d, %v; want 4", n, err)
	}
	pruned, err := s.PruneEvents(ctx(t), cutoff)
	if err != nil || pruned != n {
		t.Fatalf("PruneEvents = %d, %v; want %d, as CountEventsBefore said", pruned, err, n)
	}
	if n, err := s.CountEventsBefore(ctx(t), cutoff); err != nil || n != 0 {
		t.Errorf("CountEventsBefore after pruning = %d, %v; want 0", n, err)
	}
	if n := countAllEvents(t, s); n != 3 {
		t.Errorf("%d events left, want 3", n)
	}
	// Current rows stay, with their counters and state.
	img := getImage(t, s, a1.ImageID)
	if img.Notifications != imageBefore.Notifications || img.State != store.StateAcknowledged || !img.FirstSeen.Equal(imageBefore.FirstSeen) || img.Digest != digest(2) {
		t.Errorf("pruning changed the current row: %+v", img)
	}
	if got := eventIDs(allEvents(t, s, a1.ImageID, 0)); !slices.Equal(got, []int64{onCutoff.EventID, a3.EventID}) {
		t.Errorf("events left: %v, want %v (the one exactly at the cutoff stays)", got, []int64{onCutoff.EventID, a3.EventID})
	}
	// An image whose every event is gone is still listed, and still tagged.
	redis := getImage(t, s, justBefore.ImageID)
	if len(redis.Tags) != 1 {
		t.Errorf("pruning removed tags: %v", redis.Tags)
	}
	if events := allEvents(t, s, justBefore.ImageID, 0); len(events) != 0 {
		t.Errorf("redis still has %d events", len(events))
	}
	if all := listAll(t, s, store.ImageFilter{}, store.SortLastSeen, 0); len(all) != 2 {
		t.Errorf("%d current rows after pruning, want 2", len(all))
	}
	checks, err := s.ListChecks(ctx(t), 10)
	if err != nil || !slices.Equal(eventIDs(checks), []int64{newCheck.EventID}) {
		t.Errorf("checks after pruning: %v, %v; want [%d]", eventIDs(checks), err, newCheck.EventID)
	}
	if sum, err := s.Summary(ctx(t)); err != nil || !sameTimePtr(sum.LastNotification, ptr(at(-time.Hour))) {
		t.Errorf("LastNotification after pruning = %s, %v; want %s", fmtTimePtr(sum.LastNotification), err, at(-time.Hour))
	}
}

// testPruneBatches: PruneEvents works in batches; it must not stop after the first, even when
// the total is an exact multiple of any batch size up to 1000.
func testPruneBatches(t *testing.T, s store.Store) {
	const (
		old    = 2000
		recent = 10
		images = 20
	)
	cutoff := at(-24 * time.Hour)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				received := at(-100*time.Hour + time.Duration(i)*time.Second)
				if i >= old {
					received = at(time.Duration(i) * time.Second)
				}
				n := note(fmt.Sprintf("host-%d", i%2), fmt.Sprintf("docker.io/acme/p%d:1", i%images), i, received)
				if _, err := s.Record(ctx(t), n); err != nil {
					t.Errorf("Record %d: %v", i, err)
				}
			}
		}()
	}
	for i := range old + recent {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	n, err := s.CountEventsBefore(ctx(t), cutoff)
	if err != nil || n != old {
		t.Fatalf("CountEventsBefore = %d, %v; want %d", n, err, old)
	}
	pruned, err := s.PruneEvents(ctx(t), cutoff)
	if err != nil || pruned != old {
		t.Fatalf("PruneEvents = %d, %v; want %d", pruned, err, old)
	}
	if left := countAllEvents(t, s); left != recent {
		t.Errorf("%d events left, want %d", left, recent)
	}
	all := listAll(t, s, store.ImageFilter{}, store.SortImage, 0)
	if len(all) != images {
		t.Errorf("%d current rows after pruning, want %d", len(all), images)
	}
	var notifications int64
	for _, img := range all {
		notifications += img.Notifications
	}
	if notifications != old+recent {
		t.Errorf("notifications add up to %d after pruning, want %d: counters are not history", notifications, old+recent)
	}
	// One more event just under the cutoff, then a prune of exactly one.
	record(t, s, note("host-0", "docker.io/acme/p0:1", 1, cutoff.Add(-time.Second)))
	if pruned, err := s.PruneEvents(ctx(t), cutoff); err != nil || pruned != 1 {
		t.Errorf("PruneEvents of one = %d, %v", pruned, err)
	}
}

func testPruneNothing(t *testing.T, s store.Store) {
	if n, err := s.PruneEvents(ctx(t), far); err != nil || n != 0 {
		t.Errorf("PruneEvents on an empty store = %d, %v", n, err)
	}
	record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	if n, err := s.PruneEvents(ctx(t), at(-time.Hour)); err != nil || n != 0 {
		t.Errorf("PruneEvents with nothing older = %d, %v", n, err)
	}
	if n, err := s.CountEventsBefore(ctx(t), at(0)); err != nil || n != 0 {
		t.Errorf("CountEventsBefore(the event's own time) = %d, %v; want 0 (strictly before)", n, err)
	}
	if n, err := s.CountEventsBefore(ctx(t), at(time.Microsecond)); err != nil || n != 1 {
		t.Errorf("CountEventsBefore(a microsecond later) = %d, %v; want 1", n, err)
	}
}

func testSettings(t *testing.T, s store.Store) {
	_, err := s.Setting(ctx(t), "webhook_token")
	wantErr(t, "Setting of a missing key", err, store.ErrNotFound)

	if err := s.PutSetting(ctx(t), "webhook_token", "first"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(ctx(t), "webhook_token"); err != nil || v != "first" {
		t.Errorf("Setting = %q, %v; want first", v, err)
	}
	if err := s.PutSetting(ctx(t), "webhook_token", "second"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(ctx(t), "webhook_token"); err != nil || v != "second" {
		t.Errorf("Setting after overwrite = %q, %v; want second", v, err)
	}
	// Values are kept exactly: empty, long, unicode.
	values := map[string]string{
		"empty":   "",
		"long":    strings.Repeat("0123456789", 800),
		"unicode": "clé ✓ 日本語",
	}
	for k, v := range values {
		if err := s.PutSetting(ctx(t), k, v); err != nil {
			t.Fatalf("PutSetting(%s): %v", k, err)
		}
	}
	for k, v := range values {
		if got, err := s.Setting(ctx(t), k); err != nil || got != v {
			t.Errorf("Setting(%s) = %q, %v; want %q", k, truncate(got), err, truncate(v))
		}
	}
	_, err = s.Setting(ctx(t), "Webhook_Token")
	wantErr(t, "keys are case-sensitive", err, store.ErrNotFound)
}

func testInitSetting(t *testing.T, s store.Store) {
	v, err := s.InitSetting(ctx(t), "token", "a")
	if err != nil || v != "a" {
		t.Fatalf("InitSetting on a missing key = %q, %v; want a", v, err)
	}
	v, err = s.InitSetting(ctx(t), "token", "b")
	if err != nil || v != "a" {
		t.Errorf("InitSetting on a set key = %q, %v; want the first value a", v, err)
	}
	if v, err := s.Setting(ctx(t), "token"); err != nil || v != "a" {
		t.Errorf("Setting = %q, %v; want a", v, err)
	}
	if err := s.PutSetting(ctx(t), "token", "c"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.InitSetting(ctx(t), "token", "d"); err != nil || v != "c" {
		t.Errorf("InitSetting after PutSetting = %q, %v; want c", v, err)
	}
}

// testInitSettingConcurrent: replicas starting together all end up with one value.
func testInitSettingConcurrent(t *testing.T, s store.Store) {
	const n = 10
	var wg sync.WaitGroup
	got := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.InitSetting(ctx(t), "secret", fmt.Sprintf("value-%d", i))
			if err != nil {
				t.Errorf("InitSetting %d: %v", i, err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	if !slices.ContainsFunc(got, func(v string) bool { return v != "" }) {
		t.Fatal("no InitSetting returned a value")
	}
	stored, err := s.Setting(ctx(t), "secret")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != stored {
			t.Errorf("InitSetting %d returned %q, but %q is stored", i, v, stored)
		}
	}
	if !strings.HasPrefix(stored, "value-") {
		t.Errorf("stored value %q is none of the candidates", stored)
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(ctx(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}
	switch d := s.Dialect(); d {
	case store.DialectSQLite, store.DialectPostgres:
	default:
		t.Errorf("Dialect() = %q, want one of the store's dialects", d)
	}
}

func testClose(t *testing.T, s store.Store) {
	record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0)))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Record(ctx(t), note("host", "docker.io/library/nginx:1", 2, at(time.Second))); err == nil {
		t.Error("Record after Close succeeded")
	}
	if _, err := s.ListImages(ctx(t), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{}); err == nil {
		t.Error("ListImages after Close succeeded")
	}
	if err := s.Ping(ctx(t)); err == nil {
		t.Error("Ping after Close succeeded")
	}
	// Closing twice is harmless (the runner's cleanup closes again).
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
