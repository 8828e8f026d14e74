package mqtt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"diundashboard/server/store"
)

// How the bridge behaves towards Home Assistant: when it publishes everything, in which
// order, what read-only entities look like, and how entities of earlier versions go.

// settle gives the bridge time to act on what it received: for tests that check that
// nothing more happens.
func settle() { time.Sleep(time.Second) }

// A start publishes every config once, even with retained configs of an earlier run on the
// broker and Home Assistant's birth message retained there.
func TestBridgePublishesOncePerStart(t *testing.T) {
	e := newEnv(t, storeFactories["sqlite"](t))
	for i := range 20 {
		e.record("h1", fmt.Sprintf("ghcr.io/acme/app%d:latest", i), digestA)
	}
	stop := e.startBridge("dd-first")
	e.configOf("update", "diundashboard_h1_ghcr_io_acme_app19_")
	stop()
	publish(t, e.broker.client("ha"), DefaultBirthTopic, "online", true)

	count := e.counter("homeassistant/#")
	e.startBridge("dd-second", func(o *Options) { o.BirthQuiet = time.Nanosecond })
	eventually(t, func() string { return "40 configs published" }, func() bool { return len(count()) >= 40 })
	settle()
	for topic, n := range count() {
		if n != 1 {
			t.Errorf("%s published %d times at one start", topic, n)
		}
	}
}

// Home Assistant's birth message comes on homeassistant/status whatever the discovery prefix,
// and makes the bridge publish everything again; many births in a row, once per BirthQuiet.
func TestBridgeBirthMessage(t *testing.T) {
	t.Run("another discovery prefix", func(t *testing.T) {
		e := newEnv(t, storeFactories["sqlite"](t))
		e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
		e.startBridge("dd-ha", func(o *Options) { o.Config.DiscoveryPrefix = "ha"; o.BirthQuiet = time.Nanosecond })
		eventually(t, func() string { return "configs under ha/" }, func() bool { return len(e.broker.retainedUnder("ha/update/#")) == 1 })
		count := e.counter("ha/#")
		publish(t, e.broker.client("ha"), "homeassistant/status", "online", false)
		eventually(t, func() string { return "the config published again after the birth" }, func() bool { return len(count()) > 0 })
	})
	t.Run("a flood of births", func(t *testing.T) {
		e := newEnv(t, storeFactories["sqlite"](t))
		e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
		e.startBridge("dd-births")
		e.configOf("update", "diundashboard_h1_nginx")
		settle()
		count := e.counter("homeassistant/#")
		mallory := e.broker.client("mallory")
		for range 50 {
			publish(t, mallory, "homeassistant/status", "online", false)
		}
		settle()
		got := count()
		delete(got, "homeassistant/status") // the births themselves
		if len(got) > 0 {
			t.Errorf("50 births within the quiet time made the bridge publish %v", got)
		}
		if n := strings.Count(e.logs.String(), "birth message came soon"); n > 1 {
			t.Errorf("50 births made %d log lines", n)
		}
	})
}

// A removal clears configs before states, so that Home Assistant drops each entity before
// its state is emptied (an empty state of a live entity is an error in its log).
func TestBridgeRemovesConfigsFirst(t *testing.T) { forEachStore(t, testBridgeRemovesConfigsFirst) }

func testBridgeRemovesConfigsFirst(t *testing.T, st store.Store) {
	e := newEnv(t, st)
	var ids []int64
	for i := range 12 {
		ids = append(ids, e.record("h3", fmt.Sprintf("ghcr.io/acme/svc%d:latest", i), digestC))
	}
	e.startBridge("dd-order")
	e.configOf("update", "diundashboard_h3_ghcr_io_acme_svc11_")
	eventually(t, func() string { return "12 states" }, func() bool { return len(e.broker.retainedUnder("diundashboard/+/+/state")) == 12 })

	var mu sync.Mutex
	var cleared []string
	c := e.broker.client("ha-order")
	if tok := c.Subscribe("#", 1, func(_ paho.Client, m paho.Message) {
		if len(m.Payload()) == 0 && !m.Retained() {
			mu.Lock()
			cleared = append(cleared, m.Topic())
			mu.Unlock()
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	if _, err := e.triage.Delete(t.Context(), ids); err != nil {
		t.Fatal(err)
	}
	got := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), cleared...) }
	// 12 update and 12 button configs, 12 states, h3's sensor config and counts.
	eventually(t, func() string { return fmt.Sprintf("38 removals, have %d", len(got())) }, func() bool { return len(got()) >= 38 })
	lastConfig, firstOther := -1, len(got())
	for i, topic := range got() {
		if strings.HasPrefix(topic, "homeassistant/") {
			lastConfig = i
		} else if i < firstOther {
			firstOther = i
		}
	}
	if lastConfig > firstOther {
		t.Errorf("a state was cleared (at %d) before a config (at %d):\n%s", firstOther, lastConfig, strings.Join(got(), "\n"))
	}
}

