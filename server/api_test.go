package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"diundashboard/server/api"
	"diundashboard/server/webhook"
)

// seed posts one notification per (host, image) through the webhook and returns the image ids
// in the order posted.
func (e *testEnv) seed(hosts, imagesPerHost int) []int64 {
	e.t.Helper()
	var ids []int64
	providers := []string{"docker", "swarm", "kubernetes"}
	for h := range hosts {
		for i := range imagesPerHost {
			body := fmt.Sprintf(`{"hostname":"host-%d","image":"docker.io/team/app-%02d:1.%d","digest":"sha256:%064x","status":"update","provider":%q}`,
				h, i, h, h*1000+i, providers[i%len(providers)])
			r := e.webhook(body)
			e.wantStatus(r, http.StatusOK)
			var reply webhook.Reply
			r.json(e.t, &reply)
			ids = append(ids, *reply.ImageID)
		}
	}
	return ids
}

func TestAPIListFiltersSortsAndPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(3, 7) // 21 images: host-0..2 × app-00..06
		all, next := env.listImages("limit=500")
		if len(all) != 21 || next != "" {
			t.Fatalf("%d images, next %q", len(all), next)
		}
		// Default order: last seen, newest first.
		if all[0].ID != ids[len(ids)-1] || all[20].ID != ids[0] {
			t.Fatalf("default order starts with %d and ends with %d", all[0].ID, all[20].ID)
		}
		for _, c := range []struct {
			query string
			want  int
		}{
			{"host=host-1", 7},
			{"provider=swarm", 6},
			{"q=APP-03", 3},
			{"q=app-03&host=host-2", 1},
			{"q=nothing-like-it", 0},
			{"state=acknowledged", 0},
			{"state=all", 21},
			{"host=host-0&provider=docker&state=open", 3},
		} {
			if got, _ := env.listImages(c.query); len(got) != c.want {
				t.Errorf("%s: %d images, want %d", c.query, len(got), c.want)
			}
		}
		// Sorting by image then host, walking pages of 4 with the cursor.
		var walked []api.Image
		cursor := ""
		for pages := 0; ; pages++ {
			page, next := env.listImages("sort=image&limit=4&cursor=" + url.QueryEscape(cursor))
			walked = append(walked, page...)
			if next == "" {
				if pages != 5 {
					t.Fatalf("%d pages for 21 images by 4", pages+1)
				}
				break
			}
			cursor = next
		}
		if len(walked) != 21 {
			t.Fatalf("walked %d images", len(walked))
		}
		for i := 1; i < len(walked); i++ {
			a, b := walked[i-1], walked[i]
			if a.Image > b.Image || a.Image == b.Image && a.Hostname >= b.Hostname {
				t.Fatalf("not sorted by image, host: %s@%s before %s@%s", a.Image, a.Hostname, b.Image, b.Hostname)
			}
		}
		byHost, _ := env.listImages("sort=host&limit=500")
		if byHost[0].Hostname != "host-0" || byHost[20].Hostname != "host-2" {
			t.Fatalf("sort=host starts with %s, ends with %s", byHost[0].Hostname, byHost[20].Hostname)
		}
		// A cursor made for one sort is refused for another.
		_, next = env.listImages("sort=image&limit=2")
		r := env.api(http.MethodGet, "/api/v1/images?sort=host&cursor="+url.QueryEscape(next), nil)
		env.wantStatus(r, http.StatusBadRequest)
		r.errorMessage(t)
	})
}

func TestAPIRefusesBadQueries(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		env.seed(1, 2)
		for _, q := range []string{
			"limit=0", "limit=-1", "limit=501", "limit=abc", "limit=99999999999999999999",
			"state=pending", "sort=digest", "cursor=!!!", "cursor=e30", "cursor=" + strings.Repeat("A", 5000),
			"q=" + strings.Repeat("x", 2000), "sort=image&cursor=eyJzIjoibGFzdF9zZWVuIiwiaSI6MX0",
		} {
			r := env.api(http.MethodGet, "/api/v1/images?"+q, nil)
			if r.Status != http.StatusBadRequest {
				t.Errorf("%s: status %d: %s", q, r.Status, r.Body)
				continue
			}
			r.errorMessage(t)
		}
		for _, p := range []string{"/api/v1/images/abc", "/api/v1/images/-1", "/api/v1/images/0", "/api/v1/images/1.5", "/api/v1/images/..%2F..%2Fetc", "/api/v1/images/1/events?limit=0"} {
			r := env.api(http.MethodGet, p, nil)
			if r.Status != http.StatusBadRequest && r.Status != http.StatusNotFound {
				t.Errorf("%s: status %d", p, r.Status)
				continue
			}
			r.errorMessage(t)
		}
		r := env.api(http.MethodGet, "/api/v1/images/987654", nil)
		env.wantStatus(r, http.StatusNotFound)
		r.errorMessage(t)
		r = env.api(http.MethodGet, "/api/v1/nothing", nil)
		env.wantStatus(r, http.StatusNotFound)
		r.errorMessage(t)
	})
}

