package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
	"diundashboard/server/store/internal/pgconnect"
	"diundashboard/server/store/migrate"

	"github.com/jackc/pgx/v5"
)

// Postgres is the Store for PostgreSQL, through pgx's database/sql adapter.
type Postgres struct {
	*db
	// pg runs the PostgreSQL-only queries (RecordNotification).
	pg *postgresdb.Queries
	// cfg is what every connection of the pool is made with (postgresConfig).
	cfg *pgx.ConnConfig
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
	cfg, err := postgresConfig(t)
	if err != nil {
		return nil, err
	}
	pool := pgconnect.Open(cfg)
	pool.SetMaxOpenConns(t.Pool.MaxOpenConns)
	pool.SetMaxIdleConns(t.Pool.MaxIdleConns)
	pool.SetConnMaxLifetime(t.Pool.ConnMaxLifetime)
	// pgx caches prepared statements per connection by itself (QueryExecModeCacheStatement).
	q := pgQueries{postgresdb.New(pool)}
	p := &Postgres{
		pg:      q.q,
		cfg:     cfg,
		maxIdle: t.Pool.MaxIdleConns,
		db: &db{
			dialect: DialectPostgres, readDB: pool, writeDB: pool, read: q, write: q,
			inTx:        func(tx *sql.Tx) queries { return pgQueries{postgresdb.New(tx)} },
			copyQueries: func(tx sqlitedb.DBTX) copyQueries { return pgCopyQueries{postgresdb.New(tx)} },
		},
		databaseURL: databaseURL,
	}
	if err := p.checkSchema(ctx, t); err != nil {
		_ = pool.Close()
		return nil, err
	}
	return p, nil
}

// postgresConfig is the one parse of a PostgreSQL DATABASE_URL: the store's pool (and its
// LISTEN connections) and the migrator (its connections and its lock) all connect with what
// pgconnect.Config makes of t.URL, so they share the connect timeout. The error shows the URL
// redacted and pgx's reason with every password masked.
func postgresConfig(t Target) (*pgx.ConnConfig, error) {
	cfg, err := pgconnect.Config(t.URL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL %s is not a valid PostgreSQL URL: %s; use postgres://user:password@host:5432/dbname?sslmode=disable", Redact(t.URL), scrub(pgconnect.ParseReason(err), t.URL))
	}
	return cfg, nil
}

// postgresMigrator is the migrator of t's database (see Migrate).
func (t Target) postgresMigrator() (*migrate.Migrator, error) {
	if _, err := postgresConfig(t); err != nil {
		return nil, err
	}
	return migrate.NewPostgres(t.URL, t.describe())
}

// checkSchema is the pool's first contact with the server: it explains a connection that
// fails as Migrate does, and refuses a database that was never migrated, or that a newer
// version migrated.
func (p *Postgres) checkSchema(ctx context.Context, t Target) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var images, migrations bool
	err := p.readDB.QueryRowContext(ctx, `SELECT to_regclass('images') IS NOT NULL, to_regclass('schema_migrations') IS NOT NULL`).Scan(&images, &migrations)
	if err != nil {
		return pgconnect.Explain(ctx, p.cfg, err)
	}
	if !images {
		return errors.New("the PostgreSQL database has no schema: run `diundashboard migrate` first")
	}
	if !migrations {
		return nil // made by hand or restored without dbmate's table: nothing to compare
	}
	rows, err := p.readDB.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("reading the schema version of %s: %w", t.describe(), err)
	}
	versions, err := scanStrings(rows)
	if err != nil {
		return fmt.Errorf("reading the schema version of %s: %w", t.describe(), err)
	}
	return migrate.Check(migrate.Postgres, t.describe(), versions)
}

// unreachable explains a failure after Open (Notify, Listen), where a reconnecting pool may be
// refused by a server that repeats the password.
func (p *Postgres) unreachable(err error) error {
	return hideSecrets(fmt.Errorf("cannot reach PostgreSQL at %s: %v; check that the server is running and that DATABASE_URL names the right host, port, user and database", pgconnect.Address(p.cfg), err), p.databaseURL)
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

// identityTables are the tables whose id PostgreSQL generates.
var identityTables = []string{"images", "events", "tags", "state_changes", "api_tokens"}

// AfterImport restarts each identity sequence after the largest imported id: rows inserted
// with their ids leave the sequences where they were, and the next insert would collide.
func (p *Postgres) AfterImport(ctx context.Context) error {
	for _, table := range identityTables {
		// setval(seq, max(id)) makes the next id max+1; on an empty table the sequence
		// restarts at 1 (is_called false).
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM %s`,
			table, pgx.Identifier{table}.Sanitize()) // table is one of the fixed names above
		if _, err := p.writeDB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("resetting the id sequence of %s: %w", table, err)
		}
	}
	return nil
}
