package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
	"diundashboard/server/store/internal/pgconnect"
	"diundashboard/server/store/migrate"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Postgres is the Store for PostgreSQL, through pgx's database/sql adapter.
type Postgres struct {
	*db
	// pg runs the PostgreSQL-only queries.
	pg *postgresdb.Queries
	// cfg is what every connection of the pool is made with (postgresConfig).
	cfg *pgx.ConnConfig
	// databaseURL is kept to mask its password in errors after Open, where a reconnecting pool
	// or LISTEN connection may be refused by a server that repeats it.
	databaseURL string
	// maxIdle is how many connections the pool keeps idle (Listen retries as many).
	maxIdle int
	// ingest is the group commit every Record joins.
	ingest *ingest
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
			inTx:          func(tx *sql.Tx) queries { return pgQueries{postgresdb.New(tx)} },
			copyQueries:   func(tx sqlitedb.DBTX) copyQueries { return pgCopyQueries{postgresdb.New(tx)} },
			notifyQueries: func(tx sqlitedb.DBTX) notifyQueries { return pgNotifyQueries{postgresdb.New(tx)} },
			startImport:   deferCounts,
			snapshotTx:    &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		},
		databaseURL: databaseURL,
	}
	if err := p.checkSchema(ctx, t); err != nil {
		_ = pool.Close()
		return nil, err
	}
	p.ingest = newIngest(p.writeBatch, ingestQueue)
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

// Record joins the next group commit (see ingest.go): concurrent notifications share one
// statement (RecordBatch) and one COMMIT, so the pool holds one busy connection for them
// instead of one each.
func (p *Postgres) Record(ctx context.Context, n Notification) (RecordResult, error) {
	if err := n.Validate(); err != nil {
		return RecordResult{}, err
	}
	return p.ingest.record(ctx, n)
}

// Identity is the server process (its port and the time it started, which no two servers
// share) and the database's oid (Copier): a host's other names reach the same identity.
func (p *Postgres) Identity(ctx context.Context) (string, error) {
	var id string
	err := p.readDB.QueryRowContext(ctx, `SELECT 'postgres:' || current_setting('port') || '/' || pg_postmaster_start_time()::text || '/' || d.oid::text
		FROM pg_database d WHERE d.datname = current_database()`).Scan(&id)
	return id, err
}

// IngestQueueDepth is how many notifications wait for the writer.
func (p *Postgres) IngestQueueDepth() int { return p.ingest.depth() }

// SetIngestObserver makes o see every batch the writer commits.
func (p *Postgres) SetIngestObserver(o IngestObserver) { p.ingest.setObserver(o) }

// IngestFailing is the error of the last batch the database refused whole, while recent.
func (p *Postgres) IngestFailing() error { return p.ingest.failing() }

// Close writes every notification already accepted, then closes the pool.
func (p *Postgres) Close() error {
	p.ingest.close()
	return p.readDB.Close()
}

// pgBatchRow is one notification of RecordBatch's JSON parameter.
type pgBatchRow struct {
	Ord         int             `json:"ord"`
	Hostname    string          `json:"hostname"`
	Image       string          `json:"image"`
	Digest      string          `json:"digest"`
	Status      string          `json:"status"`
	Provider    string          `json:"provider"`
	HubLink     string          `json:"hub_link"`
	MimeType    string          `json:"mime_type"`
	Platform    string          `json:"platform"`
	Created     *time.Time      `json:"created"`
	Metadata    json.RawMessage `json:"metadata"`
	SeenAt      time.Time       `json:"seen_at"`
	DiunVersion string          `json:"diun_version"`
	RawBody     string          `json:"raw_body"`
	IsCheck     bool            `json:"is_check"`
	Source      string          `json:"source"`
	// InitialState is the state a new row starts in (see UpsertImage).
	InitialState string `json:"initial_state"`
	// ReadAt is Notification.ReadAt, null when zero.
	ReadAt *time.Time `json:"read_at"`
}

// writeBatch is PostgreSQL's batch statement: RecordBatch, once per round of distinct
// (hostname, image) pairs (pgRounds). A batch of one round — almost every batch — is one
// statement in autocommit, which PostgreSQL runs atomically: one round trip instead of three
// (BEGIN, the statement, COMMIT). Several rounds share one transaction. A batch whose
// connection died is written again when the database does not hold it.
func (p *Postgres) writeBatch(ctx context.Context, notes []Notification) ([]RecordResult, error) {
	// Each attempt, and the check between them, must see the same received times.
	for i := range notes {
		if notes[i].ReceivedAt.IsZero() {
			notes[i].ReceivedAt = now()
		}
	}
	for attempt := 1; ; attempt++ {
		results, err := p.writeBatchOnce(ctx, notes)
		if err == nil || attempt == batchAttempts || !connectionLost(err) || ctx.Err() != nil {
			return results, err
		}
		// The connection died under the batch (a restart, a failover, pg_terminate_backend):
		// Diun never sends a notification again, so write it again, but only when it is not
		// stored, which the error alone does not tell (a server may end the connection just
		// after a commit, before it says so).
		if stored, checkErr := p.batchStored(ctx, notes); checkErr != nil || stored {
			return nil, err
		}
	}
}

