package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// The ingest pipeline's edge cases, run on each dialect (SQLite here, PostgreSQL in
// ingest_postgres_test.go): the batches are handed to the writer as they are, so each case is
// one batch whatever the scheduling.

// ingestCase is one store under test: its pipeline, and how to make the database refuse one
// notification (a trigger that raises on events of the hostname "refuse-me").
type ingestCase struct {
	s       Store
	p       *ingest
	refuser func(t *testing.T)
}

func runIngestCases(t *testing.T, open func(t *testing.T) ingestCase) {
	t.Run("SameImageTwiceInOneBatch", func(t *testing.T) { testBatchSameImageTwice(t, open(t)) })
	t.Run("BatchOfOne", func(t *testing.T) { testBatchOfOne(t, open(t)) })
	t.Run("BadNotificationFailsAlone", func(t *testing.T) { testBatchBadNotificationAlone(t, open(t)) })
}

// writeBatch hands notes to the pipeline's writer as one batch and returns each request.
func writeBatch(p *ingest, notes ...Notification) []*recordRequest {
	reqs := make([]*recordRequest, len(notes))
	for i, n := range notes {
		reqs[i] = &recordRequest{ctx: context.Background(), n: n, done: make(chan struct{})}
	}
	p.writeSplit(context.Background(), reqs)
	return reqs
}

func note(host, image string, i int) Notification {
	return Notification{DiunVersion: "v4.33.0", Hostname: host, Image: image, Digest: fmt.Sprintf("sha256:%064x", i),
		Status: "update", Provider: "docker", Metadata: map[string]string{"n": fmt.Sprint(i)}}
}

