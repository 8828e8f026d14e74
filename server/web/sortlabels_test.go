package web_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"diundashboard/server/auth"
)

// Issue 11, finding 5: the sort menu names the order the rows are in, in each grouping, with
// the default (host) chosen when the address names none, as the README says; and the rows
// are in that order.
func TestOverviewSortMenuSaysTheOrder(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	seed(e)
	option := regexp.MustCompile(`<option value="(\w+)"( selected)?>([^<]*)</option>`)
	menu := func(body string) (labels map[string]string, selected string) {
		i := strings.Index(body, `<select name="sort">`)
		if i < 0 {
			t.Fatal("no sort menu")
		}
		body = body[i : i+strings.Index(body[i:], "</select>")]
		labels = map[string]string{}
		for _, m := range option.FindAllStringSubmatch(body, -1) {
			labels[m[1]] = m[3]
			if m[2] != "" {
				selected = m[1]
			}
		}
		return labels, selected
	}

	_, body := e.get("/", nil)
	labels, selected := menu(body)
	if selected != "host" {
		t.Errorf("the menu has %q chosen by default, want host", selected)
	}
	if labels["host"] != "by host, then registry/name" || labels["image"] != "by registry/name" || labels["last_seen"] != "last seen first" {
		t.Errorf("grouped by host, the sorts read %q", labels)
	}
	_, body = e.get("/?group=stack", nil)
	labels, selected = menu(body)
	if selected != "host" {
		t.Errorf("grouped by stack, the menu has %q chosen, want host", selected)
	}
	for v, l := range labels {
		if !strings.HasPrefix(l, "in each stack: ") {
			t.Errorf("grouped by stack, the sort %s reads %q: it orders the rows in each stack", v, l)
		}
	}
	_, body = e.get("/?group=stack&sort=last_seen", nil)
	if _, selected = menu(body); selected != "last_seen" {
		t.Errorf("grouped by stack and sorted by last seen, the menu has %q chosen", selected)
	}

	// The rows of nas, by host then registry/name: docker.io's before ghcr.io's, Docker Hub's
	// namespaces in order (library/nginx before linuxserver/jellyfin), as the label says.
	_, body = e.get("/?host=nas", nil)
	var refs []string
	for _, m := range regexp.MustCompile(`<a href="/images/\d+" title="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		refs = append(refs, m[1])
	}
	want := []string{"docker.io/library/nginx:1.29-alpine", "docker.io/linuxserver/jellyfin:10.11.2", "ghcr.io/immich-app/immich-server:v2.3.1"}
	if strings.Join(refs, " ") != strings.Join(want, " ") {
		t.Errorf("nas's rows are %q, want %q", refs, want)
	}

	// The docs say the same default.
	var readme []byte
	for _, page := range []string{"../../docs/usage.md", "../../docs/api.md"} {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		readme = append(readme, text...)
	}
	if !strings.Contains(string(readme), "The overview sorts by host by default") || !strings.Contains(string(readme), "the overview's default being `host`") {
		t.Error("docs/usage.md and docs/api.md do not say that the overview sorts by host by default")
	}
}
