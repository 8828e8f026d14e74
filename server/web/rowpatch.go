package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"diundashboard/server/store"
)

// A live refresh of the overview sends in full only the rows the browser does not show as they
// are now: re-rendering and morphing 200 unchanged rows blocked the page's main thread for
// half a second on every refresh, and made the refresh's answer 430 KB (issue 18, F1).
//
// Each row carries its version (data-v): a hash of its HTML, so that whatever a row shows
// changing (its state, a tag, "3 minutes ago" turning "4") gives it a new one, and the rest of
// the page needs no list of what a row depends on. app.js sends the versions of the rows it
// shows (X-Rows, with X-Fragment); a row the browser already shows as it is now goes out as an
// empty <li id="img-N" data-same>, and app.js keeps its own.

// rowsHeader carries the versions of the rows the browser shows, separated by spaces.
const rowsHeader = "X-Rows"

// maxKnownRows bounds what is read of rowsHeader: a page shows at most store.MaxPageSize rows.
const maxKnownRows = store.MaxPageSize

// knownRows is the set of row versions a fragment request says the browser shows; nil for a
// whole page, which always carries every row.
func knownRows(r *http.Request) map[string]bool {
	if r.Header.Get("X-Fragment") != "main" {
		return nil
	}
	fields := strings.Fields(r.Header.Get(rowsHeader))
	if len(fields) > maxKnownRows {
		fields = fields[:maxKnownRows]
	}
	known := make(map[string]bool, len(fields))
	for _, v := range fields {
		known[v] = true
	}
	return known
}

// renderRows renders each row of groups into its HTML field with its version, or, when known
// holds that version, as the placeholder that tells app.js to keep the row it has.
func (h *Handler) renderRows(groups []hostGroup, known map[string]bool) error {
	t := h.pages["overview"]
	var buf bytes.Buffer
	for g := range groups {
		for i := range groups[g].Images {
			row := &groups[g].Images[i]
			buf.Reset()
			if err := t.ExecuteTemplate(&buf, "row", row); err != nil {
				return fmt.Errorf("template row: %w", err)
			}
			// Without the template's line breaks around it: the rows of a whole page and those
			// of a fragment, placeholders and all, are then siblings alike.
			html := bytes.TrimSpace(buf.Bytes())
			sum := sha256.Sum256(html)
			v := base64.RawURLEncoding.EncodeToString(sum[:6])
			if known[v] {
				row.HTML = template.HTML(fmt.Sprintf(`<li id="img-%d" data-same></li>`, row.ID))
				continue
			}
			// The version goes last into the row's own element, which the template opens first
			// (its attribute values are escaped: the first ">" ends its tag).
			at := bytes.IndexByte(html, '>')
			if !bytes.HasPrefix(html, []byte("<li ")) || at < 0 {
				return fmt.Errorf("template row: image %d's row is not an <li>", row.ID)
			}
			// Safe: the template escaped the row, and v is base64url.
			row.HTML = template.HTML(string(html[:at]) + ` data-v="` + v + `"` + string(html[at:]))
		}
	}
	return nil
}
