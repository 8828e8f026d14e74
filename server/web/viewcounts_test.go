package web_test

import (
	"regexp"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// Issue 11, finding 6: the state tabs, the host headings, the host buttons and the pager
// count the view the filters make, not every image: with ?q=arr&host=nas showing 2 rows the
// tabs said "5 open" and the heading "4 open".
func TestOverviewCountsTheFilteredView(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		n := 0
		add := func(host, image string) {
			n++
			e.notify(host, image, digestN(n), "")
		}
		add("nas", "docker.io/linuxserver/sonarr:4")
		add("nas", "docker.io/linuxserver/radarr:5")
		add("nas", "docker.io/linuxserver/lidarr:2")
		add("nas", "docker.io/library/nginx:1.29")
		add("nas", "docker.io/library/postgres:17")
		add("box", "docker.io/linuxserver/prowlarr:1")
		add("box", "docker.io/library/redis:7")
		radarr := imageID(t, e, "nas", "docker.io/linuxserver/radarr:5")
		if _, err := e.st.SetStates(t.Context(), []int64{radarr}, store.Transition{State: store.StateAcknowledged}, "tester"); err != nil {
			t.Fatal(err)
		}

		tab := regexp.MustCompile(`<strong>(\d+)</strong> (open|<span class="long">acknowledged|acknowledged|snoozed|ignored)`)
		tabs := func(body string) string {
			var out []string
			for _, m := range tab.FindAllStringSubmatch(body, -1) {
				out = append(out, m[1]+" "+strings.TrimPrefix(m[2], `<span class="long">`))
			}
			return strings.Join(out, ", ")
		}
		heading := regexp.MustCompile(`<span class="st-open">(\d+) open</span><span class="rest"> · (\d+) acknowledged`)
		headings := func(body string) []string {
			var out []string
			for _, m := range heading.FindAllStringSubmatch(body, -1) {
				out = append(out, m[1]+" open, "+m[2]+" acknowledged")
			}
			return out
		}
		rangeLabel := regexp.MustCompile(`<span class="range">([^<]*)</span>`)
		for _, c := range []struct {
			path, tabs string
			headings   []string
			rng        string
			ackAll     string // the host button's count, "" when it has none
		}{
			// Unfiltered: the maintained counts.
			{"/", "6 open, 1 acknowledged, 0 snoozed, 0 ignored", []string{"2 open, 0 acknowledged", "4 open, 1 acknowledged"}, "1–6 of 6", ""},
			// The host alone: that host's counts.
			{"/?host=nas", "4 open, 1 acknowledged, 0 snoozed, 0 ignored", []string{"4 open, 1 acknowledged"}, "1–4 of 4", "(4)"},
			// Text and host: sonarr and lidarr open, radarr acknowledged.
			{"/?q=arr&host=nas", "2 open, 1 acknowledged, 0 snoozed, 0 ignored", []string{"2 open, 1 acknowledged"}, "1–2 of 2", "(2)"},
			{"/?q=arr&host=nas&state=acknowledged", "2 open, 1 acknowledged, 0 snoozed, 0 ignored", []string{"2 open, 1 acknowledged"}, "1–1 of 1", "(1)"},
			// Text across hosts, and every state.
			{"/?q=arr&state=all", "3 open, 1 acknowledged, 0 snoozed, 0 ignored", []string{"1 open, 0 acknowledged", "2 open, 1 acknowledged"}, "1–4 of 4", ""},
			// Provider: every image comes from docker.
			{"/?provider=docker", "6 open, 1 acknowledged, 0 snoozed, 0 ignored", nil, "1–6 of 6", ""},
			{"/?q=no-such-image", "0 open, 0 acknowledged, 0 snoozed, 0 ignored", nil, "", ""},
		} {
			res, body := e.get(c.path, nil)
			if res.StatusCode != 200 {
				t.Fatalf("GET %s: %d", c.path, res.StatusCode)
			}
			if got := tabs(body); got != c.tabs {
				t.Errorf("GET %s: the tabs say %q, want %q", c.path, got, c.tabs)
			}
			if c.headings != nil {
				if got := headings(body); strings.Join(got, "; ") != strings.Join(c.headings, "; ") {
					t.Errorf("GET %s: the host headings say %q, want %q", c.path, got, c.headings)
				}
			}
			if c.rng != "" {
				if m := rangeLabel.FindStringSubmatch(body); m == nil || m[1] != c.rng {
					t.Errorf("GET %s: the pager says %v, want %q", c.path, m, c.rng)
				}
			}
			if c.ackAll != "" {
				buttons := regexp.MustCompile(`value="(acknowledge|reopen)">[A-Z][a-z]+ all(?: open)? <span class="n">(\([0-9]+\))</span>`).FindStringSubmatch(body)
				if buttons == nil || buttons[2] != c.ackAll {
					t.Errorf("GET %s: the host's first button counts %v, want %s", c.path, buttons, c.ackAll)
				}
			}
		}
	})
}
