package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// A request in flight when shutdown begins is finished and stored; new connections are refused.
func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: env.srv, ReadHeaderTimeout: 5 * time.Second}
		served := make(chan error, 1)
		go func() { served <- hs.Serve(ln) }()

		body := readBody(t, "docker-update.json")
		pr, pw := io.Pipe()
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/webhook?token=%s", ln.Addr(), testToken), pr)
		req.ContentLength = int64(len(body))
		type result struct {
			status int
			err    error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- result{err: err}
				return
			}
			resp.Body.Close()
			done <- result{status: resp.StatusCode}
		}()
		// Half the body is on the wire when shutdown starts.
		if _, err := pw.Write([]byte(body[:len(body)/2])); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		shutdown := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			shutdown <- hs.Shutdown(ctx)
		}()
		time.Sleep(100 * time.Millisecond)
		if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			t.Fatal("a new connection was accepted during shutdown")
		}
		if _, err := pw.Write([]byte(body[len(body)/2:])); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		res := <-done
		if res.err != nil || res.status != http.StatusOK {
			t.Fatalf("request in flight: %d %v", res.status, res.err)
		}
		if err := <-shutdown; err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		if err := <-served; err != http.ErrServerClosed {
			t.Fatalf("serve: %v", err)
		}
		if images, events := env.counts(); images != 1 || events != 1 {
			t.Fatalf("%d images, %d events after shutdown", images, events)
		}
	})
}
