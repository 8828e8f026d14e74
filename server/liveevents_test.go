package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"diundashboard/server/api"
	"diundashboard/server/live"
	"diundashboard/server/store"
)

// Every route that changes data publishes exactly one live event, whoever calls it (the API,
// the UI's forms, Diun), and so does the end of a snooze: the triage service is the only
// place that publishes. A route that changes nothing publishes nothing.
func TestEveryChangePublishesOneLiveEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(2, 4) // host-0: ids[0..3], host-1: ids[4..7]
		tag, err := env.store.CreateTag(context.Background(), "prod")
		if err != nil {
			t.Fatal(err)
		}
		events, stop := env.srv.Hub().Subscribe()
		defer stop()
		// count drains what one request published; events are delivered synchronously to
		// the subscriber's buffer, so a short grace period is only a safety margin.
		count := func() (n int, kinds []string) {
			deadline := time.After(100 * time.Millisecond)
			for {
				select {
				case e := <-events:
					n++
					kinds = append(kinds, e.Kind)
				case <-deadline:
					return n, kinds
				}
			}
		}
		id := func(i int) string { return strconv.FormatInt(ids[i], 10) }
		form := func(v url.Values) []byte { return []byte(v.Encode()) }
		formHeader := append(env.authorize(), "Content-Type", "application/x-www-form-urlencoded", "Accept", "application/json")
		until := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)

		cases := []struct {
			name, method, path string
			body               []byte
			header             []string
			status             int
		}{
			{"webhook, a new digest", "POST", "/webhook?token=" + testToken, []byte(`{"hostname":"host-0","image":"docker.io/team/app-00:1.0","digest":"sha256:` + strings.Repeat("ee", 32) + `"}`), nil, 200},
			{"webhook, Diun's test", "POST", "/webhook?token=" + testToken, []byte(`{"hostname":"vm","image":"` + store.TestImage + `","digest":"sha256:ab00000000000000000000000000000000000000000000000000000000000000"}`), nil, 200},
			{"API acknowledge", "POST", "/api/v1/images/" + id(0) + "/acknowledge", nil, env.authorize(), 200},
			{"API reopen", "POST", "/api/v1/images/" + id(0) + "/reopen", nil, env.authorize(), 200},
			{"API ignore", "POST", "/api/v1/images/" + id(0) + "/ignore", nil, env.authorize(), 200},
			{"API snooze", "POST", "/api/v1/images/" + id(1) + "/snooze", []byte(`{"until":"` + until + `"}`), env.authorize(), 200},
			{"API acknowledge a host", "POST", "/api/v1/hosts/host-1/acknowledge", nil, env.authorize(), 200},
			{"API tag", "PUT", "/api/v1/images/" + id(2) + "/tags/" + strconv.FormatInt(tag.ID, 10), nil, env.authorize(), 204},
			{"API untag", "DELETE", "/api/v1/images/" + id(2) + "/tags/" + strconv.FormatInt(tag.ID, 10), nil, env.authorize(), 204},
			{"API create a tag", "POST", "/api/v1/tags", []byte(`{"name":"media"}`), env.authorize(), 201},
			{"API rename a tag", "PATCH", "/api/v1/tags/" + strconv.FormatInt(tag.ID, 10), []byte(`{"name":"production"}`), env.authorize(), 200},
			{"UI acknowledge", "POST", "/images/" + id(3) + "/acknowledge", nil, formHeader, 200},
			{"UI snooze", "POST", "/images/" + id(3), form(url.Values{"action": {"snooze"}, "for": {"7d"}}), formHeader, 200},
			{"UI bulk ignore", "POST", "/bulk", form(url.Values{"action": {"ignore"}, "id": {id(2), id(3)}}), formHeader, 200},
			{"UI undo", "POST", "/restore", form(url.Values{"item": {id(2) + ":open::ignored:"}}), formHeader, 200},
			{"UI host action", "POST", "/bulk?host=host-0&state=open", form(url.Values{"action": {"acknowledge"}, "confirm": {"yes"}}), formHeader, 200},
			{"UI bulk tag", "POST", "/bulk", form(url.Values{"action": {"tag"}, "tag_id": {strconv.FormatInt(tag.ID, 10)}, "id": {id(4), id(5)}}), formHeader, 200},
			{"UI create a tag", "POST", "/tags", form(url.Values{"name": {"lab"}}), formHeader, 200},
			{"UI delete", "POST", "/images/" + id(6) + "/delete", form(url.Values{"confirm": {"yes"}}), formHeader, 200},
			{"API delete", "DELETE", "/api/v1/images/" + id(7), nil, env.authorize(), 204},
			{"API delete a tag", "DELETE", "/api/v1/tags/" + strconv.FormatInt(tag.ID, 10), nil, env.authorize(), 204},
		}
		for _, c := range cases {
			r := env.request(c.method, c.path, c.body, c.header...)
			if r.Status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
				count()
				continue
			}
			if n, kinds := count(); n != 1 {
				t.Errorf("%s published %d live events %v, want exactly 1", c.name, n, kinds)
			}
		}

		// A change that changes nothing publishes nothing.
		env.wantStatus(env.request("POST", "/api/v1/images/"+id(0)+"/ignore", nil, env.authorize()...), 200)
		count()
		env.wantStatus(env.request("POST", "/api/v1/images/"+id(0)+"/ignore", nil, env.authorize()...), 200)
		if n, kinds := count(); n != 0 {
			t.Errorf("ignoring an ignored image published %d events %v, want none", n, kinds)
		}

		// The end of a snooze, found by the background sweep.
		soon := time.Now().Add(-time.Second)
		if _, err := env.store.SetStates(context.Background(), []int64{ids[1]}, store.Transition{State: store.StateSnoozed, SnoozedUntil: &soon}, "test"); err != nil {
			t.Fatal(err)
		}
		env.srv.wakeSnoozed(context.Background())
		n, kinds := count()
		if n != 1 || kinds[0] != live.KindChange {
			t.Errorf("the end of a snooze published %d events %v, want one change", n, kinds)
		}
		trail, err := env.store.ListStateChanges(context.Background(), ids[1], 1)
		if err != nil || len(trail) != 1 || trail[0].Actor != store.ActorSnoozeEnded {
			t.Errorf("the end of the snooze is not in the audit trail: %+v, %v", trail, err)
		}
		env.srv.wakeSnoozed(context.Background())
		if n, _ := count(); n != 0 {
			t.Errorf("a sweep with nothing to wake published %d events", n)
		}
	})
}

