package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"diundashboard/gen/sqlitedb"
)

// BenchmarkBulkSetStates: one bulk action on 2,000 images (the UI's largest host), as one
// SetStates call (one transaction, audit trail included), beside the least the database can
// do for it: one raw UPDATE of the same rows by id, without the trail. Each op moves all
// 2,000 images once (alternately to acknowledged and back to open).
//
//	go test -run '^$' -bench BulkSetStates -benchtime 20x ./server/store/
//	go test -tags postgres -run '^$' -bench BulkSetStates -benchtime 20x ./server/store/
func BenchmarkBulkSetStates(b *testing.B) {
	const n = 2000
	for _, d := range benchDialects {
		b.Run(d.name, func(b *testing.B) {
			s := d.newStore(b)
			ctx := context.Background()
			ids := make([]int64, n)
			for i := range n {
				res, err := s.Record(ctx, Notification{Hostname: "nas", Image: fmt.Sprintf("docker.io/acme/app%04d:1", i),
					Digest: fmt.Sprintf("sha256:%064x", i), Status: "new", Provider: "docker", ReceivedAt: time.Now()})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = res.ImageID
			}
			// turn alternates the target across runs too (the benchmark runs its body more than
			// once), so that every op moves all 2,000 images.
			turn := 0
			next := func() State { turn++; return []State{StateOpen, StateAcknowledged}[turn%2] }
			b.Run("SetStates", func(b *testing.B) {
				for range b.N {
					got, err := s.SetStates(ctx, ids, Transition{State: next()}, "bench")
					if err != nil || len(got) != n {
						b.Fatalf("moved %d, %v", len(got), err)
					}
				}
			})
			b.Run("RawUpdate", func(b *testing.B) {
				list, err := idList(ids)
				if err != nil {
					b.Fatal(err)
				}
				var d *db
				switch st := s.(type) {
				case *SQLite:
					d = st.db
				case *Postgres:
					d = st.db
				}
				for range b.N {
					p := sqlitedb.SetImagesStateParams{State: string(next()), ChangedAt: dbTime(time.Now()), Ids: list}
					if _, err := d.write.SetImagesState(ctx, p); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
