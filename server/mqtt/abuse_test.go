package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/time/rate"

	"diundashboard/server/store"
)

// Whoever may publish on the broker can send commands (the broker's ACL is the trust
// boundary: see README and broker_acl_test.go). What they can do is bounded: commands go at
// the rate limit, a flood pushes no real Install out, commands for unknown images cost no
// database read each, and the log takes a line per kind and interval, topics cut short.

// countingSource counts the reads of every image.
type countingSource struct {
	Source
	lists atomic.Int64
}

func (c *countingSource) ListImages(ctx context.Context, f store.ImageFilter, s store.Sort, p store.PageRequest) (store.ImagePage, error) {
	c.lists.Add(1)
	return c.Source.ListImages(ctx, f, s, p)
}

func TestBridgeCommandFlood(t *testing.T) { forEachStore(t, testBridgeCommandFlood) }

func testBridgeCommandFlood(t *testing.T, st store.Store) {
	e := newEnv(t, st)
	victim := e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	const flooded = 40
	for i := range flooded {
		e.record("h2", fmt.Sprintf("ghcr.io/acme/app%d:latest", i), digestB)
	}
	src := &countingSource{Source: st}
	const every = 20 * time.Millisecond
	e.startBridge("dd-flood", func(o *Options) {
		o.Store = src
		o.CommandLimit = rate.NewLimiter(rate.Every(every), 3)
	})
	_, victimCfg := e.configOf("update", "diundashboard_h1_nginx_1_29_alpine_")
	var ignores []string
	eventually(t, func() string { return fmt.Sprintf("%d ignore buttons of h2", flooded) }, func() bool {
		ignores = ignores[:0]
		for _, p := range e.broker.retainedUnder("homeassistant/button/diundashboard/+/config") {
			var c haConfig
			if p != "" && strings.Contains(p, "Diun h2") && jsonInto(p, &c) {
				ignores = append(ignores, c.CommandTopic)
			}
		}
		return len(ignores) == flooded
	})

	// An anonymous client: every image of h2 ignored, one command repeated 300 times, 500
	// commands for images that do not exist, 200 of them with 60 KB topics; then Home
	// Assistant's Install.
	mallory := e.broker.client("mallory")
	readsBefore := src.lists.Load()
	start := time.Now()
	for _, topic := range ignores {
		mallory.Publish(topic, 0, false, "ignore")
	}
	for range 300 {
		mallory.Publish(ignores[0], 0, false, "ignore")
	}
	long := strings.Repeat("x", 60_000)
	for i := range 500 {
		tail := fmt.Sprintf("nosuch_%d", i)
		if i < 200 {
			tail += long
		}
		mallory.Publish("diundashboard/h9_0123456789abcdef0123/"+tail+"/install", 0, false, "install")
	}
	publish(t, mallory, ignores[1], "ignore", false) // QoS 1: the flood reached the broker
	publish(t, e.broker.client("home-assistant"), victimCfg.CommandTopic, "install", false)

	eventually(t, func() string { return "Home Assistant's Install applied after the flood" }, func() bool {
		return e.image(victim).State == store.StateAcknowledged
	})
	eventually(t, func() string { return fmt.Sprintf("every image of h2 ignored, %d so far", flooded-e.openOn(t, "h2")) }, func() bool {
		return e.openOn(t, "h2") == 0
	})
	// The rate limit: 3 at once, then one each 20 ms.
	if took, least := time.Since(start), (flooded+1-3)*every; took < least {
		t.Errorf("%d commands applied in %v; the limit allows them in no less than %v", flooded+1, took, least)
	}
	// Commands for unknown images: a read of every image per unknownRefresh, not one each.
	if reads := src.lists.Load() - readsBefore; reads > 1+int64(time.Since(start)/unknownRefresh)+int64(flooded)+1 {
		t.Errorf("%d reads of every image for 500 commands for unknown images", reads)
	}
	// The log: a line per kind and interval, and no topic longer than maxLoggedTopic.
	if n := len(e.logs.String()); n > 64<<10 {
		t.Errorf("the flood wrote %d bytes of log", n)
	}
	// The audit trail names the topic the command came on.
	changes, err := st.ListStateChanges(t.Context(), victim, 10)
	if err != nil || len(changes) != 1 || changes[0].Actor != ActorPrefix+victimCfg.CommandTopic {
		t.Errorf("audit trail of Home Assistant's Install: %+v, %v", changes, err)
	}
}

func jsonInto(p string, v any) bool { return json.Unmarshal([]byte(p), v) == nil }

// openOn counts the open images of host.
func (e *env) openOn(t *testing.T, host string) int {
	p, err := e.st.ListImages(t.Context(), store.ImageFilter{Hostname: host}, store.SortImage, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, img := range p.Images {
		if img.State == store.StateOpen {
			n++
		}
	}
	return n
}

// counter counts the messages on a topic filter from now on.
func (e *env) counter(filter string) func() map[string]int {
	var mu sync.Mutex
	seen := map[string]int{}
	c := e.broker.client("counter-" + idHash(filter, time.Now().String()))
	if tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		if !m.Retained() {
			seen[m.Topic()]++
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		e.t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[string]int, len(seen))
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}