// The audit trail names who made each change: the API token's name here.
func TestAuditTrailNamesTheActor(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ids := env.seed(1, 1)
		env.wantStatus(env.request("POST", "/api/v1/images/"+strconv.FormatInt(ids[0], 10)+"/acknowledge", nil, env.authorize()...), http.StatusOK)
		trail, err := env.store.ListStateChanges(context.Background(), ids[0], 0)
		if err != nil || len(trail) != 1 || trail[0].Actor != "token:tests" || trail[0].To != store.StateAcknowledged {
			t.Errorf("trail = %+v, %v; want one change by token:tests", trail, err)
		}
		// The API shows it.
		r := env.api(http.MethodGet, "/api/v1/images/"+strconv.FormatInt(ids[0], 10)+"/changes", nil)
		env.wantStatus(r, http.StatusOK)
		var got struct{ Changes []api.Change }
		r.json(t, &got)
		if len(got.Changes) != 1 || got.Changes[0].Actor != "token:tests" || got.Changes[0].From != "open" || got.Changes[0].To != "acknowledged" || got.Changes[0].At == "" {
			t.Errorf("GET …/changes = %+v; want the one change by token:tests", got.Changes)
		}
		env.wantStatus(env.api(http.MethodGet, "/api/v1/images/999999/changes", nil), http.StatusNotFound)
	})
}
