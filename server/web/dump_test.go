package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// goValueDump matches what Go's fmt prints for a value a template did not mean to print
// whole: a struct ("{123 alpha docker.io/…}"), a pointer to one ("&{"), a map ("map["), a
// slice of structs ("[{"), a bare pointer ("0xc000…"), a nil ("<nil>") or a formatting
// mistake ("%!s(…)").
var goValueDump = regexp.MustCompile(`\{\d+ |&\{|map\[|\[\{|0x[0-9a-f]{6,}|<nil>|%!`)

// realisticMetadata is what Diun's docker provider sends, and some of every other provider.
const realisticMetadata = `{"ctn_command":"/docker-entrypoint.sh nginx -g 'daemon off;'","ctn_createdat":"2026-06-20 09:03:55 +0000 UTC","ctn_id":"8d1f5cbbd2e4f7a9c3b0e6d4a2f1c9e8b7a6d5c4b3a2f1e0d9c8b7a6f5e4d3c2","ctn_names":"web-1","ctn_size":"0B (virtual 187MB)","ctn_state":"running","ctn_status":"Up 2 hours (healthy)","pod_namespace":"","svc_id":""}`

// TestPagesPrintNoGoValues renders every page, in full and as the fragment app.js fetches,
// over images with metadata, tags, snoozes and a history, and fails on any Go value printed
// into the HTML: the template bug where "{{.Image}}" printed the whole image record.
func TestPagesPrintNoGoValues(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("alpha", "docker.io/library/nginx:1.29", digestN(1), realisticMetadata)
		e.notify("alpha", "docker.io/library/nginx:1.29", digestN(2), realisticMetadata) // a second notification: a timeline
		e.notify("alpha", "ghcr.io/acme/app:2.0", digestN(3), `{"pod_name":"app-7f","pod_namespace":"prod","pod_status":"Running"}`)
		e.notify("beta", "docker.io/library/redis:7", digestN(4), `{"svc_id":"abcdef1234567890","ctn_name":"cache"}`)
		e.notify("beta", "docker.io/acme/job:1", digestN(5), `{"job_name":"batch","task_name":"worker","alloc_id":"9f8e7d6c"}`)
		e.notify("vm", store.TestImage, digestN(6), "") // diun notif test, for the Connect page
		// Ids by reference: PostgreSQL's sequence skips numbers on a repeated notification.
		ids := map[string]string{}
		all, err := e.st.ListImages(t.Context(), store.ImageFilter{}, store.SortImage, store.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range all.Images {
			ids[img.Image] = fmt.Sprint(img.ID)
		}
		nginx, app, redis, job := ids["docker.io/library/nginx:1.29"], ids["ghcr.io/acme/app:2.0"], ids["docker.io/library/redis:7"], ids["docker.io/acme/job:1"]
		postJSON(t, e, "/images/"+nginx+"/tag", url.Values{"new_tag": {"prod"}})
		postJSON(t, e, "/images/"+app+"/snooze", url.Values{"for": {"7d"}})
		postJSON(t, e, "/images/"+app+"/tag", url.Values{"new_tag": {"prod"}})
		postJSON(t, e, "/images/"+redis+"/acknowledge", nil)
		postJSON(t, e, "/images/"+job+"/ignore", nil)
		e.makeToken(url.Values{"name": {"widget"}})

		check := func(what string, res *http.Response, body string, wantStatus int, want ...string) {
			t.Helper()
			if res.StatusCode != wantStatus {
				t.Errorf("%s: %d, want %d", what, res.StatusCode, wantStatus)
			}
			if m := goValueDump.FindStringIndex(body); m != nil {
				t.Errorf("%s prints a Go value: …%s…", what, body[max(0, m[0]-80):min(len(body), m[1]+80)])
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", what, w)
				}
			}
		}
		ref := "docker.io/library/nginx:1.29"
		pages := []struct {
			path   string
			status int
			want   []string
		}{
			{"/?state=all", http.StatusOK, []string{`title="` + ref + `"`, `aria-label="Select nginx:1.29 on alpha"`, "page of " + ref, "container web-1", "prod"}},
			{"/", http.StatusOK, []string{"nginx"}},
			{"/?state=all&sort=image&limit=2", http.StatusOK, []string{`rel="next"`}},
			{"/?host=beta&state=all&days=90", http.StatusOK, []string{"service cache"}},
			{"/?state=snoozed", http.StatusOK, []string{"snoozed until <time", "data-day"}},
			{"/images/" + nginx, http.StatusOK, []string{`<code>` + ref + `</code>`, `title="` + ref + `"`, "ctn_status", "Up 2 hours (healthy)", "2 notifications", "prod"}},
			{"/images/" + app, http.StatusOK, []string{"snoozed", "prod"}},
			{"/images/" + job, http.StatusOK, []string{"job batch, task worker"}},
			{"/connect", http.StatusOK, []string{"A test notification arrived", "widget"}},
			{"/images/999", http.StatusNotFound, []string{"No such image"}},
			{"/images/abc", http.StatusNotFound, nil},
			{"/?state=bogus", http.StatusBadRequest, []string{"not valid"}},
			{"/images/" + nginx + "?cursor=bogus", http.StatusBadRequest, nil},
		}
		for _, p := range pages {
			res, body := e.get(p.path, nil)
			check("GET "+p.path, res, body, p.status, p.want...)
			res, body = e.get(p.path, map[string]string{"X-Fragment": "main"})
			check("GET "+p.path+" (fragment)", res, body, p.status)
		}
		res, body := e.postBody("/images/"+nginx+"/delete", nil, nil)
		check("delete confirmation", res, body, http.StatusOK, "cannot be undone")
		res, body = e.postBody("/bulk", url.Values{"action": {"delete"}, "id": {nginx, app}}, nil)
		check("bulk delete confirmation", res, body, http.StatusOK, "Delete 2 images?")
		body = e.makeToken(url.Values{"name": {"another"}})
		check("token made", &http.Response{StatusCode: http.StatusOK}, body, http.StatusOK, `id="new-token"`)
		res, body = e.postBody("/images/"+nginx+"/frobnicate", nil, nil)
		check("unknown action", res, body, http.StatusNotFound, "is not an action")
		res, body = e.postBody("/bulk", url.Values{"pad": {strings.Repeat("x", 200<<10)}}, nil)
		check("form too large", res, body, http.StatusRequestEntityTooLarge, "larger than the dashboard accepts")
		ct, mp := multipartForm(url.Values{"action": {"acknowledge"}})
		res, body = e.postRaw("/images/"+nginx, ct, mp, nil)
		check("multipart refused", res, body, http.StatusUnsupportedMediaType, "x-www-form-urlencoded")

		// A notice after a plain form post.
		res = e.post("/images/"+nginx+"/acknowledge", nil, map[string]string{"Referer": e.ts.URL + "/?state=all"})
		res, body = e.get(res.Header.Get("Location"), nil)
		check("page with a notice", res, body, http.StatusOK, "Acknowledged nginx:1.29 on alpha.")

		signedOut := newClientless(e)
		res, body = signedOut.get("/login?next=%2Fconnect", nil)
		check("sign-in page", res, body, http.StatusOK, `value="/connect"`)
		res, body = signedOut.postBody("/login", url.Values{"username": {"someone"}, "password": {"wrong"}, "next": {"/connect"}}, nil)
		check("sign-in page after a wrong password", res, body, http.StatusUnauthorized, "Wrong username or password", `value="someone"`)
	})
	for _, mode := range []auth.Mode{auth.ModeNone, auth.ModeProxy} {
		e := newEnv(t, databases["sqlite"](t), mode)
		res, body := e.get("/", nil)
		if m := goValueDump.FindStringIndex(body); m != nil {
			t.Errorf("GET / in %s mode (%d) prints a Go value: %s", mode, res.StatusCode, body[max(0, m[0]-80):min(len(body), m[1]+80)])
		}
	}
}

// TestGoValueDumpPattern keeps the pattern above honest: it must catch what fmt prints for
// the values a template may be handed by mistake.
func TestGoValueDumpPattern(t *testing.T) {
	type row struct {
		ID   int64
		Name string
		Meta map[string]string
	}
	r := row{ID: 123, Name: "alpha", Meta: map[string]string{"k": "v"}}
	var nilPtr *row
	for _, v := range []any{r, &r, r.Meta, []row{r}, &r.ID, nilPtr, nil} {
		if s := fmt.Sprint(v); !goValueDump.MatchString(s) {
			t.Errorf("the pattern misses %q", s)
		}
	}
	// What fmt prints for a verb of the wrong type (vet refuses to compile the call itself).
	if s := "%!d(string=x)"; !goValueDump.MatchString(s) {
		t.Errorf("the pattern misses %q", s)
	}
}
