package notify

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"
)

// After `diundashboard copy`, the first start of the copy announces only what the source had
// not announced yet, and does not send the day's digest again (to PostgreSQL in
// copy_postgres_test.go).
func TestCopyCarriesWhatWasAnnounced(t *testing.T) {
	checkCopyCarries(t, openSQLite(t, filepath.Join(t.TempDir(), "to.db")))
}

func checkCopyCarries(t *testing.T, to store.Store) {
	rcv := newReceiver(t)
	from := openSQLite(t, filepath.Join(t.TempDir(), "from.db"))
	clk := &clock{t: time.Date(2026, 11, 30, 7, 50, 0, 0, time.UTC)}
	cfg := mustConfig(t, rcv.jsonURL(), "2m", "daily@08:00")
	svc := New(from, cfg, Options{Now: clk.Now, Logger: quietLogger(), Location: time.UTC})
	for i := range 17 {
		if _, err := from.Record(t.Context(), notification("nas", fmt.Sprintf("app%02d:1", i), i, clk.Now(), start)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc) // the 17 are announced
	clk.Advance(8 * time.Minute)
	tick(t, svc) // 08:00: the digest
	if got := rcv.messages(); len(got) != 2 {
		t.Fatalf("the source sent %d messages; want the burst and the digest", len(got))
	}
	// One more arrives and is queued when the server stops for the copy.
	if _, err := from.Record(t.Context(), notification("nas", "late:1", 99, clk.Now(), start)); err != nil {
		t.Fatal(err)
	}

	if _, err := dbcopy.Copy(t.Context(), from.(store.Copier), to.(store.Copier), dbcopy.Options{}); err != nil {
		t.Fatal(err)
	}
	copied := New(to, cfg, Options{Now: clk.Now, Logger: quietLogger(), Location: time.UTC})
	clk.Advance(5 * time.Minute)
	tick(t, copied)
	tick(t, copied)
	got := rcv.messages()[2:]
	if len(got) != 1 || got[0].Title != "1 new update on 1 host" || !strings.Contains(got[0].Message, "late:1") {
		t.Fatalf("the copy's first start sent %d messages; want only late:1: %+v", len(got), got)
	}
}
