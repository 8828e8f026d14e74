package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"
)

// checkPprofAddr accepts PPROF_ADDR only on a loopback address: Go's profiles show the
// program's memory and goroutines, which hold tokens and request data, and they have no
// sign-in. Reach it from elsewhere through an SSH tunnel.
func checkPprofAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return fmt.Errorf("PPROF_ADDR %q is not host:port (such as 127.0.0.1:6060)", addr)
	}
	if !loopbackHost(host) {
		return fmt.Errorf("PPROF_ADDR %q is not a loopback address: the profiles have no sign-in and show the process's memory; use 127.0.0.1:PORT (and an SSH tunnel to reach it)", addr)
	}
	return nil
}

// servePprof serves Go's runtime profiles on addr until ctx ends, for measuring the binary
// as users run it (docs/development.md). /debug/pprof/cmdline is left out: a flag such as
// --webhook-token would show in it.
func servePprof(ctx context.Context, addr string, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on PPROF_ADDR %s: %w", addr, err)
	}
	// Profiles and traces stream for as long as asked (?seconds=), so no write timeout.
	hs := &http.Server{Handler: loopbackHostOnly(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = hs.Close()
	}()
	log.Warn("serving Go's runtime profiles; unset PPROF_ADDR when done measuring", "addr", ln.Addr().String())
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopbackHostOnly answers 421 to a request that names another host than a loopback one: a web
// page on this machine could otherwise reach the profiles through a name it rebinds to
// 127.0.0.1 (DNS rebinding).
func loopbackHostOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !loopbackHost(strings.Trim(host, "[]")) {
			http.Error(w, "the profiles answer only to a loopback host name (127.0.0.1, [::1], localhost)", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}
