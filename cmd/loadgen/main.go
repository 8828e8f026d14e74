// Command loadgen sends realistic Diun webhook notifications at a chosen concurrency and
// reports throughput and latency percentiles.
//
// Against a running server:
//
//	go run ./cmd/loadgen -url http://127.0.0.1:8080/webhook -token $TOKEN -n 50000 -c 8
//
// With -self it measures, side by side in one run on fresh databases: the store alone
// (Store.Record from -c goroutines), a handler that only decodes JSON, and the real webhook
// over loopback HTTP, and prints each rate as a ratio of the store's.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	url         string
	token       string
	method      string
	n           int
	concurrency int
	pairs       int
	hosts       int
	self        bool
	databaseURL string
	// tokenInQuery sends every other request's token as ?token= instead of the header.
	tokenInQuery bool
	// client is the HTTP client: raw (client.go) or nethttp.
	client string
	// rounds and pprofAddr are -binary's (binary.go).
	rounds      int
	pprofAddr   string
	binaryAlone bool
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080/webhook", "webhook URL of a running server")
	flag.StringVar(&o.token, "token", os.Getenv("WEBHOOK_TOKEN"), "webhook token (env WEBHOOK_TOKEN)")
	flag.StringVar(&o.method, "method", http.MethodPost, "HTTP method (Diun's default is GET)")
	flag.IntVar(&o.n, "n", 10000, "notifications to send")
	flag.IntVar(&o.concurrency, "c", 8, "concurrent senders")
	flag.IntVar(&o.pairs, "pairs", 2000, "distinct (host, image) pairs")
	flag.IntVar(&o.hosts, "hosts", 20, "distinct hosts")
	flag.BoolVar(&o.self, "self", false, "measure store, decode-only handler and webhook side by side in-process")
	binary := flag.String("binary", "", "measure this diundashboard binary (serve, in its own process, defaults) beside a decode-only process and, on SQLite, the reference writer")
	flag.BoolVar(&o.tokenInQuery, "token-in-query", false, "send every other request's token as ?token= (Diun's other way) instead of the header; on with -binary")
	flag.StringVar(&o.client, "client", "raw", "HTTP client: raw (a kept connection per sender, requests written as bytes; least CPU) or nethttp (Go's http.Client)")
	flag.IntVar(&o.rounds, "rounds", 3, "with -binary: interleaved rounds; each line is the round of median rate")
	flag.BoolVar(&o.binaryAlone, "binary-alone", false, "with -binary: measure the binary only, without the decode-only process and the reference (to compare two builds run one after the other)")
	flag.StringVar(&o.pprofAddr, "pprof-addr", "", "with -binary: PPROF_ADDR of the binary, to profile it while it runs")
	decodeOnly := flag.String("decode-only-listen", "", "serve the decode-only handler on this address and print its URL (used by -binary)")
	coldStart := flag.String("coldstart", "", "time exec to /readyz 200 of this diundashboard binary -n times on fresh databases (-database-url for PostgreSQL)")
	flag.StringVar(&o.databaseURL, "database-url", "", "with -self: postgres://… admin URL to create scratch databases on (default: SQLite files in a temp dir)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	blockProfile := flag.String("blockprofile", "", "write a block profile (where goroutines waited) of the whole run to this file")
	flag.Parse()
	if *blockProfile != "" {
		runtime.SetBlockProfileRate(int(10 * time.Microsecond))
		defer writeProfile("block", *blockProfile)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if o.n <= 0 || o.concurrency <= 0 || o.pairs <= 0 || o.hosts <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -n, -c, -pairs and -hosts must be positive")
		os.Exit(2)
	}
	if o.client != "raw" && o.client != "nethttp" {
		fmt.Fprintln(os.Stderr, "loadgen: -client must be raw or nethttp")
		os.Exit(2)
	}
	var err error
	if *decodeOnly != "" {
		err = serveDecodeOnly(*decodeOnly)
	} else if *binary != "" {
		if o.rounds <= 0 {
			fmt.Fprintln(os.Stderr, "loadgen: -rounds must be positive")
			os.Exit(2)
		}
		err = runBinary(context.Background(), *binary, o)
	} else if *coldStart != "" {
		err = runColdStart(context.Background(), *coldStart, o)
	} else if *pagesSizes != "" {
		err = runPages(context.Background(), o) // pages.go
	} else if o.self {
		err = runSelf(context.Background(), o)
	} else {
		var res result
		res, err = sendHTTP(o.url, o.token, o)
		if err == nil {
			fmt.Println(res.line("webhook"))
		}
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// writeProfile writes the named runtime profile to path.
func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup(name).WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
	}
}

