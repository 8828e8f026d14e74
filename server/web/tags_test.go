package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// tagByName finds a tag in the store, with its image count.
func tagByName(t *testing.T, e *env, name string) (store.Tag, bool) {
	t.Helper()
	tags, err := e.st.ListTags(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags {
		if tg.Name == name {
			return tg, true
		}
	}
	return store.Tag{}, false
}

// The tags page lists every tag with its count; a plain form creates, renames and deletes
// (asking first, with the count), each answered by a redirect back to the page with a notice.
func TestTagsPage(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		for i, ref := range []string{"docker.io/acme/a:1", "docker.io/acme/b:1", "docker.io/acme/c:1"} {
			e.notify("nas", ref, digestN(i+1), "")
		}
		res := e.post("/tags/new", url.Values{"name": {"  media "}}, nil)
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/tags?") {
			t.Fatalf("POST /tags/new: %d → %q, want a redirect to /tags", res.StatusCode, loc)
		}
		if _, body := e.get(loc, nil); !strings.Contains(body, "Created the tag media.") {
			t.Error("the tags page does not show the notice of the tag made")
		}
		media, ok := tagByName(t, e, "media")
		if !ok {
			t.Fatal("the tag media was not made")
		}
		other := postJSON(t, e, "/tags/new", url.Values{"name": {"other"}})
		if other.Message != "Created the tag other." {
			t.Errorf("JSON create: %q", other.Message)
		}
		ids := []int64{imageID(t, e, "nas", "docker.io/acme/a:1"), imageID(t, e, "nas", "docker.io/acme/b:1")}
		if _, err := e.st.TagImages(t.Context(), ids, media.ID); err != nil {
			t.Fatal(err)
		}

		res, body := e.get("/tags", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/?tag=media&amp;state=all"`) || !strings.Contains(body, "2 images") || !strings.Contains(body, "0 images") {
			t.Fatalf("GET /tags: %d; want each tag linked to its filter with its count", res.StatusCode)
		}
		if !strings.Contains(body, `data-confirm="Delete the tag media? 2 images carry it; they stay in the dashboard, without this tag."`) {
			t.Error("the delete button does not ask with the count of images")
		}
		if _, body := e.get("/", nil); !strings.Contains(body, `href="/tags"`) {
			t.Error("the overview does not link the tags page")
		}

		// Rename: a redirect back with the notice; the images keep the tag under its new name.
		res = e.post("/tags/"+itoa(media.ID)+"/rename", url.Values{"name": {"films"}}, nil)
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/tags?") {
			t.Fatalf("rename: %d → %q", res.StatusCode, loc)
		} else if _, body := e.get(loc, nil); !strings.Contains(body, "Renamed the tag media to films.") {
			t.Error("no notice of the rename")
		}
		if films, ok := tagByName(t, e, "films"); !ok || films.ID != media.ID || films.Images != 2 {
			t.Errorf("after the rename: %+v %v, want tag %d on 2 images", films, ok, media.ID)
		}

		// A name taken: refused with the reason beside the form and the typed name kept.
		res, body = e.postBody("/tags/"+itoa(media.ID)+"/rename", url.Values{"name": {"other"}}, nil)
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "There is a tag named &#34;other&#34; already. Choose another name") ||
			!strings.Contains(body, `value="other" aria-invalid="true"`) {
			t.Errorf("rename to a taken name: %d; want 409 with the reason and the typed name", res.StatusCode)
		}
		res, out := e.postBody("/tags/"+itoa(media.ID)+"/rename", url.Values{"name": {"other"}}, jsonAccept)
		var refused struct{ Error string }
		if err := json.Unmarshal([]byte(out), &refused); err != nil || res.StatusCode != http.StatusConflict || !strings.HasPrefix(refused.Error, `There is a tag named "other" already`) {
			t.Errorf("JSON rename to a taken name: %d %s", res.StatusCode, out)
		}
		for name, want := range map[string]string{"   ": "A tag needs a name.", "a\x01b": "A tag name cannot contain control characters.", strings.Repeat("x", 200): "the most accepted is 64"} {
			res, body := e.postBody("/tags/"+itoa(media.ID)+"/rename", url.Values{"name": {name}}, nil)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
				t.Errorf("rename to %q: %d, want 422 saying %q", name, res.StatusCode, want)
			}
		}
		res, body = e.postBody("/tags/new", url.Values{"name": {"films"}}, nil)
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="tag-new-error"`) {
			t.Errorf("creating a taken name: %d, want 409 beside the new tag's form", res.StatusCode)
		}
		if films, _ := tagByName(t, e, "films"); films.ID != media.ID {
			t.Error("a refused rename changed the tag")
		}

		// Delete: without a script, a page asks first and says how many images carry it.
		res, body = e.postBody("/tags/"+itoa(media.ID)+"/delete", nil, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "Delete the tag films?") || !strings.Contains(body, "2 images carry it") || !strings.Contains(body, `name="confirm" value="yes"`) {
			t.Fatalf("delete without confirmation: %d, want a page that asks with the count", res.StatusCode)
		}
		if _, ok := tagByName(t, e, "films"); !ok {
			t.Fatal("asking deleted the tag")
		}
		res = e.post("/tags/"+itoa(media.ID)+"/delete", url.Values{"confirm": {"yes"}}, nil)
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/tags?") {
			t.Fatalf("confirmed delete: %d → %q", res.StatusCode, loc)
		} else if _, body := e.get(loc, nil); !strings.Contains(body, "Deleted the tag films; 2 images no longer carry it.") {
			t.Error("no notice of the deletion with its count")
		}
		if _, ok := tagByName(t, e, "films"); ok {
			t.Error("the tag is still there")
		}
		if img := stateOf(t, e, ids[0]); len(img.Tags) != 0 {
			t.Errorf("the image keeps tags %v", img.Tags)
		}

		for _, path := range []string{"/tags/999999/rename", "/tags/999999/delete", "/tags/x/delete"} {
			if res := e.post(path, url.Values{"name": {"n"}, "confirm": {"yes"}}, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404", path, res.StatusCode)
			}
		}
	})
}

// The tags page's posts are the UI's: signed in, same origin; what a tag is called is text.
func TestTagsPageGuarded(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	if res, _ := e.get("/tags", nil); res.StatusCode == http.StatusOK {
		t.Error("GET /tags answers without sign-in")
	}
	e.login()
	tag, err := e.st.CreateTag(t.Context(), `<script>alert(1)</script>`)
	if err != nil {
		t.Fatal(err)
	}
	_, body := e.get("/tags", nil)
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("a tag's name is not escaped on the tags page")
	}
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		for _, path := range []string{"/tags/" + itoa(tag.ID) + "/rename", "/tags/" + itoa(tag.ID) + "/delete", "/tags/new"} {
			if res := e.post(path, url.Values{"name": {"x"}, "confirm": {"yes"}}, h); res.StatusCode != http.StatusForbidden {
				t.Errorf("cross-origin POST %s %v: %d, want 403", path, h, res.StatusCode)
			}
		}
	}
	if got, err := e.st.GetTag(t.Context(), tag.ID); err != nil || got.Name != tag.Name {
		t.Errorf("a cross-origin post changed the tag: %+v %v", got, err)
	}
	signedOut := newClientless(e)
	if res := signedOut.post("/tags/"+itoa(tag.ID)+"/delete", url.Values{"confirm": {"yes"}}, nil); res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/tags") {
		t.Error("a signed-out post deleted the tag")
	}
	if _, err := e.st.GetTag(t.Context(), tag.ID); err != nil {
		t.Errorf("the tag is gone after a signed-out post: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
