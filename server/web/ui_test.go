package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// notifyCreated sends a notification whose image was built at created (Diun's "created").
func (e *env) notifyCreated(host, image, digest, created string) {
	e.t.Helper()
	body := `{"diun_version":"v4.33.0","hostname":"` + host + `","status":"new","provider":"docker","image":"` + image +
		`","digest":"` + digest + `","created":"` + created + `","platform":"linux/amd64"}`
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/webhook", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+webhookToken)
	if res, out := e.do(req); res.StatusCode != http.StatusOK {
		e.t.Fatalf("webhook: %d %s", res.StatusCode, out)
	}
}

// idOf is the id of the image ref on host.
func idOf(t *testing.T, e *env, host, ref string) string {
	t.Helper()
	return fmt.Sprint(imageID(t, e, host, ref))
}

// Issue 11, bug 10: a placeholder build date (1970-01-01, 0001-01-01) is no age.
func TestPlaceholderBuildDate(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notifyCreated("h", "docker.io/acme/epoch:1", digestN(1), "1970-01-01T00:00:00Z")
	e.notifyCreated("h", "docker.io/acme/zero:1", digestN(2), "0001-01-01T00:00:00Z")
	e.notifyCreated("h", "docker.io/acme/real:1", digestN(3), "2025-06-01T00:00:00Z")
	_, body := e.get("/", nil)
	if n := strings.Count(body, "build date not set"); n != 2 {
		t.Errorf("the overview says %d times that the build date is not set, want 2", n)
	}
	if strings.Contains(body, "years ago") {
		t.Error("a placeholder build date is shown as an age in years")
	}
	if n := strings.Count(body, "age-old"); n != 1 {
		t.Errorf("%d ages are coloured old, want 1 (the real one)", n)
	}
	_, body = e.get("/images/"+idOf(t, e, "h", "docker.io/acme/epoch:1"), nil)
	if !strings.Contains(body, "build date not set") || strings.Contains(body, "1970") {
		t.Error("the image page shows a placeholder build date as a date")
	}
}

// Issue 11, bug 11: the chart's range and the filters keep each other.
func TestChartRangeAndFiltersKeepEachOther(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	_, body := e.get("/?host=nas&q=app&state=all", nil)
	link := hrefOf(t, body, ">show 90 days<")
	u, _ := url.Parse(link)
	for k, want := range map[string]string{"host": "nas", "q": "app", "state": "all", "days": "90"} {
		if got := u.Query().Get(k); got != want {
			t.Errorf("the chart's 90-day link %q has %s=%q, want %q", link, k, got, want)
		}
	}
	_, body = e.get("/?days=90&host=nas", nil)
	if !strings.Contains(body, `<input type="hidden" name="days" value="90">`) {
		t.Error("the filter form drops the chart's range")
	}
	if link := hrefOf(t, body, ">show 30 days<"); strings.Contains(link, "days") || !strings.Contains(link, "host=nas") {
		t.Errorf("the chart's 30-day link is %q, want the view without days", link)
	}
	if link := hrefOf(t, body, ">Clear<"); link != "/?days=90" {
		t.Errorf("Clear links to %q, want the overview with the range kept", link)
	}
	if link := hrefOf(t, body, `<strong>0</strong> acknowledged`); !strings.Contains(link, "days=90") || !strings.Contains(link, "host=nas") || !strings.Contains(link, "state=acknowledged") {
		t.Errorf("the acknowledged count links to %q, want the view in that state", link)
	}
}

// hrefOf is the href of the link whose markup contains marker, unescaped.
func hrefOf(t *testing.T, body, marker string) string {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no %q in the page", marker)
	}
	a := strings.LastIndex(body[:i], `href="`)
	if a < 0 {
		t.Fatalf("no link before %q", marker)
	}
	rest := body[a+len(`href="`):]
	return html.UnescapeString(rest[:strings.IndexByte(rest, '"')])
}

// Issue 11, bug 12: a filter on a host that has no images any more still names it.
func TestFilterOnAVanishedHost(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	e.notify("", "docker.io/acme/nohost:1", digestN(2), "")
	_, body := e.get("/?host=old-server", nil)
	if !strings.Contains(body, `<option value="old-server" selected>old-server (no images now)</option>`) {
		t.Error("the host filter does not name the host it filters on")
	}
	if strings.Contains(body, `<option value="" selected>`) {
		t.Error("the host filter claims all hosts")
	}
	// The images without a hostname have no name to filter on: no empty option beside "all hosts".
	if strings.Contains(body, "<option></option>") {
		t.Error("the host filter offers an empty host, which would mean all hosts")
	}
}

