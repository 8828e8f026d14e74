package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/gen/sqlitedb"
)

// Benchmarks of the store against the raw speed of its database, for the data-layer note.
// They run only with -bench, e.g.
//
//	go test -run '^$' -bench . -benchtime 2000x ./server/store/
//	go test -tags postgres -run '^$' -bench . -benchtime 2000x ./server/store/
//
// BenchmarkRecord*/X is comparable with BenchmarkRawUpsert/X/* of the same run: the raw upsert
// is one INSERT … ON CONFLICT DO UPDATE of one row into a one-table scratch schema, with the
// store's own driver settings (SQLite: the same DSN, one writer connection, autocommit;
// PostgreSQL: the same pool), i.e. the least a database write can cost.

// benchDialect is what each benchmark needs of a database; bench_postgres_test.go adds
// PostgreSQL under the postgres build tag.
type benchDialect struct {
	name string
	// newStore returns an empty, migrated store, closed when b ends.
	newStore func(b *testing.B) Store
	// newScratch returns a pool, set up as the store sets up its writer, on a fresh database
	// holding only the table kv (k text primary key, v text, n integer).
	newScratch func(b *testing.B) *sql.DB
	// upsert is the raw single-row upsert into kv; its parameters are k and v.
	upsert string
	// newSeeded returns a store over a database holding images current rows and events
	// notifications, seeded in SQL. It is called once per run and shared by sub-benchmarks.
	newSeeded func(b *testing.B, images, events int) Store
}

