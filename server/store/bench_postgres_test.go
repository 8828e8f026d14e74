//go:build postgres

package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
	"diundashboard/server/store/internal/pgconnect"
)

func init() {
	benchDialects = append(benchDialects, benchDialect{
		name: "postgres",
		newStore: func(b *testing.B) Store {
			databaseURL := pgtest.NewDatabase(b)
			if err := Migrate(context.Background(), databaseURL); err != nil {
				b.Fatal(err)
			}
			s, err := NewPostgres(context.Background(), databaseURL)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
		newScratch: func(b *testing.B) *sql.DB {
			target, err := ParseURL(pgtest.NewDatabase(b))
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := postgresConfig(target)
			if err != nil {
				b.Fatal(err)
			}
			db := pgconnect.Open(cfg)
			// As NewPostgres sets up its pool.
			db.SetMaxOpenConns(DefaultPoolSettings.MaxOpenConns)
			db.SetMaxIdleConns(DefaultPoolSettings.MaxIdleConns)
			db.SetConnMaxLifetime(DefaultPoolSettings.ConnMaxLifetime)
			b.Cleanup(func() { db.Close() })
			if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, n BIGINT NOT NULL DEFAULT 1)`); err != nil {
				b.Fatal(err)
			}
			return db
		},
		upsert: `INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = kv.n + 1`,
		newSeeded: func(b *testing.B, images, events int) Store {
			databaseURL := pgtest.NewDatabase(b)
			ctx := context.Background()
			if err := Migrate(ctx, databaseURL); err != nil {
				b.Fatal(err)
			}
			db, err := sql.Open("pgx", databaseURL)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			seedPostgres(b, db, images, events)
			b.Logf("postgres: seeded %d images and %d events in %s", images, events, time.Since(start).Round(time.Millisecond))
			db.Close()
			s, err := NewPostgres(ctx, databaseURL)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	})
}

// seedPostgres fills a migrated PostgreSQL database with generate_series, the same rows as
// seedSQLite, then analyzes it as autovacuum would.
func seedPostgres(b testing.TB, db *sql.DB, images, events int) {
	b.Helper()
	ts := func(expr string) string {
		return fmt.Sprintf(`(timestamptz '2026-01-01 00:00:00+00' + (%s) * interval '1 second')`, expr)
	}
	stmts := []string{
		fmt.Sprintf(`INSERT INTO images (id, hostname, image, digest, status, provider, hub_link, mime_type, platform, created,
                    metadata, first_seen, last_seen, notifications, state, state_changed_at, snoozed_until,
                    digest_changed_at)
SELECT i, 'host-' || (i %% 50), 'registry.example/team-' || (i %% 100) || '/app-' || i || ':' || (i %% 7),
       'sha256:' || lpad(to_hex(i), 64, '0'), 'update',
       CASE i %% 4 WHEN 0 THEN 'docker' WHEN 1 THEN 'kubernetes' WHEN 2 THEN 'swarm' ELSE 'file' END,
       'https://hub.docker.com/r/team/app', 'application/vnd.oci.image.index.v1+json', 'linux/amd64', NULL,
       jsonb_build_object('ctn_names', 'app-' || i, 'ctn_state', 'running'),
       %[2]s, %[3]s, %[4]d,
       CASE i %% 10 WHEN 0 THEN 'acknowledged' WHEN 1 THEN 'snoozed' WHEN 2 THEN 'ignored' ELSE 'open' END,
       %[2]s, CASE i %% 10 WHEN 1 THEN %[5]s END, %[2]s
FROM generate_series(1, %[1]d) AS i`, images, ts("i"), ts(fmt.Sprintf("%d + (i::bigint * 7919) %% %d", images, events)), max(1, events/images), ts("10000000")),
		fmt.Sprintf(`INSERT INTO events (id, image_id, received_at, diun_version, hostname, status, provider, image, hub_link,
                    mime_type, digest, created, platform, metadata, raw_body)
SELECT j, CASE WHEN j %% 5000 = 0 THEN NULL ELSE j %% %[2]d + 1 END, %[3]s, 'v4.33.0',
       'host-' || ((j %% %[2]d + 1) %% 50), 'update', 'docker',
       CASE WHEN j %% 5000 = 0 THEN 'docker.io/diun/testnotif:latest'
            ELSE 'registry.example/team-' || ((j %% %[2]d + 1) %% 100) || '/app-' || (j %% %[2]d + 1) || ':1' END,
       '', 'application/vnd.oci.image.index.v1+json', 'sha256:' || lpad(to_hex(j), 64, '0'), NULL, 'linux/amd64',
       jsonb_build_object('ctn_names', 'app-' || j),
       '{"diun_version":"v4.33.0","hostname":"host","status":"update","provider":"docker","image":"app-' || j || '","digest":"sha256:' || lpad(to_hex(j), 64, '0') || '","metadata":{"ctn_names":"app"}}'
FROM generate_series(1, %[1]d) AS j`, events, images, ts(fmt.Sprintf("%d + j", images))),
		`INSERT INTO tags (id, name, created_at) SELECT g, 'tag-' || g, timestamptz '2026-01-01 00:00:00+00' FROM generate_series(1, 20) AS g`,
		fmt.Sprintf(`INSERT INTO image_tags (image_id, tag_id)
SELECT i, i %% 20 + 1 FROM generate_series(1, %[1]d) AS i
UNION SELECT i, (i / 3) %% 20 + 1 FROM generate_series(1, %[1]d) AS i WHERE i %% 3 = 0`, images),
		// The rows were inserted with explicit ids: move the identities past them.
		`SELECT setval(pg_get_serial_sequence('images', 'id'), (SELECT max(id) FROM images))`,
		`SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))`,
		`SELECT setval(pg_get_serial_sequence('tags', 'id'), (SELECT max(id) FROM tags))`,
		`VACUUM ANALYZE`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			b.Fatalf("seeding: %v\n%s", err, s)
		}
	}
}
