//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/internal/proctest"
)

// TestDiskFullSQLite caps the SQLite file with max_page_count (passed through DATABASE_URL to
// the driver), so that writes fail with SQLITE_FULL as on a full disk: the webhook must answer
// 503 with a JSON error, earlier notifications stay intact and readable, and the file passes
// integrity_check.
//
// A read-only file is not tested: these tests run as root, for whom chmod does not stop
// writes, and ?mode=ro is configuration, not a fault (the server then refuses to start, as it
// cannot migrate).
func TestDiskFullSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	// 4 KiB pages: the schema takes about 30, each notification about half a page.
	p := start(t, "sqlite:"+path+"?_pragma=max_page_count(160)")
	// Four concurrent senders, so that the group commit meets the full disk with several
	// notifications in one transaction.
	const senders = 4
	client := newClient(senders, 20*time.Second)
	ctx := context.Background()
	a := newAcked()
	var mu sync.Mutex
	var full int
	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 4000; i += senders {
				mu.Lock()
				done := full >= 40
				mu.Unlock()
				if done {
					return
				}
				pair := i % 50
				digest := digestOf("full", pair, i)
				r := send(ctx, client, p.URL("/webhook"), notification(pair, digest))
				mu.Lock()
				switch {
				case r.err != nil:
					t.Errorf("transport error: %v", r.err)
					full = 1 << 20
				case r.status == 200:
					a.add(r.eventID, digest)
				case r.status == 503:
					full++
					if !isJSONError(r.body) {
						t.Errorf("503 without a JSON error: %s", r.body)
					}
				default:
					t.Errorf("status %d: %s", r.status, r.body)
					full = 1 << 20
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if full == 0 {
		t.Fatalf("the database never filled up after %d notifications", a.len())
	}
	t.Logf("%d notifications stored, then %d answered 503", a.len(), full)
	if a.len() < 50 {
		t.Errorf("only %d notifications fit before the database was full", a.len())
	}

	// Reads still work on the full database, and the server still answers.
	resp, err := client.Get(p.URL("/api/v1/images?state=all&limit=500"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/images on a full database: %d %s", resp.StatusCode, body)
	}
	var page struct {
		Images []json.RawMessage `json:"images"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Images) == 0 {
		t.Fatalf("GET /api/v1/images on a full database: %v %s", err, body)
	}
	// Readiness says that notifications cannot be stored, and why.
	resp, err = client.Get(p.URL("/readyz"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "the disk is full") {
		t.Errorf("/readyz on a full database: %d %s; want 503 saying the disk is full", resp.StatusCode, body)
	}
	p.stop()
	forbiddenInLogs(t, p.Logs.String())

	db := openSQLite(t, path)
	integrityCheck(t, db)
	stored := proctest.StoredEvents(context.Background(), t, db)
	checkAckedStored(t, a, stored)
	if len(stored) != a.len() {
		t.Errorf("%d events stored, %d acknowledged: a refused notification was stored", len(stored), a.len())
	}
}