func testBatchSameImageTwice(t *testing.T, c ingestCase) {
	ctx := context.Background()
	reqs := writeBatch(c.p,
		note("nas", "docker.io/a/app:1", 1),
		Notification{DiunVersion: "v4.33.0", Hostname: "nas", Image: TestImage, Digest: fmt.Sprintf("sha256:%064x", 9), Status: "new", Provider: "docker"},
		note("nas", "docker.io/a/other:1", 2),
		note("nas", "docker.io/a/app:1", 3),
		note("nas", "docker.io/a/app:1", 4),
	)
	events := map[int64]bool{}
	for i, r := range reqs {
		if r.err != nil {
			t.Fatalf("notification %d: %v", i, r.err)
		}
		if events[r.result.EventID] {
			t.Errorf("notification %d got event id %d, already given to another", i, r.result.EventID)
		}
		events[r.result.EventID] = true
	}
	app := reqs[0].result.ImageID
	if reqs[3].result.ImageID != app || reqs[4].result.ImageID != app {
		t.Errorf("one image, three notifications: image ids %d, %d, %d", app, reqs[3].result.ImageID, reqs[4].result.ImageID)
	}
	if reqs[2].result.ImageID == app || reqs[2].result.ImageID == 0 {
		t.Errorf("the other image got image id %d (app is %d)", reqs[2].result.ImageID, app)
	}
	if !reqs[1].result.Check || reqs[1].result.ImageID != 0 {
		t.Errorf("test notification: %+v, want a check with no image", reqs[1].result)
	}
	img, err := c.s.GetImage(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sha256:%064x", 4); img.Digest != want || img.Notifications != 3 {
		t.Errorf("image after the batch: digest %s, %d notifications; want the last digest %s and 3", img.Digest, img.Notifications, want)
	}
	page, err := c.s.ListEvents(ctx, app, PageRequest{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, e := range page.Events {
		digests = append(digests, e.Digest[len(e.Digest)-1:])
	}
	if fmt.Sprint(digests) != "[4 3 1]" {
		t.Errorf("the image's events, newest first, end in digits %v; want [4 3 1] (the order they came in)", digests)
	}
}

func testBatchOfOne(t *testing.T, c ingestCase) {
	reqs := writeBatch(c.p, note("vm", "docker.io/a/one:1", 1))
	if r := reqs[0]; r.err != nil || r.result.ImageID == 0 || r.result.EventID == 0 || r.result.State != StateOpen {
		t.Fatalf("batch of one: %+v, %v", r.result, r.err)
	}
	img, err := c.s.GetImage(context.Background(), reqs[0].result.ImageID)
	if err != nil || img.Image != "docker.io/a/one:1" {
		t.Fatalf("GetImage: %+v, %v", img, err)
	}
}

func testBatchBadNotificationAlone(t *testing.T, c ingestCase) {
	c.refuser(t)
	notes := []Notification{note("nas", "docker.io/a/1:1", 1), note("nas", "docker.io/a/2:1", 2), note("refuse-me", "docker.io/a/3:1", 3),
		note("nas", "docker.io/a/4:1", 4), note("nas", "docker.io/a/1:1", 5)}
	reqs := writeBatch(c.p, notes...)
	for i, r := range reqs {
		if i == 2 {
			if r.err == nil {
				t.Errorf("the refused notification was answered stored: %+v", r.result)
			}
			continue
		}
		if r.err != nil {
			t.Errorf("notification %d failed with the refused one: %v", i, r.err)
			continue
		}
		if img, err := c.s.GetImage(context.Background(), r.result.ImageID); err != nil || img.Image != notes[i].Image {
			t.Errorf("notification %d: GetImage(%d) = %+v, %v", i, r.result.ImageID, img, err)
		}
	}
	page, err := c.s.ListImages(context.Background(), ImageFilter{}, SortImage, PageRequest{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Images) != 3 {
		t.Errorf("%d images stored, want 3 (1, 2 and 4; 3 refused)", len(page.Images))
	}
}

func TestSQLiteIngest(t *testing.T) {
	runIngestCases(t, func(t *testing.T) ingestCase {
		s := openTestSQLite(t)
		return ingestCase{s: s, p: s.ingest, refuser: func(t *testing.T) {
			if _, err := s.writeDB.Exec(`CREATE TEMP TRIGGER refuse_me BEFORE INSERT ON events WHEN NEW.hostname = 'refuse-me'
				BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
				t.Fatal(err)
			}
		}}
	})
}

func openTestSQLite(t *testing.T) *SQLite {
	t.Helper()
	ctx := context.Background()
	databaseURL := "sqlite:" + filepath.Join(t.TempDir(), "ingest.db")
	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	s, err := NewSQLite(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestIngestQueueFullAndDrain: while the database is locked, the pipeline accepts what its
// queue holds and refuses the next notification at once with ErrQueueFull; Close then writes
// every accepted notification before it returns, and refuses new ones.
func TestIngestQueueFullAndDrain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	if err := Migrate(ctx, "sqlite:"+path); err != nil {
		t.Fatal(err)
	}
	s, err := NewSQLite(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	s.ingest.close()
	s.ingest = newIngest(s.writeBatch, 4)

	// Another connection holds the write lock: the writer's BEGIN IMMEDIATE waits (busy_timeout).
	locker, err := sql.Open("sqlite", Target{Dialect: DialectSQLite, Path: path}.SQLiteDSN(false))
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	lock, err := locker.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(`INSERT INTO settings (key, value, updated_at) VALUES ('lock', 'held', CURRENT_TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		res RecordResult
		err error
	}
	answers := make(chan answer)
	sent := 0
	for refused := false; !refused; {
		if sent == 1000 {
			t.Fatal("1000 notifications accepted by a queue of 4 behind a locked database")
		}
		n := note("nas", fmt.Sprintf("docker.io/a/q%d:1", sent), sent)
		sent++
		go func() {
			res, err := s.Record(ctx, n)
			answers <- answer{res, err}
		}()
		// Wait for the answer only briefly: a refusal comes at once. (Not reading it without
		// waiting: on two cores this loop could send 1000 before any sender goroutine ran.)
		select {
		case a := <-answers:
			if !errors.Is(a.err, ErrQueueFull) {
				t.Fatalf("answered before the database was free: %+v, %v", a.res, a.err)
			}
			refused = true
		case <-time.After(5 * time.Millisecond):
			// accepted (it waits for its commit) or not yet refused: the next one tells
		}
	}
	// Every notification sent is either waiting (accepted) or refused; some may be refusals
	// not read yet.
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	stored, refused := 0, 1
	for range sent - 1 {
		a := <-answers
		switch {
		case a.err == nil:
			stored++
		case errors.Is(a.err, ErrQueueFull), errors.Is(a.err, ErrClosed):
			refused++
		default:
			t.Errorf("accepted notification failed: %v", a.err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if stored == 0 {
		t.Fatalf("nothing stored of %d sent", sent)
	}
	if _, err := s.Record(ctx, note("nas", "docker.io/a/late:1", 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Record after Close: %v, want ErrClosed", err)
	}
	check, err := sql.Open("sqlite", Target{Dialect: DialectSQLite, Path: path}.SQLiteDSN(true))
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var events int
	if err := check.QueryRow(`SELECT count(*) FROM events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != stored {
		t.Errorf("%d events in the database, %d notifications answered stored (%d refused)", events, stored, refused)
	}
	t.Logf("%d sent: %d stored, %d refused", sent, stored, refused)
}

// TestIngestFailingWhileTheDiskIsFull: while the database refuses every write (here the
// writer's connection may not grow the file, as on a full disk), IngestFailing says so, in
// the words readiness shows; once a notification is stored again, it says nothing.
func TestIngestFailingWhileTheDiskIsFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "full.db")
	if err := Migrate(ctx, "sqlite:"+path); err != nil {
		t.Fatal(err)
	}
	s, err := NewSQLite(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	note := func(i int) Notification {
		return Notification{Hostname: "vm", Status: "new", Provider: "docker", Image: fmt.Sprintf("docker.io/acme/app-%d:1", i),
			Digest: fmt.Sprintf("sha256:%064d", i), RawBody: bytes.Repeat([]byte("x"), 4000)}
	}
	if _, err := s.Record(ctx, note(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.IngestFailing(); err != nil {
		t.Fatalf("IngestFailing after a write: %v", err)
	}
	var pages int
	if err := s.writeDB.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writeDB.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	var refused error
	for i := 1; i < 100 && refused == nil; i++ {
		_, refused = s.Record(ctx, note(i))
	}
	if refused == nil {
		t.Fatal("100 notifications stored in a database that may not grow")
	}
	if got := WriteFailure(s.IngestFailing()); got != "the disk is full" {
		t.Errorf("after %v: IngestFailing says %q, want the disk is full", refused, got)
	}
	if _, err := s.writeDB.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, note(1000)); err != nil {
		t.Fatalf("room again: %v", err)
	}
	if err := s.IngestFailing(); err != nil {
		t.Errorf("IngestFailing after a write that succeeded: %v", err)
	}
}