func TestAPITriage(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(2, 3)
		path := func(id int64, action string) string { return fmt.Sprintf("/api/v1/images/%d/%s", id, action) }

		r := env.api(http.MethodPost, path(ids[0], "acknowledge"), nil)
		env.wantStatus(r, http.StatusOK)
		var img api.Image
		r.json(t, &img)
		if img.State != "acknowledged" {
			t.Fatalf("state %s", img.State)
		}
		if open, _ := env.listImages(""); len(open) != 5 {
			t.Fatalf("%d open after acknowledging one of 6", len(open))
		}
		// The same digest again keeps it acknowledged; a newer digest reopens it.
		env.wantStatus(env.webhook(fmt.Sprintf(`{"hostname":"host-0","image":%q,"digest":"sha256:%064x"}`, img.Image, 0)), http.StatusOK)
		if got := env.getImage(ids[0]); got.State != "acknowledged" {
			t.Fatalf("a duplicate reopened it: %s", got.State)
		}
		env.wantStatus(env.webhook(fmt.Sprintf(`{"hostname":"host-0","image":%q,"digest":"sha256:%064x"}`, img.Image, 999)), http.StatusOK)
		if got := env.getImage(ids[0]); got.State != "open" || got.Notifications != 3 {
			t.Fatalf("a newer digest left it %s with %d notifications", got.State, got.Notifications)
		}

		r = env.api(http.MethodPost, path(ids[1], "snooze"), map[string]string{"for": "7d"})
		env.wantStatus(r, http.StatusOK)
		r.json(t, &img)
		until, err := time.Parse(time.RFC3339Nano, deref(img.SnoozedUntil))
		if img.State != "snoozed" || err != nil || time.Until(until) < 6*24*time.Hour || time.Until(until) > 7*24*time.Hour {
			t.Fatalf("snooze: %s", r.Body)
		}
		at := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		r = env.api(http.MethodPost, path(ids[1], "snooze"), map[string]string{"until": at})
		env.wantStatus(r, http.StatusOK)
		for _, bad := range []map[string]string{{}, {"for": "0d"}, {"for": "soon"}, {"for": "400d"}, {"until": "tomorrow"}, {"until": "2001-01-01T00:00:00Z"}, {"until": at, "for": "1d"}} {
			r := env.api(http.MethodPost, path(ids[1], "snooze"), bad)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("snooze %v: status %d", bad, r.Status)
			}
			r.errorMessage(t)
		}
		env.wantStatus(env.request(http.MethodPost, path(ids[1], "snooze"), []byte(`{"for":`), env.authorize()...), http.StatusBadRequest)
		env.wantStatus(env.request(http.MethodPost, path(ids[1], "snooze"), []byte(`{"for":7}`), env.authorize()...), http.StatusUnprocessableEntity)

		r = env.api(http.MethodPost, path(ids[2], "ignore"), nil)
		env.wantStatus(r, http.StatusOK)
		if got := env.getImage(ids[2]); got.State != "ignored" {
			t.Fatalf("ignore: %s", got.State)
		}
		r = env.api(http.MethodPost, path(ids[2], "reopen"), nil)
		env.wantStatus(r, http.StatusOK)
		if got := env.getImage(ids[2]); got.State != "open" {
			t.Fatalf("reopen: %s", got.State)
		}

		r = env.api(http.MethodPost, "/api/v1/hosts/host-1/acknowledge", nil)
		env.wantStatus(r, http.StatusOK)
		var bulk struct{ Acknowledged int64 }
		r.json(t, &bulk)
		if bulk.Acknowledged != 3 {
			t.Fatalf("host acknowledge moved %d", bulk.Acknowledged)
		}
		if open, _ := env.listImages("host=host-1"); len(open) != 0 {
			t.Fatalf("host-1 still has %d open", len(open))
		}

		env.wantStatus(env.api(http.MethodDelete, fmt.Sprintf("/api/v1/images/%d", ids[2]), nil), http.StatusNoContent)
		env.wantStatus(env.api(http.MethodDelete, fmt.Sprintf("/api/v1/images/%d", ids[2]), nil), http.StatusNotFound)
		env.wantStatus(env.api(http.MethodGet, fmt.Sprintf("/api/v1/images/%d/events", ids[2]), nil), http.StatusNotFound)
		env.wantStatus(env.api(http.MethodPost, path(987654, "acknowledge"), nil), http.StatusNotFound)
	})
}

