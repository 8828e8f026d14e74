package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// rowContextImages are three images with what Diun's providers and people's labels put in the
// metadata: a compose project with a stopped container and an OCI source label, a Kubernetes
// pod, and an image whose source label is a script.
func rowContextImages(e *env) {
	e.notify("nas", "ghcr.io/acme/plex:1", digestN(1), `{"ctn_names":"plex-server","ctn_state":"exited","com.docker.compose.project":"media","org.opencontainers.image.source":"https://github.com/acme/plex"}`)
	e.notify("nas", "docker.io/library/nginx:1.29", digestN(2), `{"ctn_names":"web","stack":"shop"}`)
	e.notify("k8s", "docker.io/acme/api:2", digestN(3), `{"pod_name":"api-7d9","pod_namespace":"prod","pod_status":"{\"phase\":\"Running\",\"conditions\":[]}","org.opencontainers.image.source":"javascript:alert(1)"}`)
}

func TestRowContextOnThePages(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		rowContextImages(e)
		_, body := e.get("/", nil)
		for _, want := range []string{
			`href="/?stack=media"`, `>stack media</a>`, // the compose project, a chip that filters
			`href="/?stack=prod"`, `>ns prod</a>`, // the namespace when there is no stack
			`<span class="stopped">exited</span>`,                            // the container is not running
			`href="https://github.com/acme/plex/releases"`, ">release notes", // inferred from the source label
			`href="https://github.com/acme/plex"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the overview lacks %s", want)
			}
		}
		for _, bad := range []string{"javascript:", `"phase"`, "&#34;phase&#34;"} {
			if strings.Contains(body, bad) {
				t.Errorf("the overview shows %s", bad)
			}
		}

		// The stack filter, and the search over names: exactly the images they name.
		for path, want := range map[string][]string{
			"/?stack=media":  {"acme/plex"},
			"/?stack=prod":   {"acme/api"},
			"/?q=plex-serv":  {"acme/plex"},
			"/?q=PROD":       {"acme/api"},
			"/?q=shop":       {"nginx"},
			"/?stack=nobody": nil,
		} {
			_, body := e.get(path, nil)
			for name, ref := range map[string]string{"acme/plex": "ghcr.io/acme/plex:1", "acme/api": "docker.io/acme/api:2", "nginx": "docker.io/library/nginx:1.29"} {
				if shown, wanted := strings.Contains(body, `title="`+ref+`"`), contains(want, name); shown != wanted {
					t.Errorf("%s shows %s: %v, want %v", path, name, shown, wanted)
				}
			}
		}
		_, body = e.get("/?stack=media", nil)
		if !strings.Contains(body, `<input type="hidden" name="stack" value="media">`) || !strings.Contains(body, `aria-label="Show every stack"`) {
			t.Error("the filters do not show and keep the stack filter")
		}
		// A host's buttons act on the view: the stack goes with them, and acts on nothing else.
		if !strings.Contains(body, `action="/bulk?host=nas&amp;stack=media&amp;state=open"`) {
			t.Fatal("the host's actions do not carry the stack filter")
		}
		a := postJSON(t, e, "/bulk?host=nas&stack=media&state=open", url.Values{"action": {"acknowledge"}, "shown": {"1"}})
		if a.Message != "Acknowledged 1 image on nas." {
			t.Errorf("host action in the stack's view: %q", a.Message)
		}
		if img := stateOf(t, e, imageID(t, e, "nas", "docker.io/library/nginx:1.29")); img.State != store.StateOpen {
			t.Error("the host action reached an image of another stack")
		}

		// Grouped by stack: one group per stack, the images without one last, no host buttons.
		_, body = e.get("/?group=stack&state=all", nil)
		media, prod, shop := strings.Index(body, "<h2>stack media</h2>"), strings.Index(body, "<h2>namespace prod</h2>"), strings.Index(body, "<h2>stack shop</h2>")
		if media < 0 || prod < media || shop < prod {
			t.Errorf("grouped by stack: headings at %d, %d, %d; want media, prod, shop in order", media, prod, shop)
		}
		if strings.Contains(body, `class="host-acts"`) {
			t.Error("a stack group offers a host's buttons")
		}
		if !strings.Contains(body, `<option value="stack" selected>group by stack</option>`) {
			t.Error("the grouping is not shown as chosen")
		}
		if res, body := e.get("/?group=colour", nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "group &#34;colour&#34; is not one of [host stack]") {
			t.Errorf("an unknown grouping: %d, want 400 naming it", res.StatusCode)
		}

		// The image page says the same, and tag chips filter.
		id := imageID(t, e, "nas", "ghcr.io/acme/plex:1")
		tag, err := e.st.CreateTag(t.Context(), "films")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.TagImages(t.Context(), []int64{id}, tag.ID); err != nil {
			t.Fatal(err)
		}
		_, body = e.get("/images/"+itoa(id), nil)
		for _, want := range []string{"<dt>Stack</dt>", `href="/?stack=media"`, "<dt>Release notes</dt>", `href="https://github.com/acme/plex/releases"`, `<span class="stopped">exited</span>`, `href="/?tag=films&amp;state=all"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the image page lacks %s", want)
			}
		}
		_, body = e.get("/?state=all", nil)
		if !strings.Contains(body, `<a class="chip" href="/?tag=films"`) {
			t.Error("a row's tag chip does not filter by its tag")
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
