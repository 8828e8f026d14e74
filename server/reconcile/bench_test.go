package reconcile

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkReconcile5x2000 reconciles five Diuns of 2,000 images each, concurrently, on SQLite:
// backfill is a fresh dashboard (10,000 rows written), steady a dashboard already up to date
// (what every interval costs), recover one where each Diun changed 200 images. heap-MB is the
// live heap after the runs (after a GC): it must not grow with the runs.
//
//	go test -run '^$' -bench Reconcile5x2000 -benchtime 5x ./server/reconcile/
func BenchmarkReconcile5x2000(b *testing.B) {
	b.Run("backfill", func(b *testing.B) {
		diuns := fleet(b, 5, 2000)
		for b.Loop() {
			b.StopTimer()
			st := newSQLite(b)
			r := newReconciler(b, st, Options{Targets: targets(diuns)})
			b.StartTimer()
			syncAll(b, r, diuns)
		}
		reportHeap(b)
	})
	b.Run("steady", func(b *testing.B) {
		diuns := fleet(b, 5, 2000)
		st := newSQLite(b)
		r := newReconciler(b, st, Options{Targets: targets(diuns)})
		syncAll(b, r, diuns)
		for b.Loop() {
			syncAll(b, r, diuns)
		}
		reportHeap(b)
	})
	b.Run("recover", func(b *testing.B) {
		diuns := fleet(b, 5, 2000)
		st := newSQLite(b)
		r := newReconciler(b, st, Options{Targets: targets(diuns)})
		syncAll(b, r, diuns)
		round := 0
		for b.Loop() {
			b.StopTimer()
			round++
			for i, d := range diuns {
				for j := range 200 {
					d.push(fmt.Sprintf("registry.example/app%d", j*10), "1", 10_000_000*round+i*100000+j, t0.Add(time.Duration(round)*time.Hour))
				}
			}
			b.StartTimer()
			syncAll(b, r, diuns)
		}
		b.StopTimer()
		sum, _ := st.Summary(context.Background())
		if _, tot := sum.ByHost(); tot.Open != 1000 {
			b.Fatalf("open = %d, want 1000", tot.Open)
		}
		reportHeap(b)
	})
}

func reportHeap(b *testing.B) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "heap-MB")
}
