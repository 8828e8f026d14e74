package notify

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

// B9: a grouped message to a destination without titles (generic+http drops the title) says
// the total and lists every host it names whole; the hosts without room are named.
func TestTitlelessDestinationGetsTheTotalAndWholeHosts(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, rcv.plainURL(), "2m", "off"), Options{Now: clk.Now, Logger: quietLogger()})
	for i := range 70 {
		if _, err := st.Record(t.Context(), notification(fmt.Sprintf("host%02d", i%14), fmt.Sprintf("img%02d:1", i), i, clk.Now(), start)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	got := rcv.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages; want 1", len(got))
	}
	body := got[0].Message
	if !strings.Contains(body, "70 new updates on 14 hosts") {
		t.Errorf("the total is missing:\n%s", body)
	}
	checkFits(t, &store.OutboxMessage{Body: body}, 1<<20, 70, "")
	for i := range 14 {
		if h := fmt.Sprintf("host%02d", i); !strings.Contains(body, h) {
			t.Errorf("%s is never named:\n%s", h, body)
		}
	}
}

// B10: a placeholder build date (1970, as reproducible builds stamp) is "build date not
// set", as on the page, never "built 20794 days ago".
func TestPlaceholderBuildDateIsNotAnAge(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, rcv.jsonURL(), "2m", "off"), Options{Now: clk.Now, Logger: quietLogger()})
	if _, err := st.Record(t.Context(), notification("h1", "distroless:1", 1, clk.Now(), time.Unix(0, 0).UTC())); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	got := rcv.messages()
	if len(got) != 1 || !strings.Contains(got[0].Message, "distroless:1: new digest, build date not set") || strings.Contains(got[0].Message, "days ago") {
		t.Fatalf("message about an image built at the epoch: %+v", got)
	}
}

// F3: the digest names the open images, a few per host, and counts the rest.
func TestDigestNamesTheImages(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: time.Date(2026, 11, 30, 7, 59, 0, 0, time.UTC)}
	svc := New(st, mustConfig(t, rcv.jsonURL(), "off", "daily@08:00"), Options{Now: clk.Now, Logger: quietLogger(), Location: time.UTC})
	for i := range 8 {
		if _, err := st.Record(t.Context(), notification("nas", fmt.Sprintf("app%d:1", i), i, clk.Now(), start)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Record(t.Context(), notification("pi", "pihole:2024", 9, clk.Now(), start)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	tick(t, svc)
	got := rcv.messages()
	if len(got) != 1 {
		t.Fatalf("%d digests; want 1", len(got))
	}
	for _, want := range []string{"nas: 8 open\n  app0:1, app1:1, app2:1, app3:1, app4:1 and 3 more\n", "pi: 1 open\n  pihole:2024\n"} {
		if !strings.Contains(got[0].Message, want) {
			t.Errorf("the digest does not say %q:\n%s", want, got[0].Message)
		}
	}
}

// A message retried after a failure leaves out an image acknowledged before it went.
func TestRetriedMessageLeavesOutWhatWasAcknowledged(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, rcv.jsonURL(), "2m", "off"), Options{Now: clk.Now, Logger: quietLogger()})
	var ids []int64
	for i, img := range []string{"keep:1", "acked:1"} {
		res, err := st.Record(t.Context(), notification("h1", img, i, clk.Now(), start))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ImageID)
	}
	rcv.failNext(1)
	clk.Advance(2 * time.Minute)
	tick(t, svc) // composed with both, refused
	if _, err := st.SetStates(t.Context(), ids[1:], store.Transition{State: store.StateAcknowledged}, "tester"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(backoff(1))
	tick(t, svc)
	got := rcv.messages()
	if len(got) != 1 || got[0].Title != "1 new update on 1 host" || !strings.Contains(got[0].Message, "keep:1") || strings.Contains(got[0].Message, "acked:1") {
		t.Fatalf("the retry: %+v", got)
	}

	// All of a message acknowledged before its retry: nothing goes, and the row is done.
	res, err := st.Record(t.Context(), notification("h1", "gone:1", 5, clk.Now(), start))
	if err != nil {
		t.Fatal(err)
	}
	rcv.failNext(1)
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	if _, err := st.SetStates(t.Context(), []int64{res.ImageID}, store.Transition{State: store.StateIgnored}, "tester"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(backoff(1))
	tick(t, svc)
	if n, err := st.CountOutboxUnsent(t.Context()); err != nil || n != 0 || len(rcv.messages()) != 1 {
		t.Fatalf("after ignoring the only image: %d unsent (%v), %d messages", n, err, len(rcv.messages()))
	}
}

// After Diun's database is wiped it says "new" for every image it sends again: an image the
// dashboard knew is announced as a new digest; one it never saw as a new image.
func TestDiunWipeIsANewDigestForKnownImages(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, rcv.jsonURL(), "2m", "off"), Options{Now: clk.Now, Logger: quietLogger()})
	res, err := st.Record(t.Context(), notification("h1", "nginx:1", 1, clk.Now(), start))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	if _, err := st.SetStates(t.Context(), []int64{res.ImageID}, store.Transition{State: store.StateAcknowledged}, "tester"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(24 * time.Hour)
	for i, img := range []string{"nginx:1", "redis:7"} {
		n := notification("h1", img, 10+i, clk.Now(), start)
		n.Status = "new"
		if _, err := st.Record(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	got := rcv.messages()
	if len(got) != 2 {
		t.Fatalf("%d messages; want 2", len(got))
	}
	for _, want := range []string{"- nginx:1: new digest", "- redis:7: new image"} {
		if !strings.Contains(got[1].Message, want) {
			t.Errorf("the message after the wipe does not say %q:\n%s", want, got[1].Message)
		}
	}
}
