// Package pageseed fills a migrated, empty DiunDashboard database with a large history in a few
// set-based statements (a recursive CTE on SQLite, generate_series on PostgreSQL), so that the
// cost of the pages can be measured at sizes that Record would take hours to reach: the Go
// benchmarks of the overview and the summary, and `loadgen -pages`.
//
// The rows look like what Record writes: 50 hosts, four providers, every triage state, 20 tags,
// one test notification in 5,000 events. Events go through the same triggers as Record's
// (the daily counts), and their times are spread evenly over the SpanDays days before Now, the
// newest last, ids in time order.
package pageseed

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Sizes says what to seed.
type Sizes struct {
	Images, Events int
	// SpanDays is how many days before Now the events cover; 30 puts them all in the
	// overview's default chart.
	SpanDays int
	// Now is the newest event's time; the zero value is time.Now().
	Now time.Time
}

func (s Sizes) now() time.Time {
	if s.Now.IsZero() {
		return time.Now().UTC()
	}
	return s.Now.UTC()
}

func (s Sizes) check() error {
	if s.Images < 1 || s.Events < 0 || s.SpanDays < 1 {
		return fmt.Errorf("pageseed: images %d, events %d, span %d days: want at least one image and one day, and no negative count", s.Images, s.Events, s.SpanDays)
	}
	return nil
}

// SQLite seeds db, an SQLite database that store.Migrate made and nothing wrote to.
func SQLite(ctx context.Context, db *sql.DB, s Sizes) error {
	if err := s.check(); err != nil {
		return err
	}
	now, span := s.now().Unix(), int64(s.SpanDays)*86400
	// ts is the driver's text format (_time_format=sqlite) of a unix time expression.
	ts := func(expr string) string {
		return fmt.Sprintf(`(strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, 'unixepoch') || '+00:00')`, expr)
	}
	// Event j (1..Events) is received at now - span + span*j/Events, about image j mod Images.
	eventTime := fmt.Sprintf("%d - %d + (%d * j) / %d", now, span, span, max(1, s.Events))
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
FROM c`, s.Images, ts(fmt.Sprintf("%d - %d - %d + i", now, span, s.Images)), ts(fmt.Sprintf("%d - (i * 7919) %% %d", now, span)),
			max(1, s.Events/s.Images), ts(fmt.Sprintf("%d + 864000", now))),
		fmt.Sprintf(`WITH RECURSIVE c(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM c WHERE j < %[1]d)
INSERT INTO events (id, image_id, received_at, diun_version, hostname, status, provider, image, hub_link,
                    mime_type, digest, created, platform, metadata, raw_body)
SELECT j, CASE WHEN j %% 5000 = 0 THEN NULL ELSE j %% %[2]d + 1 END, %[3]s, 'v4.33.0',
       'host-' || ((j %% %[2]d + 1) %% 50), 'update', 'docker',
       CASE WHEN j %% 5000 = 0 THEN 'docker.io/diun/testnotif:latest'
            ELSE 'registry.example/team-' || ((j %% %[2]d + 1) %% 100) || '/app-' || (j %% %[2]d + 1) || ':1' END,
       '', 'application/vnd.oci.image.index.v1+json', 'sha256:' || printf('%%064x', j), NULL, 'linux/amd64',
       '{"ctn_names":"app-' || j || '"}',
       '{"diun_version":"v4.33.0","hostname":"host","status":"update","provider":"docker","image":"app-' || j || '","digest":"sha256:' || printf('%%064x', j) || '"}'
FROM c`, s.Events, s.Images, ts(eventTime)),
		`INSERT INTO tags (id, name, created_at) SELECT value, 'tag-' || value, '2026-01-01 00:00:00+00:00' FROM json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]')`,
		fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
INSERT OR IGNORE INTO image_tags (image_id, tag_id) SELECT i, i %% 20 + 1 FROM c UNION ALL SELECT i, (i / 3) %% 20 + 1 FROM c WHERE i %% 3 = 0`, s.Images),
		`ANALYZE`,
	}
	if s.Events == 0 {
		stmts = append(stmts[:1], stmts[2:]...)
	}
	return run(ctx, db, stmts)
}

// Postgres seeds db, a PostgreSQL database that store.Migrate made and nothing wrote to.
func Postgres(ctx context.Context, db *sql.DB, s Sizes) error {
	if err := s.check(); err != nil {
		return err
	}
	now := s.now().Format(time.RFC3339Nano)
	span := fmt.Sprintf("interval '%d days'", s.SpanDays)
	stmts := []string{
		fmt.Sprintf(`INSERT INTO images (id, hostname, image, digest, status, provider, hub_link, mime_type, platform, created,
                    metadata, first_seen, last_seen, notifications, state, state_changed_at, snoozed_until,
                    digest_changed_at)
