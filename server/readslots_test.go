package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// pipelineNeverRead opens n connections to addr that each send requests, one after another
// without waiting, and never read a byte of the replies: the attack of an outside review
// (round three, M1). It returns once every connection has been opened; the connections close
// with the test.
func pipelineNeverRead(t *testing.T, addr string, n int, requests []string) {
	t.Helper()
	var conns []net.Conn
	var wg sync.WaitGroup
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// A small receive buffer fills after a few replies, as a slow reader's would.
		_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
		conns = append(conns, c)
		wg.Go(func() {
			for i := 0; ; i++ {
				if _, err := c.Write([]byte(requests[i%len(requests)])); err != nil {
					return
				}
			}
		})
	}
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	})
}

// Anonymous clients that pipeline requests whose answers echo their 60 KB URL, and never read
// them, took every read slot for as long as the server's write timeout, again and again: the
// admin and every API token got 503 (found by an outside review). An anonymous request now
// holds no shared capacity, what it can make the server echo is capped, and a read frees its
// slot when its handler is done, whoever reads slowly.
func TestAnonymousSlowReadersCannotTakeTheReadsOfSignedInUsers(t *testing.T) {
	env := newSecurityEnv(t)
	env.seed(2, 3)
	big := strings.Repeat("a", 60<<10)
	pipelineNeverRead(t, env.http.Listener.Addr().String(), 2*maxConcurrentReads, []string{
		"GET /login?next=/" + big + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /?x=" + big + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	})
	r := env.request(http.MethodPost, "/login", []byte("username=admin&password="+url.QueryEscape(env.password)), "Content-Type", "application/x-www-form-urlencoded")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign-in during the attack: %d %.300s", r.Status, r.Body)
	}
	cookie := strings.SplitN(r.Header.Get("Set-Cookie"), ";", 2)[0]
	// Each round lets the attack fill its buffers a little more; the signed-in reads must
	// never wait for it.
	for round := range 10 {
		for _, c := range []struct{ path, header, value string }{
			{"/api/v1/summary", "Authorization", "Bearer " + env.apiToken},
			{"/api/v1/images", "Authorization", "Bearer " + env.apiToken},
			{"/", "Cookie", cookie},
		} {
			if r := env.request(http.MethodGet, c.path, nil, c.header, c.value); r.Status != http.StatusOK {
				t.Fatalf("round %d: GET %s with %s during the attack: %d %.300s", round, c.path, c.header, r.Status, r.Body)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// What an anonymous request can make the server write back is capped: a long URL is refused,
// and neither the sign-in page nor its redirect echoes a long next.
func TestAnonymousRequestsCannotMakeTheServerEchoMuch(t *testing.T) {
	env := newSecurityEnv(t)
	for _, path := range []string{
		"/login?next=/" + strings.Repeat("a", 3<<10),
		"/?x=" + strings.Repeat("a", 3<<10),
		"/images/1?x=" + strings.Repeat("%41", 1<<10),
	} {
		r := env.request(http.MethodGet, path, nil)
		if n := len(r.Body) + len(r.Header.Get("Location")); n > 16<<10 || strings.Contains(string(r.Body)+r.Header.Get("Location"), strings.Repeat("a", 2<<10)) {
			t.Errorf("GET %.40s… (%d bytes): status %d echoes %d bytes", path, len(path), r.Status, n)
		}
	}
	long := "/?x=" + strings.Repeat("a", maxRequestURI)
	if r := env.request(http.MethodGet, long, nil); r.Status != http.StatusRequestURITooLong || len(r.Body) > 1<<10 {
		t.Errorf("GET of a %d-byte URL: %d with %d bytes; want 414 and a short reason", len(long), r.Status, len(r.Body))
	}
	// A next of an honest length still comes back.
	r := env.request(http.MethodGet, "/images/1?sort=name", nil)
	if loc := r.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/images/1?sort=name") {
		t.Errorf("redirect of an honest page: Location %q", loc)
	}
	r = env.request(http.MethodGet, "/login?next="+url.QueryEscape("/images/1?sort=name"), nil)
	if !strings.Contains(string(r.Body), fmt.Sprintf("value=%q", "/images/1?sort=name")) {
		t.Errorf("the sign-in page lost an honest next: %.2000s", r.Body)
	}
}