func (e *testEnv) getImage(id int64) api.Image {
	e.t.Helper()
	r := e.api(http.MethodGet, fmt.Sprintf("/api/v1/images/%d", id), nil)
	e.wantStatus(r, http.StatusOK)
	var img api.Image
	r.json(e.t, &img)
	return img
}

func TestAPIWritesNeedAuthAndSameOrigin(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(1, 1)
		for _, read := range []string{"/api/v1/images", fmt.Sprintf("/api/v1/images/%d", ids[0]), fmt.Sprintf("/api/v1/images/%d/events", ids[0]), "/api/v1/tags", "/api/v1/summary"} {
			if r := env.request(http.MethodGet, read, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("GET %s without auth: status %d", read, r.Status)
			}
			// The webhook token is Diun's: it does not open the API.
			if r := env.request(http.MethodGet, read, nil, "Authorization", "Bearer "+testToken); r.Status != http.StatusUnauthorized {
				t.Errorf("GET %s with the webhook token: status %d", read, r.Status)
			}
		}
		writes := []struct{ method, path, body string }{
			{http.MethodPost, fmt.Sprintf("/api/v1/images/%d/acknowledge", ids[0]), ""},
			{http.MethodPost, fmt.Sprintf("/api/v1/images/%d/reopen", ids[0]), ""},
			{http.MethodPost, fmt.Sprintf("/api/v1/images/%d/ignore", ids[0]), ""},
			{http.MethodPost, fmt.Sprintf("/api/v1/images/%d/snooze", ids[0]), `{"for":"1d"}`},
			{http.MethodPost, "/api/v1/hosts/host-0/acknowledge", ""},
			{http.MethodDelete, fmt.Sprintf("/api/v1/images/%d", ids[0]), ""},
			{http.MethodPost, "/api/v1/tags", `{"name":"x"}`},
			{http.MethodPatch, "/api/v1/tags/1", `{"name":"y"}`},
			{http.MethodDelete, "/api/v1/tags/1", ""},
			{http.MethodPut, fmt.Sprintf("/api/v1/images/%d/tags/1", ids[0]), ""},
			{http.MethodDelete, fmt.Sprintf("/api/v1/images/%d/tags/1", ids[0]), ""},
		}
		for _, w := range writes {
			r := env.request(w.method, w.path, []byte(w.body))
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s %s without auth: status %d", w.method, w.path, r.Status)
			}
			r = env.request(w.method, w.path, []byte(w.body), append(env.authorize(), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")...)
			if r.Status != http.StatusForbidden {
				t.Errorf("%s %s cross-origin: status %d", w.method, w.path, r.Status)
			}
		}
		if got := env.getImage(ids[0]); got.State != "open" {
			t.Fatalf("a refused write changed the state to %s", got.State)
		}
	})
}

