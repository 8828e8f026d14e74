package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkSQLitePools compares the layout NewSQLite uses — one writer connection plus a pool
// of query_only readers — with a single shared pool of the same total size, on a mixed load:
// 8 goroutines, three notifications recorded for every page of images listed.
func BenchmarkSQLitePools(b *testing.B) {
	layouts := []struct {
		name string
		open func(b *testing.B, path string) *SQLite
	}{
		{"writer+readers", func(b *testing.B, path string) *SQLite {
			s, err := NewSQLite(context.Background(), "sqlite:"+path)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"shared", openSharedPoolSQLite},
	}
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "pools.db")
			if err := Migrate(context.Background(), "sqlite:"+path); err != nil {
				b.Fatal(err)
			}
			s := l.open(b, path)
			b.Cleanup(func() { s.Close() })
			ctx := context.Background()
			var n, lists atomic.Int64
			setBenchParallelism(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if i%4 == 0 {
						if _, err := s.ListImages(ctx, ImageFilter{State: StateOpen}, SortLastSeen, PageRequest{Limit: 50}); err != nil {
							b.Error(err)
							return
						}
						lists.Add(1)
						continue
					}
					_, err := s.Record(ctx, Notification{Hostname: fmt.Sprintf("h%d", i%20), Image: fmt.Sprintf("docker.io/team/app-%d:1", i%2000),
						Digest: fmt.Sprintf("sha256:%064x", i), Status: "update", Provider: "docker"})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load()-lists.Load())/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(lists.Load())/b.Elapsed().Seconds(), "lists/s")
		})
	}
}

// openSharedPoolSQLite opens the store over one read-write pool, for the comparison only.
func openSharedPoolSQLite(b *testing.B, path string) *SQLite {
	t := Target{Dialect: DialectSQLite, Path: path}
	pool, err := sql.Open("sqlite", t.SQLiteDSN(false))
	if err != nil {
		b.Fatal(err)
	}
	conns := 1 + max(4, 2*runtime.GOMAXPROCS(0))
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	s := &SQLite{db: &db{dialect: DialectSQLite, readDB: pool, writeDB: pool}}
	if err := s.prepare(context.Background()); err != nil {
		b.Fatal(err)
	}
	s.ingest = newIngest(s.writeBatch, ingestQueue)
	return s
}
