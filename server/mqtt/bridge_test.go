package mqtt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"diundashboard/server/live"
	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
	"diundashboard/server/triage"
)

// storeFactories opens a fresh, migrated store per call; postgres_test.go adds PostgreSQL.
var storeFactories = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store { return storetest.Open(t, "sqlite:"+t.TempDir()+"/dd.db") },
}

func forEachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	names := make([]string, 0, len(storeFactories))
	for name := range storeFactories {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { fn(t, storeFactories[name](t)) })
	}
}

// syncBuffer is a log sink the bridge's goroutines may write to while a test reads it.
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

// env is a store, the triage service over it with its hub, and a broker.
type env struct {
	t      testing.TB
	st     store.Store
	hub    *live.Hub
	triage *triage.Service
	broker *testBroker
	logs   *syncBuffer
}

func newEnv(t testing.TB, st store.Store) *env {
	hub := live.NewHub()
	return &env{t: t, st: st, hub: hub, triage: triage.New(st, hub, nil), broker: startBroker(t, brokerOptions{}), logs: &syncBuffer{}}
}

// startBridge runs a bridge to e's broker until the returned stop is called (or the test
// ends).
func (e *env) startBridge(clientID string, edit ...func(*Options)) (stop func()) {
	cfg, _, err := ParseConfig(Settings{URL: "mqtt://" + e.broker.addr})
	if err != nil {
		e.t.Fatal(err)
	}
	o := Options{Config: cfg, Store: e.st, Triage: e.triage, Hub: e.hub, Version: "test", ClientID: clientID,
		BaseURL: "https://dash.example.org", MaxRetryInterval: time.Second, ConnectTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, f := range edit {
		f(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); New(o).Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(stop)
	return stop
}

// record stores a notification from Diun through the triage service and returns its image.
func (e *env) record(host, image, digest string) int64 {
	e.t.Helper()
	res, err := e.triage.Record(context.Background(), store.Notification{DiunVersion: "4.29.0", Hostname: host, Status: "update",
		Provider: "docker", Image: image, HubLink: "https://hub.docker.com/_/nginx", MimeType: "application/vnd.oci.image.index.v1+json",
		Digest: digest, Platform: "linux/amd64"})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.ImageID
}

func (e *env) image(id int64) store.Image {
	e.t.Helper()
	img, err := e.st.GetImage(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return img
}

// retainedJSON decodes the retained payload of topic into v; ok is false when there is none.
func (e *env) retainedJSON(topic string, v any) bool {
	p, ok := e.broker.retained(topic)
	if !ok || p == "" {
		return false
	}
	if err := json.Unmarshal([]byte(p), v); err != nil {
		e.t.Fatalf("%s: not JSON: %v: %s", topic, err, p)
	}
	return true
}

// haConfig is the part of a discovery config the tests read.
type haConfig struct {
	Name              string `json:"name"`
	UniqueID          string `json:"unique_id"`
	DefaultEntityID   string `json:"default_entity_id"`
	StateTopic        string `json:"state_topic"`
	CommandTopic      string `json:"command_topic"`
	PayloadInstall    string `json:"payload_install"`
	PayloadPress      string `json:"payload_press"`
	EntityPicture     string `json:"entity_picture"`
	AvailabilityTopic string `json:"availability_topic"`
	ValueTemplate     string `json:"value_template"`
	Device            struct {
		Identifiers      []string `json:"identifiers"`
		Name             string   `json:"name"`
		ConfigurationURL string   `json:"configuration_url"`
	} `json:"device"`
	Origin struct {
		Name string `json:"name"`
	} `json:"origin"`
}

type haState struct {
	InstalledVersion string `json:"installed_version"`
	LatestVersion    string `json:"latest_version"`
	Title            string `json:"title"`
	ReleaseSummary   string `json:"release_summary"`
	ReleaseURL       string `json:"release_url"`
}

// configOf finds the retained config of component whose unique id starts with prefix.
func (e *env) configOf(component, prefix string) (topic string, c haConfig) {
	e.t.Helper()
	eventually(e.t, func() string {
		return fmt.Sprintf("a retained %s config with a unique id like %s*; have %v", component, prefix, e.broker.retainedUnder("homeassistant/#"))
	}, func() bool {
		for tp, p := range e.broker.retainedUnder("homeassistant/" + component + "/diundashboard/+/config") {
			var got haConfig
			if p != "" && json.Unmarshal([]byte(p), &got) == nil && strings.HasPrefix(got.UniqueID, prefix) {
				topic, c = tp, got
				return true
			}
		}
		return false
	})
	return topic, c
}

// watch records every payload published on topic from now on (after the retained one).
func (e *env) watch(topic string) func() []string {
	var mu sync.Mutex
	var seen []string
	c := e.broker.client("watcher-" + idHash(topic, time.Now().String()))
	if tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(m.Payload()))
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		e.t.Fatalf("subscribe %s: %v", topic, tok.Error())
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func (e *env) state(topic string) haState {
	var s haState
	e.retainedJSON(topic, &s)
	return s
}

const (
	digestA  = "sha256:216e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a"
	digestA2 = "sha256:fe25d3d2212400112233445566778899aabbccddeeff00112233445566778899"
	digestB  = "sha256:1111111111112222222222223333333333334444444444445555555555556666"
	digestC  = "sha256:9999999999998888888888887777777777776666666666665555555555554444"
)

func TestBridge(t *testing.T) { forEachStore(t, testBridge) }

func testBridge(t *testing.T, st store.Store) {
	ctx := context.Background()
	e := newEnv(t, st)
	nginx := e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	redis := e.record("h1", "docker.io/library/redis:7", digestB)
	app := e.record("h2", "ghcr.io/acme/app:latest", digestC)
	stop := e.startBridge("dd-one")

	// Discovery: one update entity per image, under the host's device, retained.
	nginxConfigTopic, nginxCfg := e.configOf("update", "diundashboard_h1_nginx_1_29_alpine_")
	if !regexp.MustCompile(`^homeassistant/update/diundashboard/diundashboard_h1_nginx_1_29_alpine_[0-9a-f]{20}/config$`).MatchString(nginxConfigTopic) {
		t.Errorf("config topic %q", nginxConfigTopic)
	}
	if nginxCfg.DefaultEntityID != "update."+nginxCfg.UniqueID || nginxCfg.Name != "nginx:1.29-alpine" ||
		nginxCfg.PayloadInstall != "install" || nginxCfg.AvailabilityTopic != "diundashboard/status" ||
		nginxCfg.Device.Name != "Diun h1" || len(nginxCfg.Device.Identifiers) != 1 || nginxCfg.Origin.Name != "DiunDashboard" ||
		nginxCfg.Device.ConfigurationURL != "https://dash.example.org/?host=h1" ||
		nginxCfg.EntityPicture != "https://dash.example.org/static/icon.svg" {
		t.Errorf("update config: %+v", nginxCfg)
	}
	if !strings.HasPrefix(nginxCfg.StateTopic, "diundashboard/h1_") || !strings.HasSuffix(nginxCfg.StateTopic, "/state") ||
		nginxCfg.CommandTopic != strings.TrimSuffix(nginxCfg.StateTopic, "/state")+"/install" {
		t.Errorf("topics: state %q, command %q", nginxCfg.StateTopic, nginxCfg.CommandTopic)
	}
	eventually(t, func() string { return "nginx's state" }, func() bool { return e.state(nginxCfg.StateTopic).LatestVersion != "" })
	s := e.state(nginxCfg.StateTopic)
	if s.InstalledVersion != Unacknowledged || s.LatestVersion != "sha256:216e3ae7de4c" ||
		s.Title != "docker.io/library/nginx:1.29-alpine" || s.ReleaseURL != "https://hub.docker.com/_/nginx" || !strings.Contains(s.ReleaseSummary, "on h1") ||
		!strings.HasPrefix(s.ReleaseSummary, "Install only acknowledges it in DiunDashboard: it updates nothing on the host.") {
		t.Errorf("state of an open image never acknowledged: %+v", s)
	}
	_, redisIgnore := e.configOf("button", "diundashboard_h1_redis_7_")
	if redisIgnore.PayloadPress != "ignore" || !strings.HasSuffix(redisIgnore.CommandTopic, "/ignore") || redisIgnore.Device.Name != "Diun h1" {
		t.Errorf("ignore button: %+v", redisIgnore)
	}
	appConfigTopic, appCfg := e.configOf("update", "diundashboard_h2_ghcr_io_acme_app_latest_")
	_, h2Sensor := e.configOf("sensor", "diundashboard_h2_")
	_, totalSensor := e.configOf("sensor", "diundashboard_open_total")
	if totalSensor.StateTopic != "diundashboard/summary" || totalSensor.ValueTemplate != "{{ value_json.open }}" || totalSensor.Device.Name != "DiunDashboard" {
		t.Errorf("total sensor: %+v", totalSensor)
	}
	openCount := func(topic string) int64 {
		var c counts
		e.retainedJSON(topic, &c)
		return c.Open
	}
	eventually(t, func() string { return "3 open in all, 1 on h2" }, func() bool {
		return openCount("diundashboard/summary") == 3 && openCount(h2Sensor.StateTopic) == 1
	})
	if p, _ := e.broker.retained("diundashboard/status"); p != "online" {
		t.Errorf("status %q, want online", p)
	}

	// Install acknowledges the image, through the triage service (audit trail).
	ha := e.broker.client("home-assistant")
	publish(t, ha, nginxCfg.CommandTopic, "install", false)
	eventually(t, func() string { return "nginx acknowledged" }, func() bool { return e.image(nginx).State == store.StateAcknowledged })
	changes, err := st.ListStateChanges(ctx, nginx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Actor != ActorPrefix+nginxCfg.CommandTopic || changes[0].Digest != digestA || changes[0].From != store.StateOpen {
		t.Errorf("audit trail after install: %+v", changes)
	}
	eventually(t, func() string { return fmt.Sprintf("nginx up to date: %+v", e.state(nginxCfg.StateTopic)) }, func() bool {
		s := e.state(nginxCfg.StateTopic)
		return s.InstalledVersion == "sha256:216e3ae7de4c" && s.LatestVersion == s.InstalledVersion
	})
	eventually(t, func() string { return "2 open in all" }, func() bool { return openCount("diundashboard/summary") == 2 })

	// A new digest reopens it: installed is the digest acknowledged before.
	e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA2)
	eventually(t, func() string { return fmt.Sprintf("nginx reopened: %+v", e.state(nginxCfg.StateTopic)) }, func() bool {
		s := e.state(nginxCfg.StateTopic)
		return s.InstalledVersion == "sha256:216e3ae7de4c" && s.LatestVersion == "sha256:fe25d3d22124"
	})

	// The Ignore button ignores.
	publish(t, ha, redisIgnore.CommandTopic, "ignore", false)
	eventually(t, func() string { return "redis ignored" }, func() bool { return e.image(redis).State == store.StateIgnored })
	if changes, _ := st.ListStateChanges(ctx, redis, 10); len(changes) != 1 || changes[0].Actor != ActorPrefix+redisIgnore.CommandTopic || changes[0].To != store.StateIgnored {
		t.Errorf("audit trail after ignore: %+v", changes)
	}

	// A deleted image's config and state are cleared, and so is its host's sensor when it
	// was the host's last image.
	if _, err := e.triage.Delete(ctx, []int64{app}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() string { return "app's config, state and h2's sensor cleared" }, func() bool {
		_, c := e.broker.retained(appConfigTopic)
		_, s := e.broker.retained(appCfg.StateTopic)
		_, h := e.broker.retained(h2Sensor.StateTopic)
		return !c && !s && !h
	})

	// A broker that restarts empty gets everything again.
	addr := e.broker.addr
	e.broker.stop()
	e.broker = startBroker(t, brokerOptions{addr: addr})
	eventually(t, func() string { return "configs and states republished after a broker restart" }, func() bool {
		_, c := e.broker.retained(nginxConfigTopic)
		st, _ := e.broker.retained(nginxCfg.StateTopic)
		on, _ := e.broker.retained("diundashboard/status")
		return c && strings.Contains(st, "sha256:fe25d3d22124") && on == "online"
	})

	// A clean stop says offline (a clean disconnect does not fire the will).
	stop()
	if p, _ := e.broker.retained("diundashboard/status"); p != "offline" {
		t.Errorf("status after stopping %q, want offline", p)
	}

	// A config left on the broker by an image deleted while no dashboard ran is cleared on
	// the next start; the others stay.
	ghost := "homeassistant/update/diundashboard/diundashboard_h9_gone_0badc0de/config"
	ha = e.broker.client("home-assistant-2")
	publish(t, ha, ghost, `{"name":"gone","unique_id":"diundashboard_h9_gone_0badc0de"}`, true)
	// This one goes through a proxy, whose connections the test can cut.
	proxy := startProxy(t, e.broker.addr)
	e.startBridge("dd-two", func(o *Options) { o.Config.Broker.Address = proxy.addr })
	eventually(t, func() string { return "the ghost config cleared" }, func() bool {
		_, g := e.broker.retained(ghost)
		on, _ := e.broker.retained("diundashboard/status")
		return !g && on == "online"
	})
	if _, ok := e.broker.retained(nginxConfigTopic); !ok {
		t.Error("a live image's config was cleared with the ghost")
	}

	// A lost connection fires the will; the bridge reconnects once the network is back and
	// is online again.
	seen := e.watch("diundashboard/status")
	proxy.cut()
	eventually(t, func() string { return fmt.Sprintf("offline (the will); saw %q", seen()) }, func() bool {
		return slices.Contains(seen(), "offline")
	})
	proxy.restore()
	eventually(t, func() string { return fmt.Sprintf("offline, then online; saw %q", seen()) }, func() bool {
		return onlineAfterOffline(seen())
	})
}

// onlineAfterOffline tells whether payloads has an "online" after an "offline". (The broker may
// replay the retained payload to a new subscriber after live ones.)
func onlineAfterOffline(payloads []string) bool {
	i := slices.Index(payloads, "offline")
	return i >= 0 && slices.Contains(payloads[i+1:], "online")
}
