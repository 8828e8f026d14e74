package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

// receiver is a real HTTP endpoint that shoutrrr's generic service posts to.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []received
	// fail answers the next fail requests with HTTP 500.
	fail int
	// delay is how long each request takes.
	delay time.Duration
}

type received struct {
	Title, Message string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		delay := r.delay
		r.mu.Unlock()
		time.Sleep(delay)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			http.Error(w, "receiver is down", http.StatusInternalServerError)
			return
		}
		var m received
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("receiver: %v in %s", err, body)
			}
		} else {
			m.Message = string(body)
		}
		r.got = append(r.got, m)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// jsonURL is the generic service with the JSON template: title and message both arrive.
func (r *receiver) jsonURL() string {
	return "generic://" + strings.TrimPrefix(r.srv.URL, "http://") + "/hook?template=json&disabletls=yes"
}

// plainURL is the generic+http shortcut: the message as text/plain.
func (r *receiver) plainURL() string { return "generic+" + r.srv.URL + "/hook" }

func (r *receiver) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) failNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// clock is the injected clock of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	ctx := context.Background()
	url := "sqlite:" + path
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustConfig(t *testing.T, urls, newAfter, digest string) Config {
	t.Helper()
	c, err := ParseConfig(urls, newAfter, digest)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func notification(host, image string, dig int, at time.Time, created time.Time) store.Notification {
	return store.Notification{DiunVersion: "v4.33.0", Hostname: host, Status: "update", Provider: "docker", Image: image,
		HubLink: "https://hub.docker.com/_/x", MimeType: "application/vnd.oci.image.index.v1+json",
		Digest: fmt.Sprintf("sha256:%064x", dig), Created: &created, Platform: "linux/amd64", RawBody: []byte("{}"), ReceivedAt: at}
}

func tick(t *testing.T, s *Service) {
	t.Helper()
	if err := s.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
}

var start = time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)

