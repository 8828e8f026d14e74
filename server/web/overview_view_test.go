package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// Issue 11: a form sent without a script leaves no empty parameter and no default in the
// overview's address; a clean address is served as it is.
func TestOverviewAddressIsClean(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	for from, to := range map[string]string{
		"/?q=&host=&tag=&provider=&sort=host":           "/",
		"/?state=open&sort=host&limit=200&days=30":      "/",
		"/?q=app&host=&tag=&provider=&sort=last_seen":   "/?q=app&sort=last_seen",
		"/?state=all&q=&host=nas":                       "/?host=nas&state=all",
		"/?q=app&q=other":                               "/?q=app",
		"/?days=90&host=nas&notice=&state=acknowledged": "/?days=90&host=nas&state=acknowledged",
	} {
		res, _ := e.get(from, nil)
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != to {
			t.Errorf("GET %s: %d to %q, want 302 to %q", from, res.StatusCode, res.Header.Get("Location"), to)
		}
	}
	for _, clean := range []string{"/", "/?q=app", "/?host=nas&state=all"} {
		if res, _ := e.get(clean, nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", clean, res.StatusCode)
		}
	}
	// The state tabs link clean addresses, the current one marked.
	_, body := e.get("/?state=acknowledged&q=app", nil)
	if link := hrefOf(t, body, "</strong> open</a>"); link != "/?q=app" {
		t.Errorf("the open tab links %q, want /?q=app", link)
	}
	if !regexp.MustCompile(`class="tab" aria-current="page"><strong>0</strong> <span class="long">acknowledged</span>`).MatchString(body) {
		t.Error("the acknowledged tab is not marked current in the acknowledged view")
	}
	if strings.Count(body, `aria-current="page"`) != 2 { // the navigation's Updates, and one tab
		t.Errorf("%d links are marked current, want 2", strings.Count(body, `aria-current="page"`))
	}
}

