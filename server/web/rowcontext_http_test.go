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

// Issue 18 B7: grouped by stack, a compose stack and a Kubernetes namespace of the same name
// are two groups, and each row says its host (a stack spans hosts).
// B8: a swarm service's stack comes from its name, as Diun sends it (ctn_name
// "<stack>_<service>", no key naming the stack).
func TestGroupByStackKeepsKindsApartAndNamesHosts(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("nas", "docker.io/acme/web:1", digestN(1), `{"ctn_names":"web","stack":"shop"}`)
		e.notifyFrom("kubernetes", "k8s", "docker.io/acme/api:1", digestN(2), `{"pod_name":"api-1","pod_namespace":"shop"}`)
		e.notifyFrom("swarm", "swarm1", "docker.io/acme/cart:1", digestN(3), `{"svc_id":"abc123","ctn_name":"shop_cart"}`)
		_, body := e.get("/?group=stack", nil)
		stack, ns := strings.Index(body, "<h2>stack shop</h2>"), strings.Index(body, "<h2>namespace shop</h2>")
		if stack < 0 || ns < 0 {
			t.Fatalf("grouped by stack: stack shop at %d, namespace shop at %d; want both", stack, ns)
		}
		groupOf := func(repo string) int {
			i := strings.Index(body, `<span class="repo">`+repo+`</span>`)
			if i < 0 {
				t.Fatalf("no row of %s", repo)
			}
			if i > ns && (ns > stack || i < stack) {
				return ns
			}
			return stack
		}
		if groupOf("acme/web") != stack || groupOf("acme/cart") != stack || groupOf("acme/api") != ns {
			t.Errorf("the rows are not in their own kind's group: web and cart in the stack, api in the namespace (stack %d ns %d web %d cart %d api %d)", stack, ns, strings.Index(body, "acme/web"), strings.Index(body, "acme/cart"), strings.Index(body, "acme/api"))
		}
		for _, host := range []string{"nas", "k8s", "swarm1"} {
			if !strings.Contains(body, `<span class="on-host">on `+host+`</span>`) {
				t.Errorf("a row grouped by stack does not say its host %s", host)
			}
		}
		if _, byHost := e.get("/", nil); strings.Contains(byHost, `class="on-host"`) {
			t.Error("grouped by host, the rows repeat their host")
		}
	})
}