// A burst of 40 notifications over 3 hosts gives one message, grouped by host, after
// NOTIFY_NEW; images acknowledged before it goes are left out.
func TestBurstIsOneGroupedMessage(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, rcv.jsonURL(), "2m", "off"), Options{Now: clk.Now, Logger: quietLogger(), BaseURL: "https://dash.example.org/"})

	var acked []int64
	for i := range 40 {
		host := fmt.Sprintf("host%d", i%3)
		res, err := st.Record(t.Context(), notification(host, fmt.Sprintf("docker.io/library/app%02d:1", i), i, clk.Now(), start.Add(-72*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			acked = append(acked, res.ImageID)
		}
		clk.Advance(time.Second)
		tick(t, svc) // the worker runs all along: nothing goes before the burst is 2 minutes old
	}
	if got := rcv.messages(); len(got) != 0 {
		t.Fatalf("%d messages during the burst; want none before NOTIFY_NEW", len(got))
	}
	if _, err := st.SetStates(t.Context(), acked, store.Transition{State: store.StateAcknowledged}, "tester"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	tick(t, svc)
	got := rcv.messages()
	if len(got) != 1 {
		t.Fatalf("%d messages after the burst; want exactly 1: %+v", len(got), got)
	}
	m := got[0]
	if m.Title != "36 new updates on 3 hosts" {
		t.Errorf("title %q; want %q", m.Title, "36 new updates on 3 hosts")
	}
	for _, want := range []string{"host0 (12 updates)\n", "host1 (12 updates)\n", "host2 (12 updates)\n",
		"- docker.io/library/app00:1: new digest, built 3 days ago\n  https://dash.example.org/images/1 · Docker Hub: https://hub.docker.com/_/app00\n"} {
		if !strings.Contains(m.Message, want) {
			t.Errorf("message does not contain %q:\n%s", want, m.Message)
		}
	}
	for _, gone := range []string{"app09:1", "app19:1", "app29:1", "app39:1"} {
		if strings.Contains(m.Message, gone) {
			t.Errorf("the message names %s, acknowledged before it went:\n%s", gone, m.Message)
		}
	}
	// host0's lines all come before host1's.
	if strings.Index(m.Message, "host1") < strings.LastIndex(m.Message, "app36:1") {
		t.Errorf("not grouped by host:\n%s", m.Message)
	}
	rows, err := st.ListOutbox(t.Context(), 10)
	if err != nil || len(rows) != 1 || rows[0].SentAt == nil || rows[0].Items != 36 {
		t.Fatalf("outbox after sending: %+v, %v", rows, err)
	}
}

// More than MaxListed images: the list stops and says how many more there are.
func TestLongBurstIsCapped(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, rcv.plainURL(), "2m", "off"), Options{Now: clk.Now, Logger: quietLogger()})
	for i := range MaxListed + 12 {
		if _, err := st.Record(t.Context(), notification("h1", fmt.Sprintf("img%03d:1", i), i, clk.Now(), start)); err != nil {
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
	if !strings.Contains(body, "and 12 more") || strings.Count(body, "- img") != MaxListed || strings.Contains(body, "/images/") {
		t.Errorf("capped message (generic+http, no BASE_URL: no links):\n%s", body)
	}
}

// A receiver that answers 500 gets the message again, later, once; the failure is visible.
func TestRetryAfterFailure(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, rcv.jsonURL(), "2m", "off"), Options{Now: clk.Now, Logger: quietLogger()})
	if _, err := st.Record(t.Context(), notification("h1", "nginx:1", 1, clk.Now(), start)); err != nil {
		t.Fatal(err)
	}
	rcv.failNext(2)
	clk.Advance(2 * time.Minute)
	tick(t, svc) // first attempt: 500
	status, err := svc.Status(t.Context(), 10)
	if err != nil || status.LastFailure == nil || !strings.Contains(status.LastFailure.LastError, "500") || status.Unsent != 1 {
		t.Fatalf("after a 500: %+v, %v", status, err)
	}
	tick(t, svc) // not due yet: backoff
	if len(rcv.messages()) != 0 {
		t.Fatal("sent during the backoff")
	}
	clk.Advance(backoff(1))
	tick(t, svc) // second attempt: 500
	clk.Advance(backoff(2) - time.Second)
	tick(t, svc)
	if len(rcv.messages()) != 0 {
		t.Fatal("the backoff did not double")
	}
	clk.Advance(time.Second)
	tick(t, svc)
	got := rcv.messages()
	if len(got) != 1 || got[0].Title != "1 new update on 1 host" {
		t.Fatalf("after the receiver recovered: %+v", got)
	}
	rows, _ := st.ListOutbox(t.Context(), 10)
	if rows[0].Attempts != 3 || rows[0].SentAt == nil || rows[0].LastError != "" {
		t.Fatalf("outbox row: %+v", rows[0])
	}
}