var benchDialects = []benchDialect{{
	name: "sqlite",
	newStore: func(b *testing.B) Store {
		databaseURL := "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
		if err := Migrate(context.Background(), databaseURL); err != nil {
			b.Fatal(err)
		}
		s, err := NewSQLite(context.Background(), databaseURL)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	},
	newScratch: func(b *testing.B) *sql.DB {
		target := Target{Dialect: DialectSQLite, Path: filepath.Join(b.TempDir(), "scratch.db")}
		db, err := sql.Open("sqlite", target.SQLiteDSN(false))
		if err != nil {
			b.Fatal(err)
		}
		// As NewSQLite sets up its writer.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		b.Cleanup(func() { db.Close() })
		if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 1)`); err != nil {
			b.Fatal(err)
		}
		return db
	},
	upsert: `INSERT INTO kv (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = kv.n + 1`,
	newSeeded: func(b *testing.B, images, events int) Store {
		databaseURL := "sqlite:" + filepath.Join(b.TempDir(), "seeded.db")
		ctx := context.Background()
		if err := Migrate(ctx, databaseURL); err != nil {
			b.Fatal(err)
		}
		t, _ := ParseURL(databaseURL)
		db, err := sql.Open("sqlite", t.SQLiteDSN(false))
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		start := time.Now()
		seedSQLite(b, db, images, events)
		b.Logf("sqlite: seeded %d images and %d events in %s", images, events, time.Since(start).Round(time.Millisecond))
		db.Close()
		s, err := NewSQLite(ctx, databaseURL)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	},
}}

// seedSQLite fills a migrated SQLite database in a few INSERT … SELECT statements over a
// recursive CTE: rows that look like what Record writes (50 hosts, 4 providers, every state,
// 20 tags), times in the text format the driver writes (_time_format=sqlite, UTC).
func seedSQLite(b testing.TB, db *sql.DB, images, events int) {
	b.Helper()
	ts := func(expr string) string {
		return fmt.Sprintf(`strftime('%%Y-%%m-%%d %%H:%%M:%%S', '2026-01-01 00:00:00', '+' || (%s) || ' seconds') || '+00:00'`, expr)
	}
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %[1]d)
INSERT INTO images (id, hostname, image, digest, status, provider, hub_link, mime_type, platform, created,
                    metadata, first_seen, last_seen, notifications, state, state_changed_at, snoozed_until,
                    digest_changed_at)
SELECT i, 'host-' || (i %% 50), 'registry.example/team-' || (i %% 100) || '/app-' || i || ':' || (i %% 7),
       'sha256:' || printf('%%064x', i), 'update',
       CASE i %% 4 WHEN 0 THEN 'docker' WHEN 1 THEN 'kubernetes' WHEN 2 THEN 'swarm' ELSE 'file' END,
       'https://hub.docker.com/r/team/app', 'application/vnd.oci.image.index.v1+json', 'linux/amd64', NULL,
       '{"ctn_names":"app-' || i || '","ctn_state":"running"}',
       %[2]s, %[3]s, %[4]d,
       CASE i %% 10 WHEN 0 THEN 'acknowledged' WHEN 1 THEN 'snoozed' WHEN 2 THEN 'ignored' ELSE 'open' END,
       %[2]s, CASE i %% 10 WHEN 1 THEN %[5]s END, %[2]s
FROM c`, images, ts("i"), ts(fmt.Sprintf("%d + (i * 7919) %% %d", images, events)), max(1, events/images), ts("10000000")),
		fmt.Sprintf(`WITH RECURSIVE c(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM c WHERE j < %[1]d)
INSERT INTO events (id, image_id, received_at, diun_version, hostname, status, provider, image, hub_link,
                    mime_type, digest, created, platform, metadata, raw_body)
SELECT j, CASE WHEN j %% 5000 = 0 THEN NULL ELSE j %% %[2]d + 1 END, %[3]s, 'v4.33.0',
       'host-' || ((j %% %[2]d + 1) %% 50), 'update', 'docker',
       CASE WHEN j %% 5000 = 0 THEN 'docker.io/diun/testnotif:latest'
            ELSE 'registry.example/team-' || ((j %% %[2]d + 1) %% 100) || '/app-' || (j %% %[2]d + 1) || ':1' END,
       '', 'application/vnd.oci.image.index.v1+json', 'sha256:' || printf('%%064x', j), NULL, 'linux/amd64',
       '{"ctn_names":"app-' || j || '"}',
       '{"diun_version":"v4.33.0","hostname":"host","status":"update","provider":"docker","image":"app-' || j || '","digest":"sha256:' || printf('%%064x', j) || '","metadata":{"ctn_names":"app"}}'
FROM c`, events, images, ts(fmt.Sprintf("%d + j", images))),
		`INSERT INTO tags (id, name, created_at) SELECT value, 'tag-' || value, '2026-01-01 00:00:00+00:00' FROM json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]')`,
		fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
INSERT OR IGNORE INTO image_tags (image_id, tag_id) SELECT i, i %% 20 + 1 FROM c UNION ALL SELECT i, (i / 3) %% 20 + 1 FROM c WHERE i %% 3 = 0`, images),
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			b.Fatalf("seeding: %v\n%s", err, s)
		}
	}
}

// benchNotification is a docker-provider update like the one in the Diun notes, about one of
// 1000 images, with a new digest each time.
func benchNotification(i int64) Notification {
	img := fmt.Sprintf("127.0.0.1:5000/acme/webapp-%d:1.4", i%1000)
	dig := fmt.Sprintf("sha256:%064x", i)
	created := time.Date(2026, 6, 27, 13, 20, 19, 987654321, time.UTC)
	body := fmt.Sprintf(`{"diun_version":"v4.33.0","hostname":"vm","status":"update","provider":"docker","image":%q,"hub_link":"https://github.com/acme/webapp","mime_type":"application/vnd.oci.image.index.v1+json","digest":%q,"created":"2026-06-27T13:20:19.987654321Z","platform":"linux/amd64","metadata":{"ctn_command":"/app --port 8080","ctn_createdat":"2026-05-28 20:26:40 +0000 UTC","ctn_id":"4f2b3c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c","ctn_names":"webapp-1","ctn_size":"0B","ctn_state":"running","ctn_status":"Up 2 hours (healthy)","stack":"shop"}}`, img, dig)
	return Notification{
		DiunVersion: "v4.33.0", Hostname: "vm", Status: "update", Provider: "docker", Image: img,
		HubLink: "https://github.com/acme/webapp", MimeType: "application/vnd.oci.image.index.v1+json",
		Digest: dig, Created: &created, Platform: "linux/amd64",
		Metadata: map[string]string{
			"ctn_command": "/app --port 8080", "ctn_createdat": "2026-05-28 20:26:40 +0000 UTC",
			"ctn_id":    "4f2b3c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c",
			"ctn_names": "webapp-1", "ctn_size": "0B", "ctn_state": "running",
			"ctn_status": "Up 2 hours (healthy)", "stack": "shop",
		},
		RawBody: []byte(body),
	}
}

// benchGoroutines is how many senders the parallel benchmarks run: Diun's default of 10 workers
// is close to it.
const benchGoroutines = 8

func setBenchParallelism(b *testing.B) {
	b.SetParallelism(max(1, benchGoroutines/runtime.GOMAXPROCS(0)))
}

func reportRate(b *testing.B, unit string) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, unit)
	}
}

func BenchmarkRecord(b *testing.B) {
	for _, d := range benchDialects {
		b.Run(d.name, func(b *testing.B) {
			s := d.newStore(b)
			ctx := context.Background()
			var i int64
			for b.Loop() {
				i++
				if _, err := s.Record(ctx, benchNotification(i)); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, "records/s")
		})
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	for _, d := range benchDialects {
		b.Run(d.name, func(b *testing.B) {
			s := d.newStore(b)
			ctx := context.Background()
			var i atomic.Int64
			setBenchParallelism(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Record(ctx, benchNotification(i.Add(1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, "records/s")
		})
	}
}

// BenchmarkUpsertImage is the store's own image upsert alone, in autocommit, on the real
// schema with its indexes: between the raw upsert (the least a write can cost) and Record
// (this upsert plus the event row, atomically), it shows what the schema itself costs.
func BenchmarkUpsertImage(b *testing.B) {
	for _, d := range benchDialects {
		b.Run(d.name, func(b *testing.B) {
			w := d.newStore(b).(interface{ writer() queries }).writer()
			ctx := context.Background()
			var i int64
			for b.Loop() {
				i++
				_, err := w.UpsertImage(ctx, sqlitedb.UpsertImageParams{
					Hostname: "host", Image: fmt.Sprintf("docker.io/team/app-%d:1", i%1000),
					Digest: fmt.Sprintf("sha256:%064x", i), Status: "update", Provider: "docker",
					Platform: "linux/amd64", SeenAt: now(), InitialState: string(StateOpen),
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, "upserts/s")
		})
	}
}

func (d *db) writer() queries { return d.write }

func BenchmarkRawUpsert(b *testing.B) {
	for _, d := range benchDialects {
		b.Run(d.name+"/serial", func(b *testing.B) {
			db := d.newScratch(b)
			var i int64
			for b.Loop() {
				i++
				if _, err := db.Exec(d.upsert, fmt.Sprint(i%1000), fmt.Sprintf("sha256:%064x", i)); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, "upserts/s")
		})
		b.Run(d.name+"/parallel", func(b *testing.B) {
			db := d.newScratch(b)
			var i atomic.Int64
			setBenchParallelism(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := i.Add(1)
					if _, err := db.Exec(d.upsert, fmt.Sprint(n%1000), fmt.Sprintf("sha256:%064x", n)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, "upserts/s")
		})
	}
}

// BenchmarkListImages reads the first and the 100th page (50 rows each) of the default list,
// newest activity first, over 10,000 images and 1,000,000 events. Keyset pagination should
// make both cost the same.
func BenchmarkListImages(b *testing.B) {
	const (
		images   = 10_000
		events   = 1_000_000
		pageSize = 50
	)
	for _, d := range benchDialects {
		b.Run(d.name, func(b *testing.B) {
			// This level has sub-benchmarks, so it runs once: the seeded database is shared.
			s := d.newSeeded(b, images, events)
			ctx := context.Background()
			for _, page := range []int{1, 100} {
				b.Run(fmt.Sprintf("page%d", page), func(b *testing.B) {
					cursor := ""
					for p := 1; p < page; p++ {
						res, err := s.ListImages(ctx, ImageFilter{}, SortLastSeen, PageRequest{Cursor: cursor, Limit: pageSize})
						if err != nil || res.NextCursor == "" {
							b.Fatalf("page %d: %v (next %q)", p, err, res.NextCursor)
						}
						cursor = res.NextCursor
					}
					for b.Loop() {
						res, err := s.ListImages(ctx, ImageFilter{}, SortLastSeen, PageRequest{Cursor: cursor, Limit: pageSize})
						if err != nil {
							b.Fatal(err)
						}
						if len(res.Images) != pageSize {
							b.Fatalf("page %d has %d images", page, len(res.Images))
						}
					}
				})
			}
		})
	}
}
