package mqtt

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

// BenchmarkUnknownCommand measures what a command for an image the bridge does not know
// costs on the client's goroutine (a command flood's usual shape): a lookup in memory, and
// a place among the few that wait for the next read, or a dropped command once they are full.
// (Before, each cost a read of every image: ~41 ms at 9,000 images.)
func BenchmarkUnknownCommand(b *testing.B) {
	cfg, _, err := ParseConfig(Settings{URL: "mqtt://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	br := New(Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	known := map[string]knownImage{}
	for i := range 9000 {
		known[br.t.imageBase("h1", fmt.Sprintf("app%d", i))] = knownImage{id: int64(i), state: store.StateOpen}
	}
	br.known.Store(&known)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		br.receiveCommand(command{base: fmt.Sprintf("diundashboard/h9_x/nosuch_%d", i), name: installLevel}, payloadInstall, false)
	}
}