// A restart (a new Service on the same database) sends what the last one composed or queued
// and did not send; what was sent is not sent again.
func TestRestartResendsUnsent(t *testing.T) {
	rcv := newReceiver(t)
	path := filepath.Join(t.TempDir(), "dd.db")
	st := openSQLite(t, path)
	clk := &clock{t: start}
	cfg := mustConfig(t, rcv.jsonURL(), "2m", "off")
	first := New(st, cfg, Options{Now: clk.Now, Logger: quietLogger()})
	if _, err := st.Record(t.Context(), notification("h1", "a:1", 1, clk.Now(), start)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	tick(t, first)
	if len(rcv.messages()) != 1 {
		t.Fatal("the first message did not go")
	}
	// Queued, then the process stops before composing; and a composed message whose sending failed.
	if _, err := st.Record(t.Context(), notification("h2", "b:1", 2, clk.Now(), start)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnqueueOutbox(t.Context(), testMessage("tester", clk.Now()), first.outboxTargets(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st2 := openSQLite(t, path)
	second := New(st2, cfg, Options{Now: clk.Now, Logger: quietLogger()})
	tick(t, second) // the test message is due at once; b:1 waits for its burst
	clk.Advance(2 * time.Minute)
	tick(t, second)
	tick(t, second)
	got := rcv.messages()
	if len(got) != 3 || got[1].Title != "DiunDashboard test notification" || !strings.Contains(got[2].Message, "b:1") {
		t.Fatalf("after the restart: %+v", got)
	}
}

// The digest goes once at its time in TZ, with counts per host and the oldest update.
func TestDigestSchedule(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	clk := &clock{t: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)} // 07:00 in Paris
	cfg := mustConfig(t, rcv.jsonURL(), "off", "daily@08:00")
	svc := New(st, cfg, Options{Now: clk.Now, Logger: quietLogger(), Location: paris, BaseURL: "https://dash.example.org"})
	for i, host := range []string{"h1", "h1", "h2"} {
		if _, err := st.Record(t.Context(), notification(host, fmt.Sprintf("img%d:1", i), i, clk.Now().Add(-time.Duration(3-i)*24*time.Hour), start)); err != nil {
			t.Fatal(err)
		}
	}
	tick(t, svc)
	if n := len(rcv.messages()); n != 0 {
		t.Fatalf("%d messages before 08:00 (NOTIFY_NEW off)", n)
	}
	if next := svc.Config().Digest.Next(clk.Now(), paris); !next.Equal(time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("next digest %v; want 08:00 Paris", next)
	}
	clk.Advance(59*time.Minute + 59*time.Second)
	tick(t, svc)
	if n := len(rcv.messages()); n != 0 {
		t.Fatalf("digest sent at 07:59:59")
	}
	clk.Advance(time.Second)
	tick(t, svc)
	clk.Advance(time.Minute)
	tick(t, svc)
	// Another replica (or a restart) at 08:05 finds the slot written.
	other := New(st, cfg, Options{Now: clk.Now, Logger: quietLogger(), Location: paris})
	tick(t, other)
	got := rcv.messages()
	if len(got) != 1 {
		t.Fatalf("%d digests; want 1: %+v", len(got), got)
	}
	d := got[0]
	if d.Title != "Diun digest: 3 open updates on 2 hosts" || !strings.Contains(d.Message, "h1: 2 open\n  img0:1, img1:1\nh2: 1 open\n  img2:1\n") ||
		!strings.Contains(d.Message, "Waiting longest: img0:1 on h1, since 3 days ago\n  https://dash.example.org/images/1") {
		t.Fatalf("digest:\n%s\n%s", d.Title, d.Message)
	}
	// The next day's goes at the next 08:00.
	clk.Advance(23*time.Hour + 58*time.Minute) // 07:59 the next day
	tick(t, svc)
	if n := len(rcv.messages()); n != 1 {
		t.Fatalf("%d messages before the second 08:00; want 1", n)
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	if n := len(rcv.messages()); n != 2 {
		t.Fatalf("%d messages after the second 08:00; want 2", n)
	}
}

// NOTIFY_NEW off or no NOTIFY_URLS: the queue does not grow.
func TestQueueDrainedWhenOff(t *testing.T) {
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, Config{}, Options{Now: clk.Now, Logger: quietLogger()})
	if _, err := st.Record(t.Context(), notification("h1", "a:1", 1, clk.Now(), start)); err != nil {
		t.Fatal(err)
	}
	tick(t, svc)
	n := 0
	if _, err := st.ComposeQueued(t.Context(), 10, nil, clk.Now(), func(items []store.QueuedUpdate) (*store.OutboxMessage, error) {
		n = len(items)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d images still queued with notifications off", n)
	}
	if err := svc.SendTest(t.Context(), "admin"); err != ErrNoTargets {
		t.Fatalf("SendTest without targets: %v", err)
	}
}

// Sent messages go with the retention (EVENT_RETENTION); unsent recent ones stay.
func TestRetentionPrunesSent(t *testing.T) {
	rcv := newReceiver(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	cfg := mustConfig(t, rcv.jsonURL(), "2m", "off")
	svc := New(st, cfg, Options{Now: clk.Now, Logger: quietLogger(), Retention: 24 * time.Hour})
	if err := svc.SendTest(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	tick(t, svc)
	clk.Advance(25 * time.Hour)
	rcv.failNext(1)
	if err := svc.SendTest(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	tick(t, svc) // prunes the first (sent 25 h ago); the second fails and stays
	rows, err := st.ListOutbox(t.Context(), 10)
	if err != nil || len(rows) != 1 || rows[0].SentAt != nil || !strings.Contains(rows[0].Body, "sent by b") {
		t.Fatalf("after pruning: %+v, %v", rows, err)
	}
}
