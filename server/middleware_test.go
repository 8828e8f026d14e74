package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reads wait for one of a few slots, so that neither memory nor the database pool grows with
// the number of readers; the webhook and the health checks never wait.
func TestReadsAreBounded(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	running, peak := 0, 0
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		if r.URL.Path == "/api/v1/images" {
			<-release
		}
		mu.Lock()
		running--
		mu.Unlock()
	})
	h := limitReads(slow, 2, 100*time.Millisecond)
	statuses := make(chan int, 5)
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/images", nil))
			statuses <- rec.Code
		})
	}
	// While two reads hold the slots, the others are refused after the wait, and the webhook
	// and health checks pass.
	time.Sleep(300 * time.Millisecond)
	for _, p := range []string{"/webhook", "/healthz", "/readyz", "/events", "/static/app.js"} {
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil)); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
			t.Fatalf("GET %s waited for a read slot", p)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/images/1/acknowledge", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("a write waited or was refused: %d", rec.Code)
	}
	close(release)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 2 || count[http.StatusServiceUnavailable] != 3 {
		t.Errorf("statuses %v; want 2 served and 3 refused with 503", count)
	}
	if peak > 3 { // two reads, plus at most one of the passing requests at a time
		t.Errorf("%d requests ran at once", peak)
	}
}

// The API answers a cross-origin refusal in JSON like every other error (found by a new
// user: it was plain text).
func TestCrossOriginRefusalIsJSONOnTheAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		r := env.request(http.MethodPost, "/api/v1/tags", []byte(`{"name":"x"}`), append(env.authorize(), "Origin", "http://evil.example")...)
		if r.Status != http.StatusForbidden || !strings.Contains(r.errorMessage(t), "another web site") {
			t.Errorf("cross-origin API write: %d %s; want a 403 JSON error that says why", r.Status, r.Body)
		}
		if tags, _ := env.store.ListTags(t.Context()); len(tags) != 0 {
			t.Errorf("the refused request made tags: %+v", tags)
		}
	})
}
