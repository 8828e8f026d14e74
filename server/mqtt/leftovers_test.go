package mqtt

import (
	"fmt"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// An image deleted while no dashboard ran (or while MQTT_URL was unset) leaves its retained
// config, state and, for its host's last image, the host's counts behind: the next start
// clears them all, and keeps those of the images that remain.
func TestBridgeClearsWhatDeletedImagesLeftBehind(t *testing.T) {
	forEachStore(t, testBridgeClearsLeftovers)
}

func testBridgeClearsLeftovers(t *testing.T, st store.Store) {
	e := newEnv(t, st)
	e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	gone := e.record("h2", "ghcr.io/acme/app:latest", digestC)
	stop := e.startBridge("dd-first")
	keptTopic, kept := e.configOf("update", "diundashboard_h1_nginx_1_29_alpine_")
	goneTopic, goneCfg := e.configOf("update", "diundashboard_h2_ghcr_io_acme_app_latest_")
	_, h2Sensor := e.configOf("sensor", "diundashboard_h2_")
	eventually(t, func() string { return "both states and h2's counts retained" }, func() bool {
		_, a := e.broker.retained(kept.StateTopic)
		_, b := e.broker.retained(goneCfg.StateTopic)
		_, c := e.broker.retained(h2Sensor.StateTopic)
		return a && b && c
	})
	stop()

	if _, err := e.triage.Delete(t.Context(), []int64{gone}); err != nil {
		t.Fatal(err)
	}
	e.startBridge("dd-second")
	eventually(t, func() string {
		return fmt.Sprintf("the deleted image's config, state and h2's counts cleared; retained: %v", e.broker.retainedUnder("diundashboard/#"))
	}, func() bool {
		_, c := e.broker.retained(goneTopic)
		_, s := e.broker.retained(goneCfg.StateTopic)
		_, h := e.broker.retained(h2Sensor.StateTopic)
		return !c && !s && !h
	})
	if _, ok := e.broker.retained(keptTopic); !ok {
		t.Error("the remaining image's config was cleared")
	}
	if p, _ := e.broker.retained(kept.StateTopic); !strings.Contains(p, "sha256:216e3ae7de4c") {
		t.Errorf("the remaining image's state is %q", p)
	}
}

// Only the advertised payloads act: "foo" on an install topic, or "install" on an ignore
// topic, changes nothing and is logged.
func TestBridgeIgnoresUnadvertisedPayloads(t *testing.T) { forEachStore(t, testBridgeIgnoresPayloads) }

func testBridgeIgnoresPayloads(t *testing.T, st store.Store) {
	e := newEnv(t, st)
	nginx := e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	redis := e.record("h1", "docker.io/library/redis:7", digestB)
	e.startBridge("dd-one")
	_, nginxCfg := e.configOf("update", "diundashboard_h1_nginx_1_29_alpine_")
	_, nginxIgnore := e.configOf("button", "diundashboard_h1_nginx_1_29_alpine_")
	_, redisIgnore := e.configOf("button", "diundashboard_h1_redis_7_")
	ha := e.broker.client("home-assistant")
	for _, m := range []struct{ topic, payload string }{
		{nginxCfg.CommandTopic, "foo"},
		{nginxCfg.CommandTopic, ""},
		{nginxCfg.CommandTopic, "INSTALL"},
		{nginxIgnore.CommandTopic, "install"},
	} {
		publish(t, ha, m.topic, m.payload, false)
	}
	// Commands are handled in order: once this one acted, the ones before it were seen.
	publish(t, ha, redisIgnore.CommandTopic, redisIgnore.PayloadPress, false)
	eventually(t, func() string { return "redis ignored" }, func() bool { return e.image(redis).State == store.StateIgnored })
	if got := e.image(nginx).State; got != store.StateOpen {
		t.Errorf("nginx is %s after payloads that were not advertised; want open", got)
	}
	// One line for the four: the log takes one line of a kind per logInterval, whatever
	// arrives (see TestBridgeCommandFlood).
	if n := strings.Count(e.logs.String(), "ignored a command on the MQTT broker whose payload is not the one advertised"); n != 1 {
		t.Errorf("%d warnings about the payloads; want 1:\n%s", n, e.logs)
	}
	publish(t, ha, nginxCfg.CommandTopic, nginxCfg.PayloadInstall, false)
	eventually(t, func() string { return "nginx acknowledged" }, func() bool { return e.image(nginx).State == store.StateAcknowledged })
}

// A slow availability publish is reported, and so is its success: the log never ends on the
// warning while the status is online. (StatusWait of 1 ns makes nearly every publish "slow".)
func TestBridgeLogsTheAvailabilityAfterAWarning(t *testing.T) {
	e := newEnv(t, storeFactories["sqlite"](t))
	e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	e.startBridge("dd-slow", func(o *Options) { o.StatusWait = 1 })
	eventually(t, func() string { return "status online" }, func() bool {
		on, _ := e.broker.retained("diundashboard/status")
		return on == "online"
	})
	eventually(t, func() string { return "a success line after the warning:\n" + e.logs.String() }, func() bool {
		logs := e.logs.String()
		return !strings.Contains(logs, "slow to take the availability topic") || strings.Contains(logs, "published the availability topic after all")
	})
	if strings.Contains(e.logs.String(), "cannot publish the availability topic") {
		t.Errorf("a publish that went through was logged as failed:\n%s", e.logs)
	}
}
