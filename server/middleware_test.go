package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Signed-in reads wait for one of a few slots, so that neither memory nor the database pool
// grows with the number of readers; one principal holds at most half of them; the webhook,
// the health checks and requests that are not signed in never wait.
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
	// The principal is named by a header here; readPrincipal asks the authenticator.
	identify := func(r *http.Request) (string, bool) {
		who := r.Header.Get("X-Who")
		return who, who != ""
	}
	h := limitReads(slow, identify, 4, 2, 100*time.Millisecond)
	statuses := make(chan string, 12)
	var wg sync.WaitGroup
	for _, who := range []string{"ann", "ann", "ann", "bob", "bob", "bob", "cy", "cy"} {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/api/v1/images", nil)
			req.Header.Set("X-Who", who)
			h.ServeHTTP(rec, req)
			statuses <- who + " " + http.StatusText(rec.Code)
		})
	}
	// While four reads hold the slots, two each for ann and bob, or two for cy among them,
	// the others are refused after the wait; the webhook, the health checks and anonymous
	// requests pass.
	time.Sleep(300 * time.Millisecond)
	for _, p := range []string{"/webhook", "/healthz", "/readyz", "/events", "/static/app.js", "/login", "/api/v1/summary"} {
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
	req := httptest.NewRequest(http.MethodPost, "/api/v1/images/1/acknowledge", nil)
	req.Header.Set("X-Who", "ann")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("a write waited or was refused: %d", rec.Code)
	}
	close(release)
	wg.Wait()
	close(statuses)
	count := map[string]int{}
	served := map[string]int{}
	for s := range statuses {
		count[s]++
		if who, status, _ := strings.Cut(s, " "); status == "OK" {
			served[who]++
		}
	}
	if count["ann Service Unavailable"] < 1 || count["bob Service Unavailable"] < 1 || served["ann"]+served["bob"]+served["cy"] != 4 {
		t.Errorf("statuses %v; want 4 served, at most 2 per principal, the others refused with 503", count)
	}
	for who, n := range served {
		if n > 2 {
			t.Errorf("%s had %d reads at once; at most 2", who, n)
		}
	}
	if peak > 5 { // four reads, plus at most one of the passing requests at a time
		t.Errorf("%d requests ran at once", peak)
	}
	if len(h.users) != 0 {
		t.Errorf("principals still counted after their reads: %v", h.users)
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
