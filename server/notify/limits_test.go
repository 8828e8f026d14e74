package notify

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

// openUpdates makes n open images on hosts host0…, with names of about nameLen bytes.
func openUpdates(n, hosts, nameLen int) []store.QueuedUpdate {
	created := start.Add(-72 * time.Hour)
	var out []store.QueuedUpdate
	for i := range n {
		name := fmt.Sprintf("registry.example.org/team/%s-%04d:1.2.3", strings.Repeat("é", max(nameLen-40, 1)/2), i)
		out = append(out, store.QueuedUpdate{QueueID: int64(i + 1), ImageID: int64(1000 + i), QueuedAt: start,
			Hostname: fmt.Sprintf("host%d.example.org", i%hosts), Image: name, Status: "update", State: store.StateOpen, Created: &created})
	}
	return out
}

var (
	hostHeader = regexp.MustCompile(`^(.+) \((\d+) updates?\)$`)
	moreOnHost = regexp.MustCompile(`^and (\d+) more on `)
	totalLine  = regexp.MustCompile(`(?m)^(\d+) new updates? on (\d+) hosts?(: (\S+))?$`)
)

// checkFits checks that msg is within limit, ends with the total of all images, and lists
// each host whole (or, the first one when it alone does not fit, with the count of the rest).
func checkFits(t *testing.T, msg *store.OutboxMessage, limit, total int, baseURL string) {
	t.Helper()
	if got := len(msg.Title) + 2 + len(msg.Body); got > limit {
		t.Errorf("title and body take %d bytes; the limit is %d", got, limit)
	}
	m := totalLine.FindStringSubmatch(msg.Body)
	if m == nil || m[1] != strconv.Itoa(total) {
		t.Errorf("the body does not end with the total of %d:\n%s", total, msg.Body)
	} else if baseURL != "" && m[4] != baseURL+"/?state=open" {
		t.Errorf("the total does not link the overview's open updates:\n%s", msg.Body)
	}
	lines := strings.Split(msg.Body, "\n")
	for i, l := range lines {
		h := hostHeader.FindStringSubmatch(l)
		if h == nil || strings.HasPrefix(l, "Not listed: ") {
			continue
		}
		want, _ := strconv.Atoi(h[2])
		listed, more := 0, 0
		for _, next := range lines[i+1:] {
			if strings.HasPrefix(next, "- ") {
				listed++
			} else if mm := moreOnHost.FindStringSubmatch(next); mm != nil {
				more, _ = strconv.Atoi(mm[1])
			} else if !strings.HasPrefix(next, "  ") {
				break
			}
		}
		if listed+more != want || (more > 0 && i != 0) {
			t.Errorf("host %s: %d listed and %d more; want all %d (only the first host may be cut):\n%s", h[1], listed, more, want, msg.Body)
		}
	}
}

func TestMessagesFitEachServicesLimit(t *testing.T) {
	longBase := "https://dash.example.org/" + strings.Repeat("very-long-path/", 20) + "diun"
	for service, url := range map[string]string{
		"ntfy": "ntfy://ntfy.example.org/diun", "discord": "discord://T0kenT0kenT0ken@123456789012345678",
		"telegram": "telegram://123456789:AAbbCCddEEffGGhh@telegram?chats=@diun", "pushover": "pushover://shoutrrr:aTokenOfPushover123@aUserKeyOfPushover45/",
		"slack": "slack://hook:WNA3PBYV6-F20DUQND3RQ-Webc4MAvoacrpPakR8phF0zi@webhook", "generic": "generic+https://hooks.example.org/diun",
	} {
		cfg := mustConfig(t, url, "2m", "off")
		limit := cfg.MessageLimit()
		if want := map[string]int{"ntfy": 4096, "discord": 2000, "telegram": 4096, "pushover": 1024, "slack": 40000, "generic": defaultLimit}[service]; limit != want {
			t.Errorf("%s: limit %d; want %d", service, limit, want)
		}
		for _, n := range []int{1, 3, 50, 400} {
			for _, base := range []string{"", "https://dash.example.org", longBase} {
				for _, nameLen := range []int{30, 300, 5000} {
					name := fmt.Sprintf("%s/%d images/base %d/name %d", service, n, len(base), nameLen)
					msg := composeNew(openOnly(openUpdates(n, 3, nameLen)), start, base, limit, plain)
					t.Run(name, func(t *testing.T) { checkFits(t, msg, limit, n, base) })
				}
			}
		}
	}
}

// The new user's case: 50 images over ntfy made a 4,940-byte message; through shoutrrr to a
// real HTTP endpoint speaking ntfy's API it now stays within 4096 bytes and counts the rest.
func TestFiftyImagesFitNtfy(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"id":"x","event":"message"}`)
	}))
	defer srv.Close()
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	base := "https://diun-dashboard.home.example.org"
	svc := New(st, mustConfig(t, "ntfy://"+strings.TrimPrefix(srv.URL, "http://")+"/diun?scheme=http", "2m", "off"),
		Options{Now: clk.Now, Logger: quietLogger(), BaseURL: base})
	for i := range 50 {
		if _, err := st.Record(t.Context(), notification("nas", fmt.Sprintf("ghcr.io/linuxserver/some-app-%02d:latest", i), i, clk.Now(), start.Add(-48*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("%d requests; want 1", len(bodies))
	}
	if len(bodies[0]) > 4096 {
		t.Errorf("ntfy got %d bytes; its limit is 4096", len(bodies[0]))
	}
	rows, err := st.ListOutbox(t.Context(), 1)
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	checkFits(t, &store.OutboxMessage{Title: rows[0].Title, Body: rows[0].Body}, 4096, 50, base)
	if !strings.Contains(bodies[0], "50 new updates on 1 host: "+base+"/?state=open") {
		t.Errorf("ntfy's message does not link the rest:\n%s", bodies[0])
	}
}

func TestDigestFitsTheLimit(t *testing.T) {
	in := digestInput{Slot: start, Oldest: &store.Image{ID: 7, Hostname: "host-001", Image: strings.Repeat("long/", 100) + "img:1", StateChangedAt: start.Add(-100 * time.Hour)}}
	for i := range 300 {
		in.Hosts = append(in.Hosts, digestHost{Hostname: fmt.Sprintf("host-%03d.%s.example.org", i, strings.Repeat("x", 30)), Open: int64(i + 1), Images: []string{"nginx:1"}})
		in.Total += int64(i + 1)
	}
	for _, limit := range []int{1024, 2000, 4096} {
		msg := composeDigest(in, start, "https://dash.example.org/"+strings.Repeat("p/", 50), limit, plain)
		if got := len(msg.Title) + 2 + len(msg.Body); got > limit {
			t.Errorf("digest takes %d bytes; limit %d", got, limit)
		}
		m := regexp.MustCompile(`and (\d+) more hosts?`).FindStringSubmatch(msg.Body)
		if m == nil {
			t.Fatalf("limit %d: the hosts left out are not counted:\n%s", limit, msg.Body)
		}
		more, _ := strconv.Atoi(m[1])
		if listed := strings.Count(msg.Body, " open\n"); listed+more != 300 {
			t.Errorf("limit %d: %d hosts listed, %d more; want 300", limit, listed, more)
		}
		if !strings.Contains(msg.Body, "Waiting longest") {
			t.Errorf("limit %d: the longest wait is missing", limit)
		}
	}
}
