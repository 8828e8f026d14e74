package dbcopy_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"
)

// A file whose rows of one table are out of the export's order, with a trailer that matches
// them, was imported and committed, then failed the read-back (found by an outside review):
// "refused and nothing changes" did not hold. Rows must come in the order export writes them.
func TestImportRefusesRowsOutOfOrder(t *testing.T) {
	ctx := context.Background()
	from, to := newSQLite(t), newSQLite(t)
	seed(t, from, 0)
	lines := exportOf(t, from)
	var settings []int
	for i, l := range lines {
		if strings.Contains(l, `"table":"settings"`) && !strings.Contains(l, `"trailer"`) {
			settings = append(settings, i)
		}
	}
	if len(settings) < 2 {
		t.Fatalf("the seed has %d settings rows; the test needs two", len(settings))
	}
	a, b := settings[0], settings[len(settings)-1]
	lines[a], lines[b] = lines[b], lines[a]
	// A trailer that matches the reordered rows, as anyone editing the file can write.
	var tr struct {
		Trailer string `json:"trailer"`
		Tables  []struct {
			Table  string `json:"table"`
			Rows   int64  `json:"rows"`
			SHA256 string `json:"sha256"`
		} `json:"tables"`
	}
	last := len(lines) - 1
	if err := json.Unmarshal([]byte(lines[last]), &tr); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, i := range settings {
		h.Write([]byte(lines[i] + "\n"))
	}
	for i := range tr.Tables {
		if tr.Tables[i].Table == "settings" {
			tr.Tables[i].SHA256 = hex.EncodeToString(h.Sum(nil))
		}
	}
	b2, _ := json.Marshal(tr)
	lines[last] = string(b2)

	_, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(joinLines(lines)), withCredentials)
	if err == nil || !strings.Contains(err.Error(), "order") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("Import: %v; want a refusal naming the order, before anything is imported", err)
	}
	if !errors.Is(err, dbcopy.ErrMismatch) || !strings.Contains(err.Error(), "out of the order export writes") {
		t.Fatalf("refused for another reason (the read-back after the commit?): %v", err)
	}
	for _, table := range store.CopyTables {
		if n, err := to.copier(t).CountRows(ctx, table); err != nil || n != 0 {
			t.Errorf("the refused import left %d rows in %s (%v)", n, table, err)
		}
	}
}