func TestAPITags(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(1, 3)
		r := env.api(http.MethodPost, "/api/v1/tags", map[string]string{"name": "prod"})
		env.wantStatus(r, http.StatusCreated)
		var tag api.Tag
		r.json(t, &tag)
		env.wantStatus(env.api(http.MethodPost, "/api/v1/tags", map[string]string{"name": "prod"}), http.StatusConflict)
		env.wantStatus(env.api(http.MethodPost, "/api/v1/tags", map[string]string{"name": " "}), http.StatusUnprocessableEntity)
		env.wantStatus(env.api(http.MethodPost, "/api/v1/tags", map[string]any{"name": 5}), http.StatusUnprocessableEntity)
		env.wantStatus(env.api(http.MethodPost, "/api/v1/tags", []string{"prod"}), http.StatusBadRequest)

		link := fmt.Sprintf("/api/v1/images/%d/tags/%d", ids[1], tag.ID)
		env.wantStatus(env.api(http.MethodPut, link, nil), http.StatusNoContent)
		env.wantStatus(env.api(http.MethodPut, link, nil), http.StatusNoContent) // idempotent
		env.wantStatus(env.api(http.MethodPut, fmt.Sprintf("/api/v1/images/%d/tags/%d", 987654, tag.ID), nil), http.StatusNotFound)
		tagged, _ := env.listImages("tag=prod")
		if len(tagged) != 1 || tagged[0].ID != ids[1] || len(tagged[0].Tags) != 1 || tagged[0].Tags[0].Name != "prod" {
			t.Fatalf("tag filter: %+v", tagged)
		}

		r = env.api(http.MethodPatch, fmt.Sprintf("/api/v1/tags/%d", tag.ID), map[string]string{"name": "production"})
		env.wantStatus(r, http.StatusOK)
		if tagged, _ := env.listImages("tag=production"); len(tagged) != 1 {
			t.Fatalf("renamed tag filter: %+v", tagged)
		}
		r = env.api(http.MethodGet, "/api/v1/tags", nil)
		env.wantStatus(r, http.StatusOK)
		var list struct{ Tags []api.Tag }
		r.json(t, &list)
		if len(list.Tags) != 1 || list.Tags[0].Images == nil || *list.Tags[0].Images != 1 {
			t.Fatalf("tags %s", r.Body)
		}
		env.wantStatus(env.api(http.MethodDelete, link, nil), http.StatusNoContent)
		if tagged, _ := env.listImages("tag=production"); len(tagged) != 0 {
			t.Fatalf("detached tag still filters: %+v", tagged)
		}
		env.wantStatus(env.api(http.MethodDelete, fmt.Sprintf("/api/v1/tags/%d", tag.ID), nil), http.StatusNoContent)
		env.wantStatus(env.api(http.MethodDelete, fmt.Sprintf("/api/v1/tags/%d", tag.ID), nil), http.StatusNotFound)
		env.wantStatus(env.api(http.MethodPatch, fmt.Sprintf("/api/v1/tags/%d", tag.ID), map[string]string{"name": "z"}), http.StatusNotFound)
	})
}

func TestAPIEventsArePagedNewestFirst(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		var imageID int64
		for i := range 7 {
			r := env.webhook(fmt.Sprintf(`{"hostname":"vm","image":"docker.io/library/nginx:1","digest":"sha256:%064x","status":"update"}`, i))
			env.wantStatus(r, http.StatusOK)
			var reply webhook.Reply
			r.json(t, &reply)
			imageID = *reply.ImageID
		}
		var digests []string
		cursor := ""
		for {
			r := env.api(http.MethodGet, fmt.Sprintf("/api/v1/images/%d/events?limit=3&cursor=%s", imageID, cursor), nil)
			env.wantStatus(r, http.StatusOK)
			var page struct {
				Events     []api.Event `json:"events"`
				NextCursor string      `json:"next_cursor"`
			}
			r.json(t, &page)
			for _, e := range page.Events {
				digests = append(digests, e.Digest)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = url.QueryEscape(page.NextCursor)
		}
		if len(digests) != 7 || digests[0] != fmt.Sprintf("sha256:%064x", 6) || digests[6] != fmt.Sprintf("sha256:%064x", 0) {
			t.Fatalf("events %v", digests)
		}
		env.wantStatus(env.api(http.MethodGet, fmt.Sprintf("/api/v1/images/%d/events?cursor=zz", imageID), nil), http.StatusBadRequest)
	})
}

func TestAPISummaryCountsPerHostAndState(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(2, 2)
		env.wantStatus(env.api(http.MethodPost, fmt.Sprintf("/api/v1/images/%d/ignore", ids[0]), nil), http.StatusOK)
		r := env.api(http.MethodGet, "/api/v1/summary", nil)
		env.wantStatus(r, http.StatusOK)
		var sum api.Summary
		r.json(t, &sum)
		if sum.TotalOpen != 3 || sum.Totals["ignored"] != 1 || len(sum.Hosts) != 2 || sum.LastNotification == nil || sum.LastTestNotification != nil {
			t.Fatalf("summary %s", r.Body)
		}
		if h := sum.Hosts[0]; h.Hostname != "host-0" || h.Open != 1 || h.Ignored != 1 {
			t.Fatalf("host-0 %+v", h)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
