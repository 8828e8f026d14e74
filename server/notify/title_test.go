package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nicholas-fedor/shoutrrr"
	"github.com/nicholas-fedor/shoutrrr/pkg/router"
)

// PagerDuty has no title setting and refuses a title parameter: the message goes out with its
// title leading the body instead of not at all. ntfy has one and keeps getting it.
func TestServiceWithoutATitleStillSends(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"k","id":"1","time":0,"event":"message","topic":"t"}`)
	}))
	defer srv.Close()
	// PagerDuty is sent over HTTPS only: trust the test server's certificate for this test.
	saved := http.DefaultTransport
	http.DefaultTransport = srv.Client().Transport
	defer func() { http.DefaultTransport = saved }()
	host := strings.TrimPrefix(srv.URL, "https://")
	s := &Service{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if err := s.shoutrrrSend(ctx, Target{URL: "pagerduty://" + host + "/0123456789abcdef0123456789abcdef"}, "3 new updates on 1 host", "nas\n  nginx"); err != nil {
		t.Fatalf("PagerDuty send failed: %v", err)
	}
	if !takesTitle(mustSender(t, "ntfy://"+host+"/topic?scheme=http"), "ntfy://"+host+"/topic?scheme=http") {
		t.Error("ntfy has a title setting, takesTitle says no")
	}
	if takesTitle(mustSender(t, "pagerduty://"+host+"/0123456789abcdef0123456789abcdef"), "pagerduty://"+host+"/0123456789abcdef0123456789abcdef") {
		t.Error("PagerDuty has no title setting, takesTitle says it has")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], "3 new updates on 1 host") {
		t.Fatalf("PagerDuty received %q, want one event carrying the title", bodies)
	}
}

func mustSender(t *testing.T, rawURL string) *router.ServiceRouter {
	t.Helper()
	r, err := shoutrrr.CreateSender(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
