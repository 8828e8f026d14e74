package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"diundashboard/gen/postgresdb"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// pgConnectTimeout applies when DATABASE_URL sets no connect_timeout, so that an unreachable
// server fails fast instead of hanging a request.
const pgConnectTimeout = "5"

// Postgres is the Store for PostgreSQL, through pgx's database/sql adapter.
type Postgres struct {
	*db
	// pg runs the PostgreSQL-only queries (RecordNotification).
	pg     *postgresdb.Queries
	target string // host:port, for error messages
	// databaseURL is kept to mask its password in errors after Open, where a reconnecting pool
	// or LISTEN connection may be refused by a server that repeats it.
	databaseURL string
	// maxIdle is how many connections the pool keeps idle (Listen retries as many).
	maxIdle int
}

// NewPostgres connects to the PostgreSQL database that databaseURL (postgres:// or
// postgresql://) names and checks that it answers. It does not migrate: call Migrate first.
// Its errors never show the password, even where the driver or the server quotes it.
func NewPostgres(ctx context.Context, databaseURL string) (*Postgres, error) {
	p, err := newPostgres(ctx, databaseURL)
	return p, hideSecrets(err, databaseURL)
}

func newPostgres(ctx context.Context, databaseURL string) (*Postgres, error) {
	t, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if t.Dialect != DialectPostgres {
		return nil, fmt.Errorf("NewPostgres: DATABASE_URL %q is not a PostgreSQL URL", Redact(databaseURL))
	}
	connURL, hostPort, err := pgConnURL(t.URL)
	if err != nil {
		return nil, err
	}
	pool, err := sql.Open("pgx", connURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL %q is not a valid PostgreSQL URL: %s", Redact(databaseURL), scrub(err.Error(), databaseURL))
	}
	pool.SetMaxOpenConns(t.Pool.MaxOpenConns)
	pool.SetMaxIdleConns(t.Pool.MaxIdleConns)
	pool.SetConnMaxLifetime(t.Pool.ConnMaxLifetime)
	// pgx caches prepared statements per connection by itself (QueryExecModeCacheStatement).
	q := pgQueries{postgresdb.New(pool)}
	p := &Postgres{
		pg:      q.q,
		maxIdle: t.Pool.MaxIdleConns,
		db: &db{
			dialect: DialectPostgres, readDB: pool, writeDB: pool, read: q, write: q,
			inTx: func(tx *sql.Tx) queries { return pgQueries{postgresdb.New(tx)} },
		},
		target:      hostPort,
		databaseURL: databaseURL,
	}
	if err := p.checkSchema(ctx); err != nil {
		_ = pool.Close()
		return nil, err
	}
	return p, nil
}

// pgConnURL validates the URL with pgx's own parser and adds a connect timeout.
func pgConnURL(raw string) (connURL, hostPort string, err error) {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return "", "", fmt.Errorf("DATABASE_URL %q is not a valid PostgreSQL URL: %s", Redact(raw), pgParseReason(err, raw))
	}
	hostPort = net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("DATABASE_URL %q is not a valid URL", Redact(raw))
	}
	q := u.Query()
	if !q.Has("connect_timeout") {
		q.Set("connect_timeout", pgConnectTimeout)
		u.RawQuery = encodeQuery(q)
	}
	return u.String(), hostPort, nil
}

func (p *Postgres) checkSchema(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var exists bool
	err := p.readDB.QueryRowContext(ctx, `SELECT to_regclass('images') IS NOT NULL`).Scan(&exists)
	if err != nil {
		return p.unreachable(err)
	}
	if !exists {
		return errors.New("the PostgreSQL database has no schema: run `diundashboard migrate` first")
	}
	return nil
}

func (p *Postgres) unreachable(err error) error {
	return hideSecrets(fmt.Errorf("cannot reach PostgreSQL at %s: %v; check that the server is running and that DATABASE_URL names the right host, port, user and database", p.target, err), p.databaseURL)
}

// Record writes the event and the current row in one statement (RecordNotification), which
// PostgreSQL runs atomically: one round trip instead of four for a transaction. Concurrent
// notifications for one image serialise on the row lock that INSERT … ON CONFLICT DO UPDATE
// takes.
func (p *Postgres) Record(ctx context.Context, n Notification) (RecordResult, error) {
	if err := n.Validate(); err != nil {
		return RecordResult{}, err
	}
	ev := eventParams(n)
	if n.IsCheck() {
		id, err := p.write.InsertEvent(ctx, ev)
		return RecordResult{EventID: id, Check: true}, err
	}
	row, err := p.pg.RecordNotification(ctx, postgresdb.RecordNotificationParams{
		Hostname:    ev.Hostname,
		Image:       ev.Image,
		Digest:      ev.Digest,
		Status:      ev.Status,
		Provider:    ev.Provider,
		HubLink:     ev.HubLink,
		MimeType:    ev.MimeType,
		Platform:    ev.Platform,
		Created:     ev.Created,
		Metadata:    ev.Metadata,
		SeenAt:      ev.ReceivedAt,
		DiunVersion: ev.DiunVersion,
		RawBody:     ev.RawBody,
	})
	if err != nil {
		return RecordResult{}, err
	}
	return RecordResult{EventID: row.EventID, ImageID: row.ImageID, State: State(row.State)}, nil
}

// Close closes the pool.
func (p *Postgres) Close() error { return p.readDB.Close() }
