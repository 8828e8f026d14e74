package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPprofAddrOnlyOnLoopback(t *testing.T) {
	for _, ok := range []string{"", "127.0.0.1:6060", "[::1]:6060", "localhost:6060"} {
		if err := checkPprofAddr(ok); err != nil {
			t.Errorf("PPROF_ADDR %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{":6060", "0.0.0.0:6060", "192.168.1.2:6060", "example.com:6060", "127.0.0.1", "[::]:6060"} {
		err := checkPprofAddr(bad)
		if err == nil || !strings.Contains(err.Error(), "PPROF_ADDR") {
			t.Errorf("PPROF_ADDR %q accepted or unnamed: %v", bad, err)
		}
	}
}

// TestPprofServesProfilesButNotTheCommandLine: a flag such as --webhook-token would show in
// /debug/pprof/cmdline.
func TestPprofServesProfilesButNotTheCommandLine(t *testing.T) {
	addr := freeLoopbackAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- servePprof(ctx, addr, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	get := func(path string) (int, string) {
		var resp *http.Response
		var err error
		for range 100 {
			if resp, err = http.Get("http://" + addr + path); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile: %d %.200s", code, body)
	}
	if code, body := get("/debug/pprof/cmdline"); code == http.StatusOK && body != "" && !strings.Contains(body, "Profile Descriptions") {
		t.Errorf("cmdline is served: %d %.200s", code, body)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/debug/pprof/heap?debug=1", nil)
	req.Host = "evil.example.com"
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("Host evil.example.com: %d, want 421 (DNS rebinding)", resp.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("servePprof did not stop with its context")
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
