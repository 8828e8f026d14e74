package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/web"
)

// openStream opens GET /events and returns the response with its body still open, to be closed
// by the caller (or at the end of the test).
func openStream(t *testing.T, e *env, header map[string]string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/events", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := e.client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /events: %v", err)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	return res
}

// TestEventStreamsAreCappedPerPrincipal: one principal cannot hold more than web.MaxStreams
// event streams open (each a goroutine and a connection for as long as it lasts); the next is
// refused with 429 until one closes, and other principals keep theirs.
func TestEventStreamsAreCappedPerPrincipal(t *testing.T) {
	t.Run("proxy users", func(t *testing.T) {
		e := newEnv(t, databases["sqlite"](t), auth.ModeProxy)
		alice := map[string]string{"Remote-User": "alice"}
		var open []*http.Response
		for i := range web.MaxStreams {
			res := openStream(t, e, alice)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("stream %d of alice: %d %q, want 200 text/event-stream", i+1, res.StatusCode, res.Header.Get("Content-Type"))
			}
			open = append(open, res)
		}
		res := openStream(t, e, alice)
		if res.StatusCode == http.StatusOK {
			t.Fatalf("stream %d of alice: 200, want 429", web.MaxStreams+1)
		}
		body, _ := io.ReadAll(res.Body)
		var msg struct{ Error string }
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || json.Unmarshal(body, &msg) != nil || !strings.Contains(msg.Error, "too many") {
			t.Fatalf("stream %d of alice: %d (Retry-After %q) %s; want 429 with Retry-After and a JSON error", web.MaxStreams+1, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
		if res := openStream(t, e, map[string]string{"Remote-User": "bob"}); res.StatusCode != http.StatusOK {
			t.Errorf("bob's first stream while alice holds %d: %d, want 200", web.MaxStreams, res.StatusCode)
		}
		// Closing one of alice's streams frees its place once the server sees it gone.
		open[0].Body.Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			res := openStream(t, e, alice)
			if res.StatusCode == http.StatusOK {
				break
			}
			res.Body.Close()
			if time.Now().After(deadline) {
				t.Fatalf("alice still refused (%d) after closing a stream", res.StatusCode)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("AUTH_MODE=none, per client address", func(t *testing.T) {
		e := newEnv(t, databases["sqlite"](t), auth.ModeNone)
		for i := range web.MaxStreams {
			if res := openStream(t, e, nil); res.StatusCode != http.StatusOK {
				t.Fatalf("stream %d: %d, want 200", i+1, res.StatusCode)
			}
		}
		if res := openStream(t, e, nil); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("stream %d from one address: %d, want 429", web.MaxStreams+1, res.StatusCode)
		}
	})
}

// TestEventStreamDropsAStalledClient: a client that opens the stream and then stops reading
// is dropped once a write has waited streamWriteTimeout, instead of holding its goroutine and
// connection for ever; a client that reads keeps its stream through the same flood.
func TestEventStreamDropsAStalledClient(t *testing.T) {
	web.SetStreamWriteTimeout(t, 200*time.Millisecond)
	// Every event goes out at once: merged, the flood would take minutes to fill the buffers.
	web.SetLiveWindow(t, 0)
	e := newEnv(t, databases["sqlite"](t), auth.ModeNone)
	hub := e.srv.Hub()

	// The reader drains its stream to the end.
	reader := openStream(t, e, nil)
	go func() { _, _ = io.Copy(io.Discard, reader.Body) }()

	// The stalled client reads the status line, then nothing more, with a small receive buffer
	// so that the server's writes soon block.
	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		t.Fatalf("stalled client's stream: %q, %v", status, err)
	}
	waitFor(t, "both streams to subscribe", func() bool { return hub.Subscribers() == 2 })

	// Publish until the stalled stream is gone; without a write deadline it never goes.
	deadline := time.Now().Add(20 * time.Second)
	published := 0
	for hub.Subscribers() == 2 {
		if time.Now().After(deadline) {
			t.Fatalf("after %d events in 20 s the stalled client still holds its stream", published)
		}
		for range 100 {
			hub.Publish(live.Event{Kind: live.KindNotification, ImageID: int64(published)})
			published++
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("the stalled client was dropped after %d events", published)
	// The reader's stream survived the flood.
	time.Sleep(300 * time.Millisecond)
	if n := hub.Subscribers(); n != 1 {
		t.Errorf("%d streams left; want the reader's", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
