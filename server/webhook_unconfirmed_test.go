package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
)

// lateStore stores the notification, then answers as a database whose confirmation came too
// late: the writer committed, the caller's deadline had passed (found by an outside test on
// PostgreSQL: a table lock held for the store timeout gave 503 "not stored" for stored rows).
type lateStore struct{ store.Store }

func (s lateStore) Record(ctx context.Context, n store.Notification) (store.RecordResult, error) {
	if _, err := s.Store.Record(context.Background(), n); err != nil {
		return store.RecordResult{}, err
	}
	return store.RecordResult{}, context.DeadlineExceeded
}

// TestWebhookSaysAnUnconfirmedNotificationMayBeStored: a timeout is answered 503 without
// claiming that nothing was stored.
func TestWebhookSaysAnUnconfirmedNotificationMayBeStored(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		env = newTestEnv(t, lateStore{env.store})
		r := env.webhook(readBody(t, "docker-update.json"))
		env.wantStatus(r, http.StatusServiceUnavailable)
		msg := r.errorMessage(t)
		if strings.Contains(msg, "not stored") || !strings.Contains(msg, "may have been stored") {
			t.Errorf("error %q: want it to say the notification may have been stored", msg)
		}
		if !strings.Contains(env.logs.String(), "may or may not be stored") {
			t.Errorf("the log does not say the outcome is unknown:\n%s", env.logs)
		}
		if _, events := env.counts(); events != 1 {
			t.Errorf("%d events stored, want the 1 the late store wrote", events)
		}
	})
}

// TestWebhookRefusesHead: HEAD must change nothing, even with a body and the right token.
func TestWebhookRefusesHead(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		r := env.request(http.MethodHead, "/webhook", []byte(readBody(t, "docker-update.json")), "Authorization", "Bearer "+testToken)
		env.wantStatus(r, http.StatusMethodNotAllowed)
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "POST") || strings.Contains(allow, "HEAD") {
			t.Errorf("Allow %q", allow)
		}
		if images, events := env.counts(); images != 0 || events != 0 {
			t.Errorf("HEAD stored %d images and %d events", images, events)
		}
	})
}

// TestWebhookSlowBodyIs408: a body that trickles past the server's read timeout is answered
// 408 (it was 400 "cannot read the body: i/o timeout"), also when the write deadline, which
// starts as the headers are read, has passed too. In NewHTTPServer both timeouts are 30 s, so
// they end within a millisecond of each other and the answer was lost: an empty reply while
// the log said 408. Here the write timeout is the shorter, so that the test does not depend
// on that millisecond.
func TestWebhookSlowBodyIs408(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		hs := &http.Server{Handler: env.srv, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = hs.Serve(ln) }()
		defer hs.Close()
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := readBody(t, "docker-update.json")
		fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s", testToken, len(body), body[:10])
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("status %d, want 408", resp.StatusCode)
		}
	})
}

// TestWebhookDeclaredHugeBodyIs413: a Content-Length over the limit is answered 413 at once,
// without a 100 Continue and without waiting for the body (it waited for the read timeout,
// then answered 408; found by an outside tester).
func TestWebhookDeclaredHugeBodyIs413(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		for _, expect := range []string{"", "Expect: 100-continue\r\n"} {
			conn, err := net.Dial("tcp", strings.TrimPrefix(env.http.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close() // a handler waiting for the body ends with the test
			fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n%sContent-Length: %d\r\n\r\n{\"image\":", testToken, expect, 10<<20)
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("%q: %v", expect, err)
			}
			resp.Body.Close()
			conn.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("%q: status %d, want 413 at once", expect, resp.StatusCode)
			}
		}
	})
}
