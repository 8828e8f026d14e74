package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

// runBinary measures what users run: the diundashboard binary at path, started as `serve` in
// its own process with its defaults (access log on, built-in sign-in, a fresh database),
// beside a decode-only handler in its own process and, on SQLite, the reference writer
// in-process: the same notifications, in o.rounds interleaved rounds, each line the round of
// median rate. The token goes in the header and in the query, alternately, as Diun may send it.
func runBinary(ctx context.Context, path string, o options) error {
	fmt.Printf("loadgen -binary: %d notifications over %d pairs (%d hosts), %d concurrent, %s, %d rounds, %d CPUs\n",
		o.n, o.pairs, o.hosts, o.concurrency, dialectName(o.databaseURL), o.rounds, runtime.NumCPU())
	notes := make([]store.Notification, o.n)
	for i := range notes {
		var err error
		if notes[i], err = webhook.Decode(body(i, o)); err != nil {
			return err
		}
	}
	results := map[string][]result{}
	var names []string
	add := func(name string, r result) {
		if _, ok := results[name]; !ok {
			names = append(names, name)
		}
		results[name] = append(results[name], r)
	}
	o.tokenInQuery = true
	for range o.rounds {
		r, err := binaryOnce(ctx, path, o)
		if err != nil {
			return err
		}
		add("binary webhook", r)
		if o.binaryAlone {
			continue
		}
		if r, err = decodeOnlyProcess(o); err != nil {
			return err
		}
		add("HTTP, decode only", r)
		if o.databaseURL != "" {
			continue
		}
		for _, size := range []int{1, 8, 64} {
			if r, err = runReference(ctx, notes, size, false); err != nil {
				return err
			}
			add(fmt.Sprintf("reference, %d/tx", size), r)
		}
		if r, err = runReference(ctx, notes, 8, true); err != nil {
			return err
		}
		add("reference bare, 8/tx", r)
	}
	failed := false
	for _, name := range names {
		rs := results[name]
		slices.SortFunc(rs, func(a, b result) int { return cmpFloat(a.rate(), b.rate()) })
		med := rs[len(rs)/2]
		fmt.Println(med.line(name))
		failed = failed || len(med.failures) > 0
	}
	if failed {
		return fmt.Errorf("some notifications failed")
	}
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// binaryOnce starts the binary on a fresh database, sends o.n notifications and stops it.
func binaryOnce(ctx context.Context, path string, o options) (result, error) {
	dir, err := os.MkdirTemp("", "loadgen-binary")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	dbURL := "sqlite:" + filepath.Join(dir, "data", "diundashboard.db")
	if o.databaseURL != "" {
		var drop func()
		if dbURL, drop, err = createDatabase(ctx, o.databaseURL); err != nil {
			return result{}, err
		}
		defer drop()
	}
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	token := randomToken()
	logFile, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return result{}, err
	}
	defer logFile.Close()
	cmd := exec.Command(path, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "WEBHOOK_TOKEN="+token)
	if o.pprofAddr != "" {
		cmd.Env = append(cmd.Env, "PPROF_ADDR="+o.pprofAddr)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return cmd.Wait()
	}
	defer func() { _ = stop() }()
	if err := waitReady("http://"+addr+"/readyz", 30*time.Second); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		return result{}, fmt.Errorf("%s serve: %w\n%s", path, err, log)
	}
	res, err := sendHTTP("http://"+addr+"/webhook", token, o)
	if err != nil {
		return result{}, err
	}
	if err := stop(); err != nil {
		return result{}, fmt.Errorf("%s serve did not stop cleanly: %w", path, err)
	}
	return res, nil
}

// decodeOnlyProcess measures the decode-only handler served by a second loadgen process.
func decodeOnlyProcess(o options) (result, error) {
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(self, "-decode-only-listen", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return result{}, fmt.Errorf("decode-only process: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return sendHTTP(strings.TrimSpace(line), "", o)
}

// serveDecodeOnly serves the decode-only handler on addr and prints its webhook URL: the
// floor of any webhook, HTTP and JSON with nothing stored.
func serveDecodeOnly(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s/webhook\n", ln.Addr())
	hs := &http.Server{Handler: decodeOnlyHandler(), ReadHeaderTimeout: 5 * time.Second}
	return hs.Serve(ln)
}

func decodeOnlyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxBody))
		if _, err := webhook.Decode(b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"event_id":0}`))
	})
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func waitReady(url string, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %s", limit)
}
