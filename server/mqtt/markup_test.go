package mqtt

import (
	"context"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// Home Assistant renders an update entity's release_summary as Markdown and links its
// release_url: whoever holds the webhook token chooses the host name, the platform and hub_link,
// so none of them may become a link, a mention or markup there (issue 18, M3).
func TestBridgeShowsDiunsTextAsText(t *testing.T) {
	e := newEnv(t, storeFactories["sqlite"](t))
	_, err := e.triage.Record(context.Background(), store.Notification{DiunVersion: "4.29.0",
		Hostname: "nas [update now](https://evil.example/x) @everyone", Status: "update", Provider: "docker",
		Image: "docker.io/library/nginx:1.29", HubLink: "https://evil.example/phish", Digest: digestA,
		Platform: "linux/amd64 ![x](https://evil.example/pixel.png)"})
	if err != nil {
		t.Fatal(err)
	}
	e.startBridge("dd-markup")
	var s haState
	eventually(t, func() string { return "the image's state" }, func() bool {
		for topic := range e.broker.retainedUnder("diundashboard/#") {
			if strings.HasSuffix(topic, "/state") && strings.Contains(topic, "nginx") {
				s = e.state(topic)
				return true
			}
		}
		return false
	})
	for _, bad := range []string{"](https://", "![", "@everyone", "evil.example/phish"} {
		if strings.Contains(s.ReleaseSummary, bad) {
			t.Errorf("release_summary holds %q as markup: %q", bad, s.ReleaseSummary)
		}
	}
	if s.ReleaseURL != "https://hub.docker.com/_/nginx" {
		t.Errorf("release_url %q: want the Docker Hub page the dashboard builds, never Diun's hub_link", s.ReleaseURL)
	}
}