// body is the i-th notification: pair i%pairs gets a new digest each time it comes round, so
// the load mixes updates of known images with first sightings, as Diun's does.
func body(i int, o options) []byte {
	pair := i % o.pairs
	host := pair % o.hosts
	digest := sha256.Sum256(fmt.Appendf(nil, "%d", i))
	b, _ := json.Marshal(map[string]any{
		"diun_version": "v4.33.0",
		"hostname":     fmt.Sprintf("host-%02d", host),
		"status":       "update",
		"provider":     "docker",
		"image":        fmt.Sprintf("docker.io/team/service-%04d:1.%d", pair, pair%7),
		"hub_link":     fmt.Sprintf("https://hub.docker.com/r/team/service-%04d", pair),
		"mime_type":    "application/vnd.oci.image.index.v1+json",
		"digest":       fmt.Sprintf("sha256:%x", digest),
		"created":      time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
		"platform":     "linux/amd64",
		"metadata": map[string]string{
			"ctn_command":   "/app --port 8080",
			"ctn_createdat": "2026-05-28 20:26:40 +0000 UTC",
			"ctn_id":        fmt.Sprintf("%x", digest[:16]),
			"ctn_names":     fmt.Sprintf("service-%04d-1", pair),
			"ctn_size":      "0B",
			"ctn_state":     "running",
			"ctn_status":    "Up 2 hours (healthy)",
		},
	})
	return b
}

// result is one measured run.
type result struct {
	n         int
	failures  map[string]int
	elapsed   time.Duration
	latencies []time.Duration
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
}

func (r result) line(name string) string {
	s := fmt.Sprintf("%-22s %7d ok  %9.0f/s  p50 %8s  p99 %8s  max %8s", name, r.n, r.rate(),
		r.percentile(0.50).Round(time.Microsecond), r.percentile(0.99).Round(time.Microsecond), r.percentile(1).Round(time.Microsecond))
	if len(r.failures) > 0 {
		s += fmt.Sprintf("  failures %v", r.failures)
	}
	return s
}

// run calls op for i in [0, o.n) from o.concurrency goroutines (w is the caller's, 0 to
// o.concurrency-1) and times each call.
func run(o options, op func(w, i int) error) result {
	var next atomic.Int64
	lat := make([][]time.Duration, o.concurrency)
	fails := make([]map[string]int, o.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range o.concurrency {
		fails[w] = map[string]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.n {
					return
				}
				t0 := time.Now()
				if err := op(w, i); err != nil {
					fails[w][err.Error()]++
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	res := result{elapsed: time.Since(start), failures: map[string]int{}}
	for w := range o.concurrency {
		res.latencies = append(res.latencies, lat[w]...)
		for k, v := range fails[w] {
			res.failures[k] += v
		}
	}
	res.n = len(res.latencies)
	slices.Sort(res.latencies)
	return res
}

func sendHTTP(url, token string, o options) (result, error) {
	bodies := make([][]byte, o.n)
	for i := range bodies {
		bodies[i] = body(i, o)
	}
	// tokenOf is how request i carries the token: every other one in the query, as Diun may.
	tokenOf := func(i int) (query, header string) {
		if o.tokenInQuery && i%2 == 1 && token != "" {
			return "token=" + token, ""
		}
		if token == "" {
			return "", ""
		}
		return "", "Bearer " + token
	}
	if o.client == "nethttp" {
		client := &http.Client{
			Timeout:   15 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency},
		}
		return run(o, func(_, i int) error {
			u := url
			query, header := tokenOf(i)
			if query != "" {
				u += "?" + query
			}
			req, err := http.NewRequest(o.method, u, bytes.NewReader(bodies[i]))
			if err != nil {
				return err
			}
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("transport error")
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			return nil
		}), nil
	}
	clients := make([]*rawClient, o.concurrency)
	for w := range clients {
		c, err := newRawClient(url)
		if err != nil {
			return result{}, err
		}
		clients[w] = c
		defer c.close()
	}
	return run(o, func(w, i int) error {
		query, header := tokenOf(i)
		status, err := clients[w].do(o.method, query, header, bodies[i])
		if err != nil {
			return fmt.Errorf("transport error")
		}
		if status != http.StatusOK {
			return fmt.Errorf("HTTP %d", status)
		}
		return nil
	}), nil
}

// listen serves h on a loopback port until the returned function is called.
func listen(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/webhook", func() { _ = hs.Close() }, nil
}
