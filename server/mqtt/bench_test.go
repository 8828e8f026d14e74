package mqtt

import (
	"context"
	"fmt"
	"testing"
	"time"

	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

// BenchmarkSync measures what the bridge does after every change: read every image (SQLite),
// build its messages and compare them with what it published ("unchanged": nothing to send);
// and what it does after each (re)connection ("everything": all of it sent retained,
// over loopback, to the embedded broker, confirmed).
func BenchmarkSync(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		st := storetest.Open(b, "sqlite:"+b.TempDir()+"/dd.db")
		e := newEnv(b, st)
		ctx := context.Background()
		for i := range n {
			digest := fmt.Sprintf("sha256:%064x", i)
			if _, err := st.Record(ctx, store.Notification{Hostname: fmt.Sprintf("host%d", i%10), Status: "update", Provider: "docker",
				Image: fmt.Sprintf("registry.example.org/team/app%d:latest", i), Digest: digest, Platform: "linux/amd64"}); err != nil {
				b.Fatal(err)
			}
		}
		cfg, _, err := ParseConfig(Settings{URL: "mqtt://" + e.broker.addr})
		if err != nil {
			b.Fatal(err)
		}
		br := New(Options{Config: cfg, Store: st, Triage: e.triage, Hub: e.hub, ClientID: fmt.Sprintf("bench-%d", n)})
		if tok := br.client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatal(tok.Error())
		}
		eventually(b, func() string { return "connected" }, br.online.Load)
		if err := br.sync(ctx, true); err != nil {
			b.Fatal(err)
		}
		for _, all := range []bool{false, true} {
			name := map[bool]string{false: "unchanged", true: "everything"}[all]
			b.Run(fmt.Sprintf("images=%d/%s", n, name), func(b *testing.B) {
				for b.Loop() {
					if err := br.sync(ctx, all); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		br.disconnect()
	}
}
