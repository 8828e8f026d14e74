package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// runColdStart times, o.n times, how long the binary at path takes from exec to its first 200
// on /readyz, each time on a fresh database (a new SQLite file, or a new PostgreSQL database
// next to o.databaseURL), and prints each time and the median.
func runColdStart(ctx context.Context, path string, o options) error {
	var times []time.Duration
	for i := range o.n {
		d, err := coldStartOnce(ctx, path, o.databaseURL)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		times = append(times, d)
	}
	slices.Sort(times)
	fmt.Printf("cold start to ready (%s, fresh database): median %s  min %s  max %s  over %d runs\n",
		dialectName(o.databaseURL), times[len(times)/2].Round(time.Millisecond), times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond), len(times))
	return nil
}

func coldStartOnce(ctx context.Context, path, adminURL string) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	dbURL := "sqlite:" + filepath.Join(dir, "dd.db")
	if adminURL != "" {
		var drop func()
		if dbURL, drop, err = createDatabase(ctx, adminURL); err != nil {
			return 0, err
		}
		defer drop()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(path, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "WEBHOOK_TOKEN=coldstart-webhook-token-0123456789",
		"AUTH_MODE=none", "LOG_LEVEL=warn")
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for time.Since(start) < 20*time.Second {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("not ready within 20 s")
}
