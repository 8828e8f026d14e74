//go:build postgres

package replicas

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"diundashboard/internal/proctest"
)

// baseEnv is the environment of every process the tests run: nothing from the test's own
// environment but PATH and HOME, so that no WEBHOOK_TOKEN, AUTH_… or DATABASE_URL leaks in.
func baseEnv(databaseURL string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"DATABASE_URL=" + databaseURL, "AUTH_MODE=none", "EVENT_RETENTION=0",
		"LOG_LEVEL=info", "LOG_FORMAT=text",
	}
}

// stop asks a replica that should still be serving to shut down, and fails unless it exits
// cleanly within 20 s.
func stop(t *testing.T, r *proctest.Process) {
	t.Helper()
	if r.Exited() {
		t.Errorf("%s had exited before it was asked to stop: %v", r.Name, r.Err())
		return
	}
	if err := r.Terminate(20 * time.Second); err != nil {
		t.Error(err)
	} else if r.Err() != nil {
		t.Errorf("%s exited with %v after SIGTERM", r.Name, r.Err())
	}
}

// startReplica starts the binary on a free loopback port without waiting for it.
func startReplica(t *testing.T, bin, name, databaseURL string) *proctest.Process {
	t.Helper()
	return proctest.Start(t, name, bin, baseEnv(databaseURL))
}

// sseEvent is one event of the dashboard's Server-Sent Events stream.
type sseEvent struct {
	kind    string
	imageID int64
	at      time.Time
}

// stream is an open GET /events, as the dashboard's pages hold it.
type stream struct {
	events chan sseEvent
	hello  chan struct{}
	ended  chan struct{}
}

// openStream opens the SSE stream of r until ctx ends, and waits for its greeting.
func openStream(ctx context.Context, t *testing.T, r *proctest.Process) *stream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL("/events"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s/events: %v", r.Name, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		t.Fatalf("GET %s/events: %s, Content-Type %q", r.Name, resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &stream{events: make(chan sseEvent, 4096), hello: make(chan struct{}), ended: make(chan struct{})}
	go s.read(resp.Body)
	select {
	case <-s.hello:
	case <-s.ended:
		t.Fatalf("the event stream of %s ended before its greeting", r.Name)
	case <-time.After(5 * time.Second):
		t.Fatalf("the event stream of %s sent no greeting within 5 s", r.Name)
	}
	return s
}

func (s *stream) read(body io.ReadCloser) {
	defer close(s.ended)
	defer body.Close()
	sc := bufio.NewScanner(body)
	var kind, data string
	greeted := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == ": hello" && !greeted:
			greeted = true
			close(s.hello)
		case strings.HasPrefix(line, "event: "):
			kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && kind != "":
			var v struct {
				ImageID int64 `json:"image_id"`
			}
			_ = json.Unmarshal([]byte(data), &v)
			select {
			case s.events <- sseEvent{kind: kind, imageID: v.ImageID, at: time.Now()}:
			default: // the test reads what it needs; never block the stream
			}
			kind, data = "", ""
		}
	}
}

// waitEvent returns the first event on s that match accepts, or false after limit.
func (s *stream) waitEvent(limit time.Duration, match func(sseEvent) bool) (sseEvent, bool) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case e := <-s.events:
			if match(e) {
				return e, true
			}
		case <-s.ended:
			return sseEvent{}, false
		case <-timer.C:
			return sseEvent{}, false
		}
	}
}

// drain discards the events received so far.
func (s *stream) drain() {
	for {
		select {
		case <-s.events:
		default:
			return
		}
	}
}

// notification is a Diun v4.33 docker-provider update body for (host, image, digest).
func notification(host, image, digest string) []byte {
	b, _ := json.Marshal(map[string]any{
		"diun_version": "v4.33.0", "hostname": host, "status": "update", "provider": "docker",
		"image": image, "hub_link": "", "mime_type": "application/vnd.oci.image.index.v1+json",
		"digest": digest, "created": "2026-06-27T13:20:19.987654321Z", "platform": "linux/amd64",
		"metadata": map[string]string{"ctn_names": "app-1", "ctn_state": "running"},
	})
	return b
}

func digestOf(s string) string { return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(s))) }

// reply is what a webhook request came back with.
type reply struct {
	status  int
	eventID int64
	imageID int64
	err     error
}

// postWebhook sends one notification the way Diun does, with a header token.
func postWebhook(ctx context.Context, client *http.Client, r *proctest.Process, token string, body []byte) reply {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL("/webhook"), bytes.NewReader(body))
	if err != nil {
		return reply{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, err: err}
	if err == nil && resp.StatusCode/100 == 2 {
		var v struct {
			EventID int64  `json:"event_id"`
			ImageID *int64 `json:"image_id"`
		}
		if jerr := json.Unmarshal(rb, &v); jerr != nil || v.EventID <= 0 || v.ImageID == nil {
			out.err = fmt.Errorf("2xx without event and image ids: %s", rb)
		} else {
			out.eventID, out.imageID = v.EventID, *v.ImageID
		}
	} else if err == nil {
		out.err = fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(rb))
	}
	return out
}
