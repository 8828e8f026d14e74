package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// queueFullStore is a real store whose ingest queue is always full, as under an overload the
// database cannot keep up with (the store's own test, store.TestIngestQueueFullAndDrain, makes
// the queue really fill).
type queueFullStore struct{ store.Store }

func (queueFullStore) Record(context.Context, store.Notification) (store.RecordResult, error) {
	return store.RecordResult{}, store.ErrQueueFull
}

// TestWebhookQueueFull: a full ingest queue is refused with 503 and Retry-After, says the
// notification was not stored, and is logged once for a flood rather than once per request.
func TestWebhookQueueFull(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		env = newTestEnv(t, queueFullStore{env.store})
		for range 3 {
			r := env.webhook(readBody(t, "docker-update.json"))
			env.wantStatus(r, http.StatusServiceUnavailable)
			if got := r.Header.Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After %q, want 1", got)
			}
			if msg := r.errorMessage(t); !strings.Contains(msg, "not stored") || !strings.Contains(msg, "again") {
				t.Errorf("error %q does not say the notification was not stored and may be sent again", msg)
			}
		}
		if n := strings.Count(env.logs.String(), "faster than the database writes them"); n != 1 {
			t.Errorf("the overload was logged %d times for 3 refusals, want once:\n%s", n, env.logs)
		}
		if images, events := env.counts(); images != 0 || events != 0 {
			t.Errorf("%d images and %d events stored", images, events)
		}
	})
}
