package web_test

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"diundashboard/server/auth"
)

var (
	rowVersion = regexp.MustCompile(`<li class="img" id="(img-\d+)"[^>]* data-v="([^"]+)">`)
	rowKept    = regexp.MustCompile(`<li id="(img-\d+)" data-same></li>`)
)

// TestFragmentSendsOnlyChangedRows: a live refresh that names the rows the browser shows gets
// those rows as placeholders, and in full only the one that changed since (issue 18, F1).
func TestFragmentSendsOnlyChangedRows(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seedRows(t, e, 200)
	e.login()
	res, page := e.get("/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d", res.StatusCode)
	}
	rows := rowVersion.FindAllStringSubmatch(page, -1)
	if len(rows) != 200 {
		t.Fatalf("the page has %d rows with a version, want 200", len(rows))
	}
	var versions []string
	versionOf := map[string]string{}
	for _, m := range rows {
		versions = append(versions, m[2])
		versionOf[m[1]] = m[2]
	}
	fragment := map[string]string{"X-Fragment": "main", "X-Rows": strings.Join(versions, " ")}
	_, full := e.get("/", map[string]string{"X-Fragment": "main"})

	_, same := e.get("/", fragment)
	if n := len(rowKept.FindAllString(same, -1)); n != 200 {
		t.Errorf("with every row named, the fragment leaves out %d rows, want 200", n)
	}
	if d := os.Getenv("DUMP_FRAGMENT"); d != "" {
		_ = os.WriteFile(d, []byte(same), 0o600)
	}
	t.Logf("fragment: %d bytes with every row, %d with every row the browser has", len(full), len(same))
	if len(same) > len(full)/10 {
		t.Errorf("the fragment of an unchanged page is %d bytes, the whole one %d: want a tenth at most", len(same), len(full))
	}

	// A new digest for one image: that row comes in full, with a new version; the others not.
	id := imageID(t, e, "host-5", "ghcr.io/linuxserver-community/media-service-005:2026.11.6-ls205")
	e.notify("host-5", "ghcr.io/linuxserver-community/media-service-005:2026.11.6-ls205", digestN(1), "")
	_, changed := e.get("/", fragment)
	if n := len(rowKept.FindAllString(changed, -1)); n != 199 {
		t.Errorf("after one row changed the fragment leaves out %d rows, want 199", n)
	}
	sent := rowVersion.FindAllStringSubmatch(changed, -1)
	if len(sent) != 1 || sent[0][1] != fmt.Sprintf("img-%d", id) || sent[0][2] == versionOf[sent[0][1]] {
		t.Errorf("after one row changed the fragment sends %v in full, want img-%d with a new version", sent, id)
	}

	// A whole page (a navigation) always carries every row, whatever the request says.
	_, again := e.get("/", map[string]string{"X-Rows": strings.Join(versions, " ")})
	if n := len(rowVersion.FindAllString(again, -1)); n != 200 {
		t.Errorf("a whole page carries %d rows, want 200", n)
	}
}
