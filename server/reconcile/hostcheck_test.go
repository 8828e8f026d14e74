package reconcile

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"diundashboard/server/store"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A hostname in DIUN_GRPC that the Diun's webhooks never carry (an outside tester's
// nas=diun-nas:42286, while its webhooks said "diun-nas") is warned about on the Connect page
// and in the log, once, naming both names and the fix; a right binding is not, and the warning
// goes once a webhook names the host.
func testHostMismatch(t *testing.T, st store.Store) {
	diun := newFakeDiun(t)
	images := []string{"docker.io/library/nginx", "docker.io/library/redis", "ghcr.io/x/webapp"}
	for i, name := range images {
		diun.push(name, "1", i+1, t0)
		webhook(t, st, "diun-nas", name+":1", i+1, t0)
	}
	// Another host that runs one of the same images at the same digest is no match.
	webhook(t, st, "pi", "docker.io/library/nginx:1", 1, t0)

	logs := &syncBuffer{}
	r := newReconciler(t, st, Options{Targets: []Target{{Host: "nas", Addr: diun.addr}},
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	syncOne(t, r, diun.addr)
	syncOne(t, r, diun.addr)
	w := r.Statuses()[0].Warning
	for _, want := range []string{`"nas"`, `"diun-nas"`, "3 of the 3 images", "DIUN_GRPC=diun-nas=" + diun.addr, "hostname is then learned"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	if n := strings.Count(logs.String(), "is not the one its webhooks carry"); n != 1 {
		t.Errorf("the warning is logged %d times over two runs, want once:\n%s", n, logs)
	}

	// Bound right: no warning.
	right := newReconciler(t, st, Options{Targets: []Target{{Host: "diun-nas", Addr: diun.addr}}, Holder: "right"})
	syncOne(t, right, diun.addr)
	if w := right.Statuses()[0].Warning; w != "" {
		t.Errorf("the right hostname is warned about: %q", w)
	}

	// A new install: no webhook about an image yet, but Diun's test notification came with its
	// real hostname.
	fresh := newFakeDiun(t)
	fresh.push("docker.io/library/postgres", "17", 9, t0)
	if _, err := st.Record(context.Background(), store.Notification{Hostname: "diun-pi", Status: "new", Image: store.TestImage,
		Digest: digest(0xbeef), RawBody: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	byTest := newReconciler(t, st, Options{Targets: []Target{{Host: "rpi", Addr: fresh.addr}}, Holder: "fresh"})
	syncOne(t, byTest, fresh.addr)
	w = byTest.Statuses()[0].Warning
	for _, want := range []string{`"rpi"`, `test notification came from "diun-pi"`, "DIUN_GRPC=diun-pi=" + fresh.addr} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}

	// A webhook names "nas" (its test notification): the binding is the webhook's, no warning.
	if _, err := st.Record(context.Background(), store.Notification{Hostname: "nas", Status: "new", Image: store.TestImage,
		Digest: digest(0xdead), RawBody: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	syncOne(t, r, diun.addr)
	if w := r.Statuses()[0].Warning; w != "" {
		t.Errorf("warning after a webhook from nas: %q", w)
	}
}
