package dbcopy_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"
	"diundashboard/server/store/storetest"
)

// withCredentials exports and imports everything, credentials included, so that a round
// trip can be compared whole.
var withCredentials = dbcopy.Options{WithCredentials: true}

// bulkEvents is how many events the seeded databases hold beyond the few recorded ones.
const bulkEvents = 100_000

// testDB is a migrated, open database and a raw connection to it for seeding.
type testDB struct {
	url string
	st  store.Store
	raw *sql.DB
}

func (d testDB) copier(t *testing.T) store.Copier {
	t.Helper()
	c, ok := d.st.(store.Copier)
	if !ok {
		t.Fatalf("%T does not implement store.Copier", d.st)
	}
	return c
}

func openDB(t *testing.T, url string) testDB {
	t.Helper()
	st := storetest.Open(t, url)
	target, err := store.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	var raw *sql.DB
	if target.Dialect == store.DialectSQLite {
		raw, err = sql.Open("sqlite", target.SQLiteDSN(false))
	} else {
		raw, err = sql.Open("pgx", url)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return testDB{url: url, st: st, raw: raw}
}

func newSQLite(t *testing.T) testDB {
	return openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "dd.db"))
}

// seed fills every table through the Store, then adds n events in one INSERT … SELECT.
func seed(t *testing.T, d testDB, n int) {
	t.Helper()
	ctx := context.Background()
	st := d.st
	base := time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)
	var imageIDs []int64
	for i, img := range []string{"docker.io/library/nginx:1.29-alpine", "ghcr.io/acme/app:1.4", "127.0.0.1:5000/acme/webapp:1.4"} {
		for _, host := range []string{"vm", "nas", "h\u00f4te-\u00e9t\u00e9 <&>"} {
			created := base.Add(-time.Duration(i) * time.Hour)
			res, err := st.Record(ctx, store.Notification{
				DiunVersion: "v4.33.0", Hostname: host, Status: "update", Provider: "docker", Image: img,
				HubLink: "https://hub.example/" + img, MimeType: "application/vnd.oci.image.index.v1+json",
				Digest: fmt.Sprintf("sha256:%064d", i), Created: &created, Platform: "linux/arm/v7",
				Metadata:   map[string]string{"ctn_names": "web-" + host, "stack": "shop", "a\"quote": "x<y>&z"},
				RawBody:    []byte(fmt.Sprintf(`{"image":%q,"hostname":%q}`, img, host)),
				ReceivedAt: base.Add(time.Duration(i) * time.Minute),
			})
			if err != nil {
				t.Fatal(err)
			}
			imageIDs = append(imageIDs, res.ImageID)
		}
	}
	if _, err := st.Record(ctx, store.Notification{DiunVersion: "v4.33.0", Hostname: "vm", Status: "new", Provider: "file", Image: store.TestImage,
		MimeType: "application/vnd.docker.distribution.manifest.list.v2+json", Digest: "sha256:" + strings.Repeat("ab", 32), Platform: "linux/amd64"}); err != nil {
		t.Fatal(err)
	}
	until := base.Add(48 * time.Hour)
	// Each change also writes the audit trail, which the copy carries.
	if _, err := st.SetStates(ctx, imageIDs[1:2], store.Transition{State: store.StateSnoozed, SnoozedUntil: &until}, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetStates(ctx, imageIDs[2:3], store.Transition{State: store.StateAcknowledged}, "token:ci"); err != nil {
		t.Fatal(err)
	}
	// Why rows were last opened (images.opened_by): by a person, and by a snooze's end.
	if _, err := st.SetStates(ctx, imageIDs[5:6], store.Transition{State: store.StateAcknowledged}, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetStates(ctx, imageIDs[5:6], store.Transition{State: store.StateOpen}, "admin"); err != nil {
		t.Fatal(err)
	}
	soon := base.Add(time.Hour)
	if _, err := st.SetStates(ctx, imageIDs[6:7], store.Transition{State: store.StateSnoozed, SnoozedUntil: &soon}, "admin"); err != nil {
		t.Fatal(err)
	}
	if woken, err := st.WakeSnoozed(ctx, base.Add(2*time.Hour)); err != nil || len(woken) != 1 {
		t.Fatalf("WakeSnoozed = %v, %v; want image %d woken", woken, err, imageIDs[6])
	}
	if _, err := st.DeleteImages(ctx, imageIDs[3:4]); err != nil { // leaves a gap in the ids
		t.Fatal(err)
	}
	for i, name := range []string{"prod", "lab", "z\u00fcrich"} {
		tag, err := st.CreateTag(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.TagImages(ctx, imageIDs[4:5+i], tag.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range [][2]string{{"webhook_token", "secret-token"}, {"Zeta", "upper case sorts first"}, {"\u00e9t\u00e9", "non-ASCII key"}} {
		if err := st.PutSetting(ctx, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if err := st.CreateSession(ctx, store.Session{IDHash: fmt.Sprintf("%064x", 1000-i), Username: "admin", Credential: fmt.Sprintf("cred-%d", i),
			CreatedAt: base, LastSeenAt: base.Add(time.Hour), ExpiresAt: base.Add(30 * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		tok, err := st.CreateAPIToken(ctx, fmt.Sprintf("ci-%d", i), fmt.Sprintf("%064x", i), fmt.Sprintf("dd_%d", i), []store.TokenScope{store.ScopeRead, store.ScopeWrite}[i%2])
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := st.TouchAPIToken(ctx, tok.ID, base.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The notifications' state: a digest sent (its slot) and a message not sent yet.
	targets := []store.OutboxTarget{{Key: "k1", Label: "ntfy://ntfy.example.org/***"}}
	if _, err := st.EnqueueOutbox(ctx, store.OutboxMessage{Kind: store.OutboxDigest, Slot: "digest 2026-01-01T08:00:00Z", Title: "Diun digest", Body: "nas: 1 open", Items: 1}, targets, base); err != nil {
		t.Fatal(err)
	}
	sent, err := st.LeaseOutbox(ctx, []string{"k1"}, base, base.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkOutboxSent(ctx, sent.ID, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnqueueOutbox(ctx, store.OutboxMessage{Kind: store.OutboxNew, Title: "1 new update on 1 host", Body: "nas (1 update)", Items: 1, Content: `{"items":[]}`}, targets, base); err != nil {
		t.Fatal(err)
	}
	bulkInsert(t, d, imageIDs[0], n)
}

// bulkInsert adds n events to one image in a single statement.
func bulkInsert(t *testing.T, d testDB, imageID int64, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	var q string
	if d.st.Dialect() == store.DialectSQLite {
		// Times as modernc.org/sqlite writes them with _time_format=sqlite.
		q = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO events (image_id, received_at, diun_version, hostname, status, provider, image, hub_link,
                    mime_type, digest, created, platform, metadata, raw_body)
SELECT $1, strftime('%Y-%m-%d %H:%M:%S', '2026-01-01', '+' || i || ' seconds') || '+00:00', 'v4.33.0', 'vm', 'update', 'docker',
       'docker.io/library/nginx:1.29-alpine', '', 'application/vnd.oci.image.index.v1+json', printf('sha256:%064d', i),
       CASE WHEN i % 2 = 0 THEN strftime('%Y-%m-%d %H:%M:%S', '2025-12-01', '+' || i || ' minutes') || '+00:00' END,
       'linux/amd64', CASE WHEN i % 3 = 0 THEN '{"n":"' || i || '","ctn_names":"web"}' END, '{"i":' || i || '}'
FROM n`
	} else {
		q = `INSERT INTO events (image_id, received_at, diun_version, hostname, status, provider, image, hub_link,
                    mime_type, digest, created, platform, metadata, raw_body)
SELECT $1, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', 'v4.33.0', 'vm', 'update', 'docker',
       'docker.io/library/nginx:1.29-alpine', '', 'application/vnd.oci.image.index.v1+json', 'sha256:' || lpad(i::text, 64, '0'),
       CASE WHEN i % 2 = 0 THEN timestamptz '2025-12-01 00:00:00+00' + i * interval '1 minute' END,
       'linux/amd64', CASE WHEN i % 3 = 0 THEN jsonb_build_object('n', i::text, 'ctn_names', 'web') END, '{"i":' || i || '}'
FROM generate_series(1, $2::int) AS i`
	}
	start := time.Now()
	if _, err := d.raw.Exec(q, imageID, n); err != nil {
		t.Fatalf("seeding %d events: %v", n, err)
	}
	t.Logf("seeded %d events in %v", n, time.Since(start).Round(time.Millisecond))
}

// sums returns every table's count and checksum.
func sums(t *testing.T, d testDB) []dbcopy.TableSum {
	t.Helper()
	s, err := dbcopy.SumAll(context.Background(), d.copier(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sameData compares two stores through the Store interface, not only through the copier.
func sameData(t *testing.T, a, b testDB) {
	t.Helper()
	ctx := context.Background()
	if sa, sb := sums(t, a), sums(t, b); !reflect.DeepEqual(sa, sb) {
		t.Errorf("checksums differ:\n%v\n%v", sa, sb)
	}
	pa, err := a.st.ListImages(ctx, store.ImageFilter{}, store.SortHost, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.st.ListImages(ctx, store.ImageFilter{}, store.SortHost, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pa, pb) {
		t.Errorf("ListImages differs:\n%+v\n%+v", pa, pb)
	}
	ea, err := a.st.ListEvents(ctx, pa.Images[0].ID, store.PageRequest{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	eb, err := b.st.ListEvents(ctx, pb.Images[0].ID, store.PageRequest{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ea, eb) {
		t.Errorf("ListEvents differs")
	}
	for _, key := range []string{"webhook_token", "\u00e9t\u00e9"} {
		va, _ := a.st.Setting(ctx, key)
		vb, err := b.st.Setting(ctx, key)
		if err != nil || va != vb {
			t.Errorf("setting %q: %q vs %q, %v", key, va, vb, err)
		}
	}
	ta, _ := a.st.ListAPITokens(ctx)
	tb, err := b.st.ListAPITokens(ctx)
	if err != nil || !reflect.DeepEqual(ta, tb) {
		t.Errorf("API tokens differ: %+v vs %+v (%v)", ta, tb, err)
	}
	sa, _ := a.st.Summary(ctx)
	sb, _ := b.st.Summary(ctx)
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("Summary differs:\n%+v\n%+v", sa, sb)
	}
	// The chart's daily counts are not copied: the target's triggers keep them as the events
	// are inserted. They must match the source's and add up to the target's events.
	da, err := a.st.CountEventsPerDay(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := b.st.CountEventsPerDay(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(da, db) {
		t.Errorf("daily counts differ:\n%+v\n%+v", da, db)
	}
	var counted, events int64
	for _, d := range db {
		counted += d.Events
	}
	if err := b.raw.QueryRow("SELECT count(*) FROM events WHERE image_id IS NOT NULL").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if counted != events || events == 0 {
		t.Errorf("the target's daily counts add up to %d, its events about images are %d", counted, events)
	}
}

// checkCopy copies from into to and checks the report, the data, and that new rows in the
// target get fresh ids.
func checkCopy(t *testing.T, from, to testDB, events int) {
	t.Helper()
	ctx := context.Background()
	var calls int
	start := time.Now()
	rep, err := dbcopy.Copy(ctx, from.copier(t), to.copier(t), dbcopy.Options{Progress: func(string, int64, int64) { calls++ }})
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	t.Logf("copied %s → %s in %v\n%s", from.st.Dialect(), to.st.Dialect(), time.Since(start).Round(time.Millisecond), rep)
	if !rep.OK() || len(rep.Tables) != len(store.CopyTables) {
		t.Fatalf("report not OK:\n%s", rep)
	}
	for _, tr := range rep.Tables {
		if tr.Rows == 0 {
			t.Errorf("table %s: nothing copied; the seed should fill every table", tr.Table)
		}
		// 9 recorded notifications, less the one of the deleted image, plus the check.
		if tr.Table == "events" && tr.Rows != int64(events+9) {
			t.Errorf("%d events copied, want %d", tr.Rows, events+9)
		}
	}
	if calls < events/dbcopy.BatchSize {
		t.Errorf("progress called %d times for %d events", calls, events)
	}
	sameData(t, from, to)

	// New rows continue after the copied ids (PostgreSQL's sequences were reset).
	var maxEvent, maxImage, maxTag, maxToken int64
	for q, v := range map[string]*int64{"SELECT max(id) FROM events": &maxEvent, "SELECT max(id) FROM images": &maxImage, "SELECT max(id) FROM tags": &maxTag, "SELECT max(id) FROM api_tokens": &maxToken} {
		if err := to.raw.QueryRow(q).Scan(v); err != nil {
			t.Fatal(err)
		}
	}
	res, err := to.st.Record(ctx, store.Notification{DiunVersion: "v4.33.0", Hostname: "new-host", Status: "new", Provider: "docker",
		Image: "docker.io/library/redis:8", Digest: "sha256:" + strings.Repeat("cd", 32), Platform: "linux/amd64"})
	if err != nil {
		t.Fatalf("Record after the copy: %v", err)
	}
	if res.EventID != maxEvent+1 || res.ImageID != maxImage+1 {
		t.Errorf("after the copy a new event got id %d (max was %d) and image %d (max was %d)", res.EventID, maxEvent, res.ImageID, maxImage)
	}
	tag, err := to.st.CreateTag(ctx, "after-copy")
	if err != nil || tag.ID != maxTag+1 {
		t.Errorf("CreateTag after the copy: id %d (max was %d), %v", tag.ID, maxTag, err)
	}
	tok, err := to.st.CreateAPIToken(ctx, "after-copy", strings.Repeat("ef", 32), "dd_x", store.ScopeRead)
	if err != nil || tok.ID != maxToken+1 {
		t.Errorf("CreateAPIToken after the copy: id %d (max was %d), %v", tok.ID, maxToken, err)
	}
}

func TestCopySQLiteToSQLite(t *testing.T) {
	from, to := newSQLite(t), newSQLite(t)
	seed(t, from, bulkEvents)
	checkCopy(t, from, to, bulkEvents)
}

func TestRefuseNonEmptyTarget(t *testing.T) {
	ctx := context.Background()
	from, to := newSQLite(t), newSQLite(t)
	seed(t, from, 10)
	if err := to.st.PutSetting(ctx, "something", "there"); err != nil {
		t.Fatal(err)
	}
	before := sums(t, to)
	_, err := dbcopy.Copy(ctx, from.copier(t), to.copier(t), dbcopy.Options{})
	if !errors.Is(err, dbcopy.ErrNotEmpty) || !strings.Contains(err.Error(), "settings: 1 rows") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Copy into a non-empty target: %v, want ErrNotEmpty naming the table and --force", err)
	}
	if after := sums(t, to); !reflect.DeepEqual(before, after) {
		t.Error("a refused copy changed the target")
	}
	var export bytes.Buffer
	if _, err := dbcopy.Export(ctx, from.copier(t), &export, withCredentials); err != nil {
		t.Fatal(err)
	}
	if _, err := dbcopy.Import(ctx, to.copier(t), bytes.NewReader(export.Bytes()), dbcopy.Options{}); !errors.Is(err, dbcopy.ErrNotEmpty) {
		t.Fatalf("Import into a non-empty target: %v, want ErrNotEmpty", err)
	}
	// --force replaces what was there.
	if _, err := dbcopy.Copy(ctx, from.copier(t), to.copier(t), dbcopy.Options{Force: true}); err != nil {
		t.Fatalf("Copy --force: %v", err)
	}
	sameData(t, from, to)
	if _, err := to.st.Setting(ctx, "something"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("--force kept the target's own rows: %v", err)
	}
	// And again, over a full target.
	if _, err := dbcopy.Import(ctx, to.copier(t), bytes.NewReader(export.Bytes()), dbcopy.Options{Force: true, WithCredentials: true}); err != nil {
		t.Fatalf("Import --force: %v", err)
	}
	sameData(t, from, to)
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	from, to := newSQLite(t), newSQLite(t)
	seed(t, from, 20_000)
	var export bytes.Buffer
	exported, err := dbcopy.Export(ctx, from.copier(t), &export, withCredentials)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported, sums(t, from)) {
		t.Errorf("Export's sums differ from the source's")
	}
	// The header, then one JSON object per row naming its table, in table order, then the
	// trailer with every table's count and checksum.
	lines := bytes.Split(bytes.TrimSuffix(export.Bytes(), []byte("\n")), []byte("\n"))
	var total int64
	for _, s := range exported {
		total += s.Rows
	}
	if int64(len(lines)) != total+2 {
		t.Fatalf("%d lines for %d rows, a header and a trailer", len(lines), total)
	}
	if string(lines[0]) != `{"export":"diundashboard","format":2}` {
		t.Errorf("header %s", lines[0])
	}
	if !bytes.HasPrefix(lines[1], []byte(`{"table":"images","id":1,`)) {
		t.Errorf("first row %s", lines[1])
	}
	var trailer struct {
		Trailer string
		Tables  []struct {
			Table  string
			Rows   int64
			SHA256 string
		}
	}
	if err := json.Unmarshal(lines[len(lines)-1], &trailer); err != nil || trailer.Trailer != "diundashboard" || len(trailer.Tables) != len(store.CopyTables) {
		t.Fatalf("trailer %s: %v", lines[len(lines)-1], err)
	}
	for i, tt := range trailer.Tables {
		if tt.Table != exported[i].Table || tt.Rows != exported[i].Rows || tt.SHA256 != exported[i].Checksum {
			t.Errorf("trailer entry %+v, want %+v", tt, exported[i])
		}
	}
	lines = lines[1 : len(lines)-1]
	// Re-rendering any line gives the same bytes: the export is canonical.
	for _, l := range [][]byte{lines[0], lines[len(lines)-1], lines[len(lines)/2]} {
		r, err := store.ParseRow(l)
		if err != nil || !bytes.Equal(r.JSON, l) {
			t.Errorf("ParseRow(%s) = %s, %v", l, r.JSON, err)
		}
	}
	rep, err := dbcopy.Import(ctx, to.copier(t), bytes.NewReader(export.Bytes()), withCredentials)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if !rep.OK() || !rep.Trailer {
		t.Fatalf("import report (trailer checked: %v):\n%s", rep.Trailer, rep)
	}
	sameData(t, from, to)
	// Exporting the copy gives the same bytes.
	var again bytes.Buffer
	if _, err := dbcopy.Export(ctx, to.copier(t), &again, withCredentials); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(export.Bytes(), again.Bytes()) {
		t.Error("exporting the imported database gives different bytes")
	}
}

func TestImportBadInput(t *testing.T) {
	ctx := context.Background()
	const header = `{"export":"diundashboard","format":2}` + "\n"
	// Each bad line comes after a good one and before the trailer (which they never reach), so
	// that each is refused for what it is.
	const good = `{"table":"tags","id":1,"name":"a","created_at":"2026-01-01T00:00:00Z"}` + "\n"
	// The line after: the next tag (rows come in export order, so not the same one again).
	const next = `{"table":"tags","id":3,"name":"c","created_at":"2026-01-01T00:00:00Z"}` + "\n"
	const trailer = `{"trailer":"diundashboard","tables":[]}` + "\n"
	for name, c := range map[string]struct{ line, want string }{
		"not json":        {"not json", "not a JSON object"},
		"gzip":            {"\x1f\x8b\x08\x00", "gzip-compressed: decompress it first"},
		"unknown table":   {`{"table":"users","id":1}`, `unknown table "users"`},
		"unknown column":  {`{"table":"tags","id":2,"name":"b","colour":"red","created_at":"2026-01-01T00:00:00Z"}`, `unknown field "colour"`},
		"wrong type":      {`{"table":"tags","id":"one","name":"b","created_at":"2026-01-01T00:00:00Z"}`, "cannot unmarshal"},
		"dangling row":    {`{"table":"image_tags","image_id":5,"tag_id":7}`, "inserting into image_tags"},
		"second header":   {strings.TrimSpace(header), "two exports were joined"},
		"newer format":    {`{"export":"diundashboard","format":3}`, "export format 3"},
		"foreign trailer": {`{"trailer":"diundashboard","tables":[],"note":"x"}`, "not a diundashboard export trailer"},
	} {
		t.Run(name, func(t *testing.T) {
			to := newSQLite(t)
			input := header + good + c.line + "\n" + next + trailer
			if name == "newer format" || name == "gzip" {
				input = c.line + "\n" + next + trailer
			}
			_, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(input), dbcopy.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was imported") {
				t.Fatalf("Import: %v; want an error saying %q and that nothing was imported", err, c.want)
			}
			if n, err := to.copier(t).CountRows(ctx, "tags"); err != nil || n != 0 {
				t.Errorf("the refused import left %d tags (%v); the good line before the bad one must not stay", n, err)
			}
		})
	}
}

// TestImportByteOrderMark: an export saved by an editor that adds a byte order mark imports.
func TestImportByteOrderMark(t *testing.T) {
	lines := exportOf(t, newSQLite(t))
	to := newSQLite(t)
	if _, err := dbcopy.Import(context.Background(), to.copier(t), strings.NewReader("\ufeff"+joinLines(lines)), dbcopy.Options{}); err != nil {
		t.Fatalf("Import of an export with a byte order mark: %v", err)
	}
}

// exportOf exports d, credentials included, and returns the file's lines, each without its newline.
func exportOf(t *testing.T, d testDB) []string {
	t.Helper()
	var export bytes.Buffer
	if _, err := dbcopy.Export(context.Background(), d.copier(t), &export, withCredentials); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(export.String(), "\n"), "\n")
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") + "\n" }

// TestImportRefusesDamagedExports: a file that is not exactly what export wrote is refused,
// says why, and changes nothing, even with --force over a database that holds rows.
func TestImportRefusesDamagedExports(t *testing.T) {
	ctx := context.Background()
	from := newSQLite(t)
	seed(t, from, 3000)
	lines := exportOf(t, from)
	whole := joinLines(lines)
	n := len(lines)
	// The row of a setting, to alter a value that means something.
	settingLine := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, `"secret-token"`) })
	if settingLine < 0 {
		t.Fatal("the export has no webhook_token setting")
	}
	replaceLine := func(i int, line string) string {
		c := slices.Clone(lines)
		c[i] = line
		return joinLines(c)
	}
	tampered := func(old, new string) string {
		if !strings.Contains(whole, old) {
			t.Fatalf("the export does not contain %q", old)
		}
		return strings.Replace(whole, old, new, 1)
	}
	trailerLine := lines[n-1]
	eventsSum := regexp.MustCompile(`"table":"events","rows":(\d+),"sha256":"([0-9a-f]{64})"`).FindStringSubmatch(trailerLine)
	if eventsSum == nil {
		t.Fatalf("trailer %s has no events entry", trailerLine)
	}
	for name, c := range map[string]struct {
		input string
		want  error
		says  []string
	}{
		"the first three lines": {joinLines(lines[:3]), dbcopy.ErrTruncated, []string{"without its trailer", "truncated"}},
		"cut mid-line":          {whole[:len(whole)/2], dbcopy.ErrTruncated, []string{"cut short", "truncated"}},
		"missing trailer":       {joinLines(lines[:n-1]), dbcopy.ErrTruncated, []string{fmt.Sprintf("ends at line %d without its trailer", n-1)}},
		"trailer cut short":     {joinLines(lines[:n-1]) + trailerLine[:len(trailerLine)/2], dbcopy.ErrTruncated, []string{"cut short"}},
		"tampered row":          {replaceLine(settingLine, strings.Replace(lines[settingLine], "secret-token", "attacker-token", 1)), dbcopy.ErrMismatch, []string{"settings: the rows read have checksum", "does not match its trailer"}},
		"a row dropped":         {joinLines(slices.Delete(slices.Clone(lines), n/2, n/2+1)), dbcopy.ErrMismatch, []string{"events: 3008 rows read, the trailer says 3009"}},
		"a row added":           {joinLines(slices.Insert(slices.Clone(lines), settingLine+1, strings.Replace(lines[settingLine], "webhook_token", "webhook_token2", 1))), dbcopy.ErrMismatch, []string{"settings: 4 rows read, the trailer says 3"}},
		"tampered checksum":     {tampered(eventsSum[2], strings.Repeat("0", 64)), dbcopy.ErrMismatch, []string{"events: the rows read have checksum"}},
		"tampered count":        {tampered(eventsSum[0], strings.Replace(eventsSum[0], `"rows":`+eventsSum[1], `"rows":1`, 1)), dbcopy.ErrMismatch, []string{"events: 3009 rows read, the trailer says 1"}},
		"table left out":        {replaceLine(n-1, regexp.MustCompile(`\{"table":"sessions"[^}]*\},`).ReplaceAllString(trailerLine, "")), dbcopy.ErrMismatch, []string{"sessions: not in the trailer"}},
		"lines after trailer":   {whole + lines[1] + "\n", nil, []string{"goes on after its trailer"}},
		"trailer twice":         {whole + trailerLine + "\n", nil, []string{"goes on after its trailer"}},
	} {
		t.Run(name, func(t *testing.T) {
			// Into an empty database, and with --force over one that holds other rows.
			for _, force := range []bool{false, true} {
				to := newSQLite(t)
				if force {
					seed(t, to, 10)
				}
				before := sums(t, to)
				_, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(c.input), dbcopy.Options{Force: force, WithCredentials: true})
				if err == nil {
					t.Fatalf("force=%v: Import accepted a damaged export", force)
				}
				if c.want != nil && !errors.Is(err, c.want) {
					t.Errorf("force=%v: %v, want %v", force, err, c.want)
				}
				for _, s := range append(c.says, "nothing was imported") {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("force=%v: %q does not say %q", force, err, s)
					}
				}
				if after := sums(t, to); !reflect.DeepEqual(before, after) {
					t.Errorf("force=%v: the refused import changed the database", force)
				}
			}
		})
	}
	// NoVerify does not excuse a damaged file that has a header: only a file with neither.
	if _, err := dbcopy.Import(ctx, newSQLite(t).copier(t), strings.NewReader(joinLines(lines[:n-1])), dbcopy.Options{NoVerify: true, WithCredentials: true}); !errors.Is(err, dbcopy.ErrTruncated) {
		t.Errorf("NoVerify on a truncated export: %v, want ErrTruncated", err)
	}
	if _, err := dbcopy.Import(ctx, newSQLite(t).copier(t), strings.NewReader(replaceLine(settingLine, strings.Replace(lines[settingLine], "secret-token", "x", 1))), dbcopy.Options{NoVerify: true, WithCredentials: true}); !errors.Is(err, dbcopy.ErrMismatch) {
		t.Errorf("NoVerify on a tampered export: %v, want ErrMismatch", err)
	}
}

// TestImportExportWithoutTrailer: an export written before the trailer existed (rows only) is
// refused with a message that says it cannot be verified and how to import it anyway; with
// NoVerify it imports, and is still read back and compared.
func TestImportExportWithoutTrailer(t *testing.T) {
	ctx := context.Background()
	from := newSQLite(t)
	seed(t, from, 2000)
	lines := exportOf(t, from)
	old := joinLines(lines[1 : len(lines)-1])
	to := newSQLite(t)
	_, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(old), withCredentials)
	if !errors.Is(err, dbcopy.ErrUnverifiable) {
		t.Fatalf("Import of an export without header and trailer: %v, want ErrUnverifiable", err)
	}
	for _, s := range []string{"cannot be checked", "--no-verify", "nothing was imported"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %q", err, s)
		}
	}
	if n, _ := to.copier(t).CountRows(ctx, "events"); n != 0 {
		t.Errorf("the refused import left %d events", n)
	}
	rep, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(old), dbcopy.Options{NoVerify: true, WithCredentials: true})
	if err != nil || !rep.OK() || rep.Trailer {
		t.Fatalf("Import with NoVerify: %v (trailer checked: %v)\n%s", err, rep.Trailer, rep)
	}
	sameData(t, from, to)
}

// lossy drops the last row of every batch of one table: Copy must notice.
type lossy struct {
	store.Copier
	table string
}

func (l lossy) ImportRows(ctx context.Context, rows []store.Row) error {
	if len(rows) > 1 && rows[0].Table == l.table {
		rows = rows[:len(rows)-1]
	}
	return l.Copier.ImportRows(ctx, rows)
}

// altering changes one value of one table on its way in.
type altering struct{ store.Copier }

func (a altering) ImportRows(ctx context.Context, rows []store.Row) error {
	out := make([]store.Row, len(rows))
	for i, r := range rows {
		out[i] = r
		if r.Table == "settings" {
			out[i].JSON = bytes.Replace(r.JSON, []byte("secret-token"), []byte("secret-tokeN"), 1)
		}
	}
	return a.Copier.ImportRows(ctx, out)
}

func TestCopyDetectsMismatch(t *testing.T) {
	ctx := context.Background()
	from := newSQLite(t)
	seed(t, from, 2500)
	to := newSQLite(t)
	rep, err := dbcopy.Copy(ctx, from.copier(t), lossy{to.copier(t), "events"}, dbcopy.Options{})
	if !errors.Is(err, dbcopy.ErrMismatch) || rep.OK() || !strings.Contains(err.Error(), "ROW COUNT DIFFERS") {
		t.Fatalf("a lossy copy: %v\n%s", err, rep)
	}
	to = newSQLite(t)
	rep, err = dbcopy.Copy(ctx, from.copier(t), altering{to.copier(t)}, dbcopy.Options{})
	if !errors.Is(err, dbcopy.ErrMismatch) || !strings.Contains(err.Error(), "CHECKSUM DIFFERS") {
		t.Fatalf("an altering copy: %v\n%s", err, rep)
	}
}
