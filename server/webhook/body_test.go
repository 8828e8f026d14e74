package webhook

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/store/storetest"
	"diundashboard/server/triage"
)

// stallingBody is a large body that hands out its first bytes, then waits for open before
// the rest; it counts the bodies read past smallBody at once.
type stallingBody struct {
	r       io.Reader
	sent    int
	open    <-chan struct{}
	past    *atomic.Int32
	peak    *atomic.Int32
	counted bool
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if b.sent > smallBody && !b.counted {
		b.counted = true
		n := b.past.Add(1)
		for old := b.peak.Load(); n > old && !b.peak.CompareAndSwap(old, n); old = b.peak.Load() {
		}
		<-b.open
	}
	n, err := b.r.Read(p)
	b.sent += n
	return n, err
}

func (b *stallingBody) Close() error { return nil }

// 256 concurrent 1 MB bodies took the process to 610 MB (an outside review, L4): bodies over
// smallBody are read a few at a time, however many come; small ones never wait.
func TestLargeBodiesAreReadAFewAtATime(t *testing.T) {
	st := storetest.Open(t, "sqlite:"+t.TempDir()+"/dd.db")
	log := slog.New(slog.DiscardHandler)
	const token = "right-token-0123456789abcdef"
	h := New(Options{Token: NewToken(st, SecretOf(token), true), Auth: auth.TokensOnly(st, log), Logger: log,
		Triage: triage.New(st, live.NewHub(), nil)})
	h.bodies.wait = 200 * time.Millisecond
	open := make(chan struct{})
	var past, peak atomic.Int32
	statuses := make(chan int, 16)
	var wg sync.WaitGroup
	for range 3 * maxLargeBodies {
		wg.Go(func() {
			body := `{"image":"docker.io/a:1","digest":"sha256:` + strings.Repeat("a", 64) + `","pad":"` + strings.Repeat("x", 1<<19) + `"}`
			req := httptest.NewRequest(http.MethodPost, "/webhook", nil)
			req.Body = &stallingBody{r: strings.NewReader(body), open: open, past: &past, peak: &peak}
			req.ContentLength = -1 // chunked: the size is known only once read
			req.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.serve(w, req)
			statuses <- w.Code
		})
	}
	// While the large bodies wait for one another, a small one passes at once.
	time.Sleep(100 * time.Millisecond)
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(`{"image":"docker.io/b:1","digest":"sha256:`+strings.Repeat("b", 64)+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	h.serve(w, req)
	if w.Code != http.StatusOK {
		t.Errorf("a small notification during the large ones: %d %s", w.Code, w.Body)
	}
	time.Sleep(300 * time.Millisecond) // past the wait: the bodies still queued are refused
	close(open)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if got := peak.Load(); got > maxLargeBodies {
		t.Errorf("%d large bodies were read at once; at most %d", got, maxLargeBodies)
	}
	if count[http.StatusOK] != maxLargeBodies || count[http.StatusServiceUnavailable] != 2*maxLargeBodies {
		t.Errorf("statuses %v; want %d stored and the %d that waited too long refused with 503", count, maxLargeBodies, 2*maxLargeBodies)
	}
}