// Issue 11, bug 13: references pinned by digest keep it.
func TestDigestPinnedReferences(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	pin := "sha256:" + strings.Repeat("ab", 32)
	e.notify("h", "docker.io/acme/pinned@"+pin, digestN(1), "")
	e.notify("h", "ghcr.io/acme/both:2.0@"+pin, digestN(2), "")
	e.notify("h", "registry.lan:5000/acme/port", digestN(3), "")
	_, body := e.get("/", nil)
	for _, want := range []string{
		`acme/pinned<span class="tag">@sha256:abababababab</span>`,
		`ghcr.io/acme/both<span class="tag">:2.0@sha256:abababababab</span>`,
		`registry.lan:5000/acme/port<span class="tag">:latest</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %s", want)
		}
	}
	if strings.Contains(body, "pinned<span class=\"tag\">:sha256") {
		t.Error("name@sha256:… is shown as name:sha256:…")
	}
	_, body = e.get("/images/"+idOf(t, e, "h", "ghcr.io/acme/both:2.0@"+pin), nil)
	if !strings.Contains(body, "<title>ghcr.io/acme/both:2.0@sha256:abababababab · h · DiunDashboard</title>") {
		t.Error("the image page's title drops the digest")
	}
}

// Issue 11, bug 14: messages say what happened, in order, in a person's words.
func TestActionWording(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	for i := range 3 {
		e.notify("nas", fmt.Sprintf("docker.io/acme/app%d:1", i), digestN(i+1), "")
	}
	app0 := idOf(t, e, "nas", "docker.io/acme/app0:1")
	a := postJSON(t, e, "/images/"+app0+"/snooze", url.Values{"for": {"7d"}})
	if !strings.HasPrefix(a.Message, "Snoozed acme/app0:1 on nas until ") || !strings.HasSuffix(a.Message, " UTC.") {
		t.Errorf("snooze says %q, want the image, then until when", a.Message)
	}
	a = postJSON(t, e, "/images/"+app0+"/snooze", url.Values{"for": {"7d"}})
	a = postJSON(t, e, "/images/"+app0+"/reopen", nil)
	a = postJSON(t, e, "/images/"+app0+"/reopen", nil)
	if a.Message != "Nothing changed: acme/app0:1 on nas is open already." || a.Undo != nil {
		t.Errorf("reopening an open image says %q (undo %v), want that nothing changed", a.Message, a.Undo != nil)
	}
	_, body := e.get("/?state=snoozed", nil)
	if strings.Contains(body, "until in ") {
		t.Error(`a row says "snoozed until in …"`)
	}
	// Snooze errors speak of what was picked, not of API parameters.
	for _, form := range []url.Values{{"until_local": {"yesterday"}}, {"until": {"2001-01-01T00:00:00Z"}}, {}} {
		res, body := e.postBody("/images/"+app0+"/snooze", form, jsonAccept)
		var out struct{ Error string }
		_ = json.Unmarshal([]byte(body), &out)
		if res.StatusCode != http.StatusUnprocessableEntity || out.Error == "" || strings.Contains(out.Error, "RFC 3339") || strings.Contains(out.Error, `"until"`) {
			t.Errorf("snooze %v: %d %q, want a message about the date picked", form, res.StatusCode, out.Error)
		}
	}
	res, body := e.postBody("/images/"+app0+"/tag", url.Values{"new_tag": {"\x01"}}, jsonAccept)
	if res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(strings.ToLower(body), "invalid:") {
		t.Errorf("a bad tag name: %d %s, want the reason without the store's category", res.StatusCode, body)
	}
	// The confirmation of a plain form names what it deletes, and how many.
	_, body = e.postBody("/images/"+app0+"/delete", nil, nil)
	if !strings.Contains(body, "<h1>Delete acme/app0:1 on nas?</h1>") {
		t.Error("the delete confirmation does not name the image")
	}
	ids := []string{app0, idOf(t, e, "nas", "docker.io/acme/app1:1"), idOf(t, e, "nas", "docker.io/acme/app2:1")}
	a = postJSON(t, e, "/bulk", url.Values{"action": {"delete"}, "id": ids, "confirm": {"yes"}})
	if a.Message != "Deleted 3 images and their history." {
		t.Errorf("bulk delete says %q", a.Message)
	}
}

// Issue 11, bug 9: deleting an image from its own page tells where to go with the outcome.
func TestDeleteFromTheImagePageCarriesTheNotice(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	id := idOf(t, e, "nas", "docker.io/acme/app:1")
	var out struct{ Message, Location string }
	res, body := e.postBody("/images/"+id+"/delete", url.Values{"confirm": {"yes"}}, map[string]string{"Accept": "application/json", "Referer": e.ts.URL + "/images/" + id})
	if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("delete: %d %s", res.StatusCode, body)
	}
	if !strings.HasPrefix(out.Location, "/?notice=") {
		t.Fatalf("location %q: want the overview with the notice", out.Location)
	}
	_, page := e.get(out.Location, nil)
	if !strings.Contains(page, "Deleted acme/app:1 on nas and its history.") {
		t.Error("the overview after the deletion does not say what was deleted")
	}
}

// Issue 11, bug 2: a host's buttons fit the state viewed, and ask before reaching rows the
// page does not show.
func TestHostActionsFitTheView(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		for i := range 5 {
			e.notify("nas", fmt.Sprintf("docker.io/acme/app%d:1", i), digestN(i+1), "")
		}
		postJSON(t, e, "/images/"+idOf(t, e, "nas", "docker.io/acme/app0:1")+"/acknowledge", nil)
		postJSON(t, e, "/images/"+idOf(t, e, "nas", "docker.io/acme/app1:1")+"/ignore", nil)

		_, body := e.get("/?state=acknowledged", nil)
		if strings.Contains(body, ">Acknowledge all") || !strings.Contains(body, `value="reopen">Reopen all <span class="n">(1)</span>`) {
			t.Error("the acknowledged view offers to acknowledge them, or no Reopen all")
		}
		_, body = e.get("/?state=all", nil)
		if !strings.Contains(body, `action="/bulk?host=nas&amp;state=open"`) || !strings.Contains(body, "Acknowledge all open <span class=\"n\">(3)</span>") {
			t.Error("in the view of every state, a host's buttons must act on its open images, and say so")
		}
		_, body = e.get("/?state=ignored", nil)
		if strings.Contains(body, ">Ignore all") || !strings.Contains(body, ">Reopen all") {
			t.Error("the ignored view offers to ignore them")
		}

		// Two of the three open images on this page: the third is on the next one.
		_, body = e.get("/?limit=2", nil)
		if !strings.Contains(body, `name="shown" value="2"`) || !strings.Contains(body, "1 of them on other pages") {
			t.Fatal("the page does not say that the host's buttons reach rows of other pages")
		}
		res, out := e.postBody("/bulk?host=nas&state=open", url.Values{"action": {"acknowledge"}, "shown": {"2"}}, jsonAccept)
		var ask struct {
			Confirm string
			Count   int
		}
		_ = json.Unmarshal([]byte(out), &ask)
		if res.StatusCode != http.StatusOK || ask.Count != 3 || ask.Confirm != "Acknowledge all 3 open images on nas? 1 of them is not on this page." {
			t.Fatalf("a host action past the page: %d %s, want a question with the count", res.StatusCode, out)
		}
		if open, _ := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: "nas", State: store.StateOpen}, store.SortHost, store.PageRequest{}); len(open.Images) != 3 {
			t.Fatalf("asking changed images: %d open, want 3", len(open.Images))
		}
		// Without a script: a page that asks, then the same post confirmed.
		res, out = e.postBody("/bulk?host=nas&state=open", url.Values{"action": {"snooze-7d"}, "shown": {"2"}}, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(out, "<h1>Snooze all 3 open images on nas until ") || !strings.Contains(out, `name="shown" value="2"`) {
			t.Fatalf("plain host action past the page: %d, want a confirmation page", res.StatusCode)
		}
		a := postJSON(t, e, "/bulk?host=nas&state=open", url.Values{"action": {"acknowledge"}, "shown": {"2"}, "confirm": {"yes"}})
		if a.Message != "Acknowledged 3 images on nas." {
			t.Errorf("confirmed: %q", a.Message)
		}
		a = postJSON(t, e, "/bulk?host=nas&state=open", url.Values{"action": {"acknowledge"}, "shown": {"0"}})
		if !strings.HasPrefix(a.Message, "Nothing changed") {
			t.Errorf("acting on an empty view says %q, want that nothing changed", a.Message)
		}
	})
}
