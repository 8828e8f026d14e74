//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadFloodMemory replays an outside review's attack on the real binary: 500 images with
// large metadata, then 40 clients that each ask for the whole list (limit=500) and never read
// the answer, beside 20 that do, while Diun keeps sending. Before reads were bounded (8 at a
// time) and metadata capped (16 KiB a notification), 40 such clients took the process from
// 22 MB to 1.6 GB.
//
// The bound on the peak resident set is 400 MiB above the idle peak: one 500-image answer of
// about 8 MB JSON costs about three times that while it is built and written, and at most 8
// are under way at once (the rest wait, then get 503); 400 MiB leaves room for the runtime and
// the SQLite page cache while staying far below what 40 unbounded answers cost. Diun's
// notifications, which need no read slot, must all be stored meanwhile.
func TestReadFloodMemory(t *testing.T) {
	const (
		images      = 500
		metaBytes   = 15 << 10
		nonReaders  = 40
		readers     = 20
		peakAllowed = 400 << 20
	)
	p := start(t, "sqlite:"+filepath.Join(t.TempDir(), "reads.db"))
	defer p.stop()
	pid := childPID(t, binary(t))
	client := &http.Client{Timeout: 30 * time.Second}
	meta := func(i int) string {
		var b strings.Builder
		for k := 0; b.Len() < metaBytes-600; k++ {
			fmt.Fprintf(&b, `"label_%d":"%s",`, k, strings.Repeat(string(rune('a'+(i+k)%26)), 500))
		}
		return "{" + strings.TrimSuffix(b.String(), ",") + "}"
	}
	for i := range images {
		body := fmt.Sprintf(`{"hostname":"fat","image":"registry.example/app-%04d:1","digest":"sha256:%064x","status":"new","metadata":%s}`, i, i, meta(i))
		req, _ := http.NewRequest(http.MethodPost, p.URL("/webhook"), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("seeding image %d: %d", i, res.StatusCode)
		}
	}
	// One honest read first, so that the baseline includes building one full answer.
	res, err := client.Get(p.URL("/api/v1/images?state=all&limit=500"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	baseline := vmHWM(t, pid)
	t.Logf("one answer of %d images is %.1f MiB; idle peak after it %.1f MiB", images, mib(n), mib(baseline))

	host := strings.TrimPrefix(p.URL(""), "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var conns []net.Conn
	var mu sync.Mutex
	for range nonReaders {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		fmt.Fprintf(c, "GET /api/v1/images?state=all&limit=500 HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	}
	var served, refused atomic.Int64
	for range readers {
		wg.Go(func() {
			for ctx.Err() == nil {
				res, err := client.Get(p.URL("/api/v1/images?state=all&limit=500"))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					served.Add(1)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	// Diun goes on meanwhile: its notifications must all be stored.
	var stored, lost atomic.Int64
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			body := fmt.Sprintf(`{"hostname":"vm","image":"registry.example/live-%d:1","digest":"sha256:%064x","status":"new"}`, i, i)
			req, _ := http.NewRequest(http.MethodPost, p.URL("/webhook"), strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := client.Do(req)
			if err != nil {
				lost.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				stored.Add(1)
			} else {
				lost.Add(1)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	<-ctx.Done()
	wg.Wait()
	peak := vmHWM(t, pid)
	for _, c := range conns {
		c.Close()
	}
	t.Logf("peak resident set %.1f MiB (%.1f MiB above the idle peak); honest reads: %d served, %d refused; notifications: %d stored, %d lost",
		mib(peak), mib(peak-baseline), served.Load(), refused.Load(), stored.Load(), lost.Load())
	if peak-baseline > peakAllowed {
		t.Errorf("the peak resident set grew by %.1f MiB under the read flood; the bound is %.0f MiB", mib(peak-baseline), mib(peakAllowed))
	}
	if lost.Load() != 0 || stored.Load() == 0 {
		t.Errorf("%d notifications lost (%d stored) during the read flood; want none lost", lost.Load(), stored.Load())
	}
	// Honest reads may all be refused while the non-readers hold every slot (each until the
	// write deadline): reads are bounded, not fair. What must hold is the memory and Diun.
}
