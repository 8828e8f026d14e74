//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/server"
	"diundashboard/server/store"
)

// TestSlowClients serves the real handler with server.NewHTTPServer (the production timeouts)
// and opens 200 slowloris connections that send one header byte per second, plus requests
// whose headers exceed MaxHeaderBytes. A normal request must still be answered promptly, the
// oversized ones get 431, and the slow connections are closed once ReadHeaderTimeout passes.
func TestSlowClients(t *testing.T) {
	const slowConns = 200
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "slow.db")
	if err := store.Migrate(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hs := server.NewHTTPServer("127.0.0.1:0", server.New(st, server.Options{WebhookToken: token, Logger: log}), log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	// The slowloris: a request line, then one more header byte each second, never finishing.
	var wg sync.WaitGroup
	var closedAt [slowConns]atomic.Int64 // ns since opened, 0 while open
	opened := time.Now()
	stop := make(chan struct{})
	var stopOnce sync.Once
	stopAll := func() { stopOnce.Do(func() { close(stop) }) }
	defer stopAll()
	var dialed atomic.Int64
	for i := range slowConns {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
		dialed.Add(1)
		wg.Add(2)
		go func() { // writer: one byte a second
			defer wg.Done()
			header := "POST /webhook HTTP/1.1\r\nHost: dashboard\r\nX-Slow: " + strings.Repeat("a", 60)
			_, _ = io.WriteString(c, header[:30])
			for _, b := range []byte(header[30:]) {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
			}
		}()
		go func() { // reader: notes when the server hangs up
			defer wg.Done()
			_, _ = io.Copy(io.Discard, c)
			closedAt[i].Store(int64(time.Since(opened)))
			_ = c.Close()
		}()
	}
	t.Logf("%d slow connections open", dialed.Load())

	// Normal requests meanwhile: answered promptly.
	client := &http.Client{Timeout: 5 * time.Second}
	prompt := func(what string) {
		t.Helper()
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook", strings.NewReader(string(notification(1, digestOf("slow", 1, int(start.UnixNano()))))))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: a normal webhook failed: %v", what, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if d := time.Since(start); resp.StatusCode != 200 || d > 500*time.Millisecond {
			t.Errorf("%s: a normal webhook got %d in %s, want 200 within 500ms", what, resp.StatusCode, d)
		}
		start = time.Now()
		resp, err = client.Get(base + "/healthz")
		if err != nil {
			t.Fatalf("%s: /healthz failed: %v", what, err)
		}
		resp.Body.Close()
		if d := time.Since(start); resp.StatusCode != 200 || d > 500*time.Millisecond {
			t.Errorf("%s: /healthz got %d in %s, want 200 within 500ms", what, resp.StatusCode, d)
		}
	}
	prompt("at once")

	// Oversized headers: 431, and the server keeps serving.
	for _, size := range []int{server.MaxHeaderBytes + 8<<10, 1 << 20} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		go func() {
			_, _ = fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: dashboard\r\nX-Big: %s\r\n\r\n", strings.Repeat("b", size))
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("header of %d bytes: %v", size, err)
		}
		resp.Body.Close()
		_ = c.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("header of %d bytes: status %d, want 431", size, resp.StatusCode)
		}
	}
	time.Sleep(2 * time.Second)
	prompt("after 2 s")

	// Every slow connection is closed after ReadHeaderTimeout (plus slack), not left open.
	limit := server.ReadHeaderTimeout + 3*time.Second
	for time.Since(opened) < limit {
		open := 0
		for i := range closedAt {
			if closedAt[i].Load() == 0 {
				open++
			}
		}
		if open == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var open int
	var latest time.Duration
	for i := range closedAt {
		d := time.Duration(closedAt[i].Load())
		if d == 0 {
			open++
		}
		latest = max(latest, d)
		if d != 0 && d < server.ReadHeaderTimeout-500*time.Millisecond {
			t.Errorf("slow connection %d closed after %s, before ReadHeaderTimeout (%s)", i, d, server.ReadHeaderTimeout)
		}
	}
	if open > 0 {
		t.Fatalf("%d of %d slow connections still open %s after they started (ReadHeaderTimeout %s)", open, slowConns, limit, server.ReadHeaderTimeout)
	}
	t.Logf("all %d slow connections closed by the server, the last after %s", slowConns, latest.Round(time.Millisecond))
	prompt("after the slow connections")
	stopAll()
	wg.Wait()
}