// MQTT_COMMANDS=off: update entities without Install, no Ignore buttons (those of an earlier
// run with commands are removed), no subscription to command topics, and a command changes
// nothing.
func TestBridgeReadOnly(t *testing.T) { forEachStore(t, testBridgeReadOnly) }

func testBridgeReadOnly(t *testing.T, st store.Store) {
	e := newEnv(t, st)
	nginx := e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	stop := e.startBridge("dd-rw")
	installTopic := func() string { _, c := e.configOf("update", "diundashboard_h1_nginx"); return c.CommandTopic }()
	buttonTopic, _ := e.configOf("button", "diundashboard_h1_nginx")
	stop()

	e.startBridge("dd-ro", func(o *Options) { o.Config.ReadOnly = true })
	eventually(t, func() string { return "the Ignore button removed" }, func() bool { _, ok := e.broker.retained(buttonTopic); return !ok })
	var cfg haConfig
	eventually(t, func() string { return fmt.Sprintf("an update entity without Install: %+v", cfg) }, func() bool {
		_, cfg = e.configOf("update", "diundashboard_h1_nginx")
		return cfg.CommandTopic == "" && cfg.PayloadInstall == ""
	})
	if s := e.state(cfg.StateTopic); !strings.HasPrefix(s.ReleaseSummary, "Shown only") {
		t.Errorf("release summary of a read-only entity: %q", s.ReleaseSummary)
	}
	if subs := e.broker.srv.Topics.Subscribers(installTopic).Subscriptions; len(subs) > 0 {
		t.Errorf("read-only, the bridge still subscribes to the command topics: %v", subs)
	}
	publish(t, e.broker.client("ha"), installTopic, "install", false)
	settle()
	if got := e.image(nginx).State; got != store.StateOpen {
		t.Errorf("read-only, an Install made the image %s", got)
	}
}

// hash32 is how versions before 80-bit ids hashed names.
func hash32(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:4])
}

// The entities of a version with 32-bit ids are replaced at the first start: their configs,
// states and counts cleared, the new ones published.
func TestBridgeReplacesEntitiesOfShortIDs(t *testing.T) {
	e := newEnv(t, storeFactories["sqlite"](t))
	e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	host := "h1_" + hash32("host", "h1")
	img := "nginx_1_29_alpine_" + hash32("image", "h1", "docker.io/library/nginx:1.29-alpine")
	old := []string{
		"homeassistant/update/diundashboard/diundashboard_h1_" + img + "/config",
		"homeassistant/button/diundashboard/diundashboard_h1_" + img + "_ignore/config",
		"homeassistant/sensor/diundashboard/diundashboard_" + host + "_open/config",
		"diundashboard/" + host + "/" + img + "/state",
		"diundashboard/" + host + "/summary",
	}
	ha := e.broker.client("ha")
	for _, topic := range old {
		publish(t, ha, topic, `{"name":"from 32-bit ids"}`, true)
	}
	e.startBridge("dd-new")
	_, cfg := e.configOf("update", "diundashboard_h1_nginx")
	eventually(t, func() string { return fmt.Sprintf("the old entities cleared: %v", e.broker.retainedUnder("#")) }, func() bool {
		for _, topic := range old {
			if _, ok := e.broker.retained(topic); ok {
				return false
			}
		}
		return true
	})
	if !strings.HasSuffix(cfg.UniqueID, idHash("image", "h1", "docker.io/library/nginx:1.29-alpine")) {
		t.Errorf("the new entity's unique id %q", cfg.UniqueID)
	}
}