// Issue 11: the pager numbers the rows ("1–3 of 7") and goes back as well as on, the way
// back kept in the address; every image is on exactly one page.
func TestOverviewPagerGoesBothWays(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	for i := range 7 {
		e.notify("nas", fmt.Sprintf("docker.io/acme/app-%d:1", i), digestN(i+1), "")
	}
	rows := regexp.MustCompile(`<li class="img" id="(img-\d+)"`)
	ids := func(body string) []string {
		var out []string
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	link := func(body, rel string) string {
		m := regexp.MustCompile(`<a href="([^"]*)" rel="` + rel + `">`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return html.UnescapeString(m[1])
	}
	path := "/?limit=3"
	var pages [][]string
	var labels, prevs []string
	for range 5 {
		res, body := e.get(path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		pages = append(pages, ids(body))
		m := regexp.MustCompile(`<span class="range">([^<]*)</span>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s has no range", path)
		}
		labels = append(labels, m[1])
		prevs = append(prevs, link(body, "prev"))
		if path = link(body, "next"); path == "" {
			break
		}
	}
	if want := []string{"1–3 of 7", "4–6 of 7", "7–7 of 7"}; strings.Join(labels, ",") != strings.Join(want, ",") {
		t.Errorf("the pages say %q, want %q", labels, want)
	}
	seen := map[string]bool{}
	for _, p := range pages {
		for _, id := range p {
			if seen[id] {
				t.Errorf("%s is on two pages", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 7 || len(pages) != 3 {
		t.Fatalf("%d images on %d pages, want 7 on 3", len(seen), len(pages))
	}
	if prevs[0] != "" {
		t.Errorf("the first page links a previous page: %q", prevs[0])
	}
	// Back from the third page is the second, and back from the second the first.
	for i := 2; i >= 1; i-- {
		_, body := e.get(prevs[i], nil)
		if got := ids(body); strings.Join(got, ",") != strings.Join(pages[i-1], ",") {
			t.Errorf("previous from page %d (%s) shows %v, want %v", i+1, prevs[i], got, pages[i-1])
		}
	}
	if prevs[1] != "/?limit=3" {
		t.Errorf("previous from page 2 is %q, want the first page /?limit=3", prevs[1])
	}
	// A filtered view counts its rows too (issue 11, finding 6): 7 match acme, 3 app-[0-2].
	_, body := e.get("/?limit=3&q=acme", nil)
	if !strings.Contains(body, `<span class="range">1–3 of 7</span>`) {
		t.Error("the first page of a view filtered on text does not say its total")
	}
	_, body = e.get("/?limit=2&q=app-&provider=docker", nil)
	if !strings.Contains(body, `<span class="range">1–2 of 7</span>`) {
		t.Error("the first page of a view filtered on text and provider does not say its total")
	}
	res, _ := e.get("/?cursor=x&back="+strings.Repeat("a.", 300)+"a", nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("an address 300 pages deep: %d, want 400", res.StatusCode)
	}
}

// Issue 11: a fresh install shows how to connect Diun, then that it is connected once the
// test notification arrived, and the list only once an image did.
func TestOverviewSetupCard(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	_, body := e.get("/", nil)
	if !strings.Contains(body, `id="setup"`) || !strings.Contains(body, `href="/connect"`) || !strings.Contains(body, "diun notif test") {
		t.Error("a fresh install does not show how to connect Diun")
	}
	if strings.Contains(body, "Nothing to do") || strings.Contains(body, "Connected —") {
		t.Error("a fresh install says there is nothing to do, or that Diun is connected")
	}
	if strings.Contains(body, `id="filters"`) || strings.Contains(body, `id="chart"`) {
		t.Error("a fresh install shows filters or a chart of nothing")
	}
	e.notify("vm", store.TestImage, digestN(1), "")
	_, body = e.get("/", nil)
	if !strings.Contains(body, "Connected — Diun's test notification arrived") || !strings.Contains(body, "Waiting for the first update") {
		t.Error("after the test notification the card does not say that Diun is connected")
	}
	e.notify("vm", "docker.io/acme/app:1", digestN(2), "")
	_, body = e.get("/", nil)
	if strings.Contains(body, `id="setup"`) {
		t.Error("the setup card stays once an image arrived")
	}
	e.login()
	_, body = e.get("/?state=acknowledged", nil)
	if strings.Contains(body, `id="setup"`) || !strings.Contains(body, "No image in this state.") {
		t.Error("an empty state of a connected dashboard shows the setup card")
	}
}

// Issue 11: the window's title counts the open updates; rows say what changed in words.
func TestOverviewTitleAndLabels(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	_, body := e.get("/", nil)
	if !strings.Contains(body, "<title>Updates · DiunDashboard</title>") {
		t.Error("with nothing open the title counts something")
	}
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	e.notify("nas", "docker.io/acme/db:1", digestN(2), "")
	_, body = e.get("/", nil)
	if !strings.Contains(body, "<title>(2) Updates · DiunDashboard</title>") || !strings.Contains(body, `data-title="(2) Updates · DiunDashboard"`) {
		t.Error("the title does not count the 2 open updates")
	}
	if !strings.Contains(body, ">new digest</span>") || strings.Contains(body, ">update</span>") {
		t.Error(`Diun's "update" is not shown as "new digest"`)
	}
	if !strings.Contains(body, `class="legend"`) {
		t.Error("no legend for the badges and the age colours")
	}
	// A new digest reopens an acknowledged image: the row says so to app.js.
	id := imageID(t, e, "nas", "docker.io/acme/app:1")
	postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", id), nil)
	e.notify("nas", "docker.io/acme/app:1", digestN(3), "")
	_, body = e.get("/", nil)
	if !regexp.MustCompile(fmt.Sprintf(`id="img-%d" data-marks="[^"]+ new;[^"]+ new digest since you acknowledged"`, id)).MatchString(body) {
		t.Error("the reopened row is not marked as a new digest since acknowledged")
	}
	if !regexp.MustCompile(`data-marks="[^";]+ new"[ >]`).MatchString(body) {
		t.Error("the other open row is not marked new")
	}
}

// Issue 11: without a script, an action's notice offers an Undo that works as a plain form.
func TestNoScriptUndo(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("nas", "docker.io/acme/app:1", digestN(1), "")
	id := imageID(t, e, "nas", "docker.io/acme/app:1")
	res := e.post(fmt.Sprintf("/images/%d", id), url.Values{"action": {"acknowledge"}}, map[string]string{"Referer": e.ts.URL + "/"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("plain acknowledge: %d, want 303", res.StatusCode)
	}
	back := res.Header.Get("Location")
	_, body := e.get(back, nil)
	m := regexp.MustCompile(`(?s)<form method="post" action="([^"]+)" class="undo">(.*?)<button>Undo</button></form>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page after a plain action has no Undo form (%s)", back)
	}
	form := url.Values{}
	for _, f := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(m[2], -1) {
		form.Add(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	res = e.post(html.UnescapeString(m[1]), form, map[string]string{"Referer": e.ts.URL + back})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("posting the Undo form: %d, want 303", res.StatusCode)
	}
	if img, _ := e.st.GetImage(t.Context(), id); img.State != store.StateOpen {
		t.Errorf("after Undo the image is %s, want open", img.State)
	}
	after := res.Header.Get("Location")
	_, body = e.get(after, nil)
	if !strings.Contains(body, "Undone") || strings.Contains(body, `class="undo"`) {
		t.Errorf("after Undo the page (%s) does not say so, or still offers an undo", after)
	}
	// An undo in a crafted link is not offered: the signature covers it.
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("undo", "/bulk?action=delete&id=1")
	_, body = e.get("/?"+q.Encode(), nil)
	if strings.Contains(body, `class="undo"`) || strings.Contains(body, "/bulk?action=delete") {
		t.Error("a forged undo is offered")
	}
}