// batchAttempts bounds how often writeBatch writes one batch whose connection died.
const batchAttempts = 3

// connectionLost tells a failure of the connection, or of the server process behind it, from
// one of the statement: the server ended the session (57P01 admin_shutdown, 57P02
// crash_shutdown, 57P05 idle_session_timeout) or the connection closed.
func connectionLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P05"
	}
	var ne net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}

// batchStored tells whether a batch whose connection died was committed. It asks for the
// event of its first notification from the webhook (a batch is one statement or one
// transaction: all of it or none), on a connection that answers: dead ones of the pool are
// met and dropped first. A batch without one (only notifications read from Diun's API) is
// said not stored: writing it again refuses what is already there.
func (p *Postgres) batchStored(ctx context.Context, notes []Notification) (bool, error) {
	i := slices.IndexFunc(notes, func(n Notification) bool { return n.sourceOf() == SourceWebhook })
	if i < 0 {
		return false, nil
	}
	ev := eventParams(notes[i])
	arg := postgresdb.EventStoredParams{ReceivedAt: ev.ReceivedAt, Hostname: ev.Hostname, Image: ev.Image, Digest: ev.Digest}
	var err error
	for range batchAttempts {
		var stored bool
		if stored, err = p.pg.EventStored(ctx, arg); err == nil || !connectionLost(err) {
			return stored, err
		}
	}
	return false, err
}

// writeBatchOnce is one attempt of writeBatch.
func (p *Postgres) writeBatchOnce(ctx context.Context, notes []Notification) ([]RecordResult, error) {
	rounds := pgRounds(notes)
	results := make([]RecordResult, len(notes))
	if len(rounds) == 1 {
		err := recordRound(ctx, postgresdb.New(p.writeDB), notes, rounds[0], results)
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			// The server refused the statement: its implicit transaction rolled back.
			return nil, &statementError{err}
		}
		if err != nil {
			return nil, err
		}
		return results, nil
	}
	return writeInTx(ctx, p.writeDB, func(tx *sql.Tx) ([]RecordResult, error) {
		q := postgresdb.New(tx)
		for _, round := range rounds {
			if err := recordRound(ctx, q, notes, round, results); err != nil {
				return nil, err
			}
		}
		return results, nil
	})
}

// recordRound runs RecordBatch on the notes that round indexes and puts their results at
// the same indexes of results.
func recordRound(ctx context.Context, q *postgresdb.Queries, notes []Notification, round []int, results []RecordResult) error {
	rows := make([]pgBatchRow, len(round))
	for j, i := range round {
		ev := eventParams(notes[i])
		rows[j] = pgBatchRow{
			Ord: i, Hostname: ev.Hostname, Image: ev.Image, Digest: ev.Digest, Status: ev.Status,
			Provider: ev.Provider, HubLink: ev.HubLink, MimeType: ev.MimeType, Platform: ev.Platform,
			Created: ev.Created, Metadata: json.RawMessage(ev.Metadata), SeenAt: ev.ReceivedAt,
			DiunVersion: ev.DiunVersion, RawBody: ev.RawBody, IsCheck: notes[i].IsCheck(),
			Source: ev.Source, InitialState: string(notes[i].initialState()),
		}
		if at := notes[i].ReadAt; !at.IsZero() {
			at = dbTime(at)
			rows[j].ReadAt = &at
		}
	}
	batch, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	got, err := q.RecordBatch(ctx, batch)
	if err != nil {
		return err
	}
	if len(got) != len(round) {
		return fmt.Errorf("recording %d notifications returned %d results", len(round), len(got))
	}
	for _, r := range got {
		res := RecordResult{EventID: r.EventID, Check: notes[r.Ord].IsCheck()}
		if !res.Check {
			if r.ImageID == nil && notes[r.Ord].sourceOf() != SourceWebhook {
				results[r.Ord] = RecordResult{Refused: true} // an older or the same digest
				continue
			}
			if r.ImageID == nil || r.State == nil {
				return fmt.Errorf("notification %d of the batch has no image row", r.Ord)
			}
			res.ImageID, res.State = *r.ImageID, State(*r.State)
		}
		results[r.Ord] = res
	}
	return nil
}

// pgRounds splits a batch into rounds in which no (hostname, image) is updated twice, as one
// INSERT … ON CONFLICT cannot touch a row twice: the k-th notification of a pair goes into
// round k, so each pair's notifications are written in the order they came. Test
// notifications change no image and all go into the first round. Almost every batch is one
// round.
func pgRounds(notes []Notification) [][]int {
	rounds := [][]int{make([]int, 0, len(notes))}
	var seen map[[2]string]int
	for i, n := range notes {
		k := 0
		if !n.IsCheck() {
			if seen == nil {
				seen = make(map[[2]string]int, len(notes))
			}
			key := [2]string{n.Hostname, n.Image}
			k = seen[key]
			seen[key] = k + 1
		}
		if k == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[k] = append(rounds[k], i)
	}
	return rounds
}

// identityTables are the tables whose id PostgreSQL generates.
var identityTables = []string{"images", "events", "tags", "state_changes", "api_tokens", "notify_queue", "notify_outbox"}

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
	// The import deferred the counts (counts.go).
	return p.recountAll(ctx)
}