SELECT i, 'host-' || (i %% 50), 'registry.example/team-' || (i %% 100) || '/app-' || i || ':' || (i %% 7),
       'sha256:' || lpad(to_hex(i), 64, '0'), 'update',
       CASE i %% 4 WHEN 0 THEN 'docker' WHEN 1 THEN 'kubernetes' WHEN 2 THEN 'swarm' ELSE 'file' END,
       'https://hub.docker.com/r/team/app', 'application/vnd.oci.image.index.v1+json', 'linux/amd64', NULL,
       jsonb_build_object('ctn_names', 'app-' || i, 'ctn_state', 'running'),
       '%[2]s'::timestamptz - %[3]s - (%[1]d - i) * interval '1 second',
       '%[2]s'::timestamptz - ((i::bigint * 7919) %% (extract(epoch FROM %[3]s)::bigint)) * interval '1 second',
       %[4]d,
       CASE i %% 10 WHEN 0 THEN 'acknowledged' WHEN 1 THEN 'snoozed' WHEN 2 THEN 'ignored' ELSE 'open' END,
       '%[2]s'::timestamptz - %[3]s, CASE i %% 10 WHEN 1 THEN '%[2]s'::timestamptz + interval '10 days' END,
       '%[2]s'::timestamptz - %[3]s - (%[1]d - i) * interval '1 second'
FROM generate_series(1, %[1]d) AS i`, s.Images, now, span, max(1, s.Events/s.Images)),
		fmt.Sprintf(`INSERT INTO events (id, image_id, received_at, diun_version, hostname, status, provider, image, hub_link,
                    mime_type, digest, created, platform, metadata, raw_body)
SELECT j, CASE WHEN j %% 5000 = 0 THEN NULL ELSE j %% %[2]d + 1 END,
       '%[3]s'::timestamptz - %[4]s + %[4]s * j / %[1]d, 'v4.33.0',
       'host-' || ((j %% %[2]d + 1) %% 50), 'update', 'docker',
       CASE WHEN j %% 5000 = 0 THEN 'docker.io/diun/testnotif:latest'
            ELSE 'registry.example/team-' || ((j %% %[2]d + 1) %% 100) || '/app-' || (j %% %[2]d + 1) || ':1' END,
       '', 'application/vnd.oci.image.index.v1+json', 'sha256:' || lpad(to_hex(j), 64, '0'), NULL, 'linux/amd64',
       jsonb_build_object('ctn_names', 'app-' || j),
       '{"diun_version":"v4.33.0","hostname":"host","status":"update","provider":"docker","image":"app-' || j || '","digest":"sha256:' || lpad(to_hex(j), 64, '0') || '"}'
FROM generate_series(1, %[1]d) AS j`, max(1, s.Events), s.Images, now, span),
		`INSERT INTO tags (id, name, created_at) SELECT i, 'tag-' || i, '2026-01-01 00:00:00+00' FROM generate_series(1, 20) AS i`,
		fmt.Sprintf(`INSERT INTO image_tags (image_id, tag_id)
SELECT i, i %% 20 + 1 FROM generate_series(1, %[1]d) AS i
UNION SELECT i, (i / 3) %% 20 + 1 FROM generate_series(3, %[1]d, 3) AS i`, s.Images),
		// Identity columns continue after the seeded ids, as after an import.
		`SELECT setval(pg_get_serial_sequence('images', 'id'), (SELECT max(id) FROM images))`,
		`SELECT setval(pg_get_serial_sequence('tags', 'id'), (SELECT max(id) FROM tags))`,
		`SELECT setval(pg_get_serial_sequence('events', 'id'), greatest(1, (SELECT coalesce(max(id), 0) FROM events)))`,
		`VACUUM ANALYZE`,
	}
	if s.Events == 0 {
		stmts = append(stmts[:1], stmts[2:]...)
	}
	return run(ctx, db, stmts)
}

func run(ctx context.Context, db *sql.DB, stmts []string) error {
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("pageseed: %w\n%s", err, q)
		}
	}
	return nil
}
