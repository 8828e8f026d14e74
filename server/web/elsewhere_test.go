package web_test

import (
	"strings"
	"testing"
)

// Issue 18 F6: the image page links the same image on the other hosts, and nothing else (a
// longer reference that contains it is another image).
func TestImagePageLinksTheSameImageOnOtherHosts(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("nas", "docker.io/library/nginx:1.2", digestN(1), "")
		e.notify("pi", "docker.io/library/nginx:1.2", digestN(2), "")
		e.notify("vps", "docker.io/library/nginx:1.2", digestN(3), "")
		e.notify("vps", "docker.io/library/nginx:1.29", digestN(4), "")
		nas, pi, vps := imageID(t, e, "nas", "docker.io/library/nginx:1.2"), imageID(t, e, "pi", "docker.io/library/nginx:1.2"), imageID(t, e, "vps", "docker.io/library/nginx:1.2")
		other := imageID(t, e, "vps", "docker.io/library/nginx:1.29")
		_, body := e.get("/images/"+itoa(nas), nil)
		for _, want := range []string{`<dt>Also on</dt>`, `<a href="/images/` + itoa(pi) + `">pi</a>`, `<a href="/images/` + itoa(vps) + `">vps</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the image page lacks %s", want)
			}
		}
		if strings.Contains(body, `href="/images/`+itoa(other)+`"`) || strings.Contains(body, `href="/images/`+itoa(nas)+`">nas`) {
			t.Error("the image page links another image, or itself, as the same image elsewhere")
		}
		if _, body := e.get("/images/"+itoa(other), nil); strings.Contains(body, "Also on") {
			t.Error("an image on one host only says it is also elsewhere")
		}
	})
}
