package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"diundashboard/gen/sqlitedb"
	"diundashboard/server/store/migrate"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// SQLite is the embedded Store: one file, one writer connection and a pool of read-only
// connections. SQLite lets a single writer in at a time, so more writer connections only add
// SQLITE_BUSY retries; readers run beside it thanks to WAL.
type SQLite struct {
	*db
	batches         *recordBatcher
	closeStatements func()
	// writeInTx binds the writer's prepared queries to a transaction.
	writeInTx func(*sql.Tx) queries
	// warnings are what opening found about the files' permissions (see Warnings).
	warnings []string
}

// NewSQLite opens the SQLite database that databaseURL names (sqlite:path, sqlite3:path or
// file:path), creating its directory when missing. It does not migrate: call Migrate first.
// The directory it creates is 0700 and the files 0600; files it finds open to other users are
// narrowed to 0600, and Warnings tells the caller so.
func NewSQLite(ctx context.Context, databaseURL string) (*SQLite, error) {
	s, err := newSQLite(ctx, databaseURL)
	return s, hideSecrets(err, databaseURL)
}

func newSQLite(ctx context.Context, databaseURL string) (*SQLite, error) {
	t, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if t.Dialect != DialectSQLite {
		return nil, fmt.Errorf("NewSQLite: DATABASE_URL %q is not a SQLite URL", Redact(databaseURL))
	}
	// Both before SQLite opens the file, as it gives -wal and -shm the database file's mode.
	warnings := t.restrictSQLiteFiles()
	if err := t.ensureSQLiteFile(); err != nil {
		return nil, err
	}
	writeDB, err := sql.Open("sqlite", t.SQLiteDSN(false))
	if err != nil {
		return nil, fmt.Errorf("cannot open the SQLite database %s: %w", t.Path, err)
	}
	writeDB.SetMaxOpenConns(1)
	writeDB.SetMaxIdleConns(1)
	writeDB.SetConnMaxLifetime(0)
	readDB, err := sql.Open("sqlite", t.SQLiteDSN(true))
	if err != nil {
		_ = writeDB.Close()
		return nil, fmt.Errorf("cannot open the SQLite database %s: %w", t.Path, err)
	}
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	readDB.SetMaxOpenConns(readers)
	readDB.SetMaxIdleConns(readers)
	readDB.SetConnMaxLifetime(0)

	s := &SQLite{db: &db{
		dialect: DialectSQLite, readDB: readDB, writeDB: writeDB,
		copyQueries: func(tx sqlitedb.DBTX) copyQueries { return sqlitedb.New(tx) },
	}, warnings: warnings}
	if err := s.checkSchema(ctx, t); err != nil {
		_ = s.db.close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		_ = s.db.close()
		return nil, err
	}
	s.batches = newRecordBatcher(s.writeDB, s.writeInTx)
	return s, nil
}

// Warnings are what NewSQLite found open to other users among the database's files and
// directory, and what it did about it, for the caller to log.
func (s *SQLite) Warnings() []string { return s.warnings }

// prepare readies every query once per pool: modernc.org/sqlite caches no statements, and
// parsing the upsert each time cost a quarter of Record's CPU.
func (s *SQLite) prepare(ctx context.Context) error {
	wq, err := sqlitedb.Prepare(ctx, s.writeDB)
	if err != nil {
		return fmt.Errorf("cannot prepare the SQLite queries (is the schema up to date? run `diundashboard migrate`): %w", err)
	}
	rq, err := sqlitedb.Prepare(ctx, s.readDB)
	if err != nil {
		_ = wq.Close()
		return fmt.Errorf("cannot prepare the SQLite queries (is the schema up to date? run `diundashboard migrate`): %w", err)
	}
	s.read, s.write = rq, wq
	s.writeInTx = func(tx *sql.Tx) queries { return wq.WithTx(tx) }
	s.inTx = s.writeInTx
	s.closeStatements = func() { _ = wq.Close(); _ = rq.Close() }
	return nil
}

// checkSchema fails early, with a clear message, on a file that is not a migrated database,
// or one that a newer version migrated.
func (s *SQLite) checkSchema(ctx context.Context, t Target) error {
	rows, err := s.readDB.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('images', 'schema_migrations')`)
	if err != nil {
		return fmt.Errorf("cannot read the SQLite database %s (is it a SQLite file, readable by this user?): %w", t.Path, err)
	}
	tables, err := scanStrings(rows)
	if err != nil {
		return fmt.Errorf("cannot read the SQLite database %s (is it a SQLite file, readable by this user?): %w", t.Path, err)
	}
	if !slices.Contains(tables, "images") {
		return fmt.Errorf("the SQLite database %s has no schema: run `diundashboard migrate` first", t.Path)
	}
	if !slices.Contains(tables, "schema_migrations") {
		return nil // made by hand or restored without dbmate's table: nothing to compare
	}
	rows, err = s.readDB.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("reading the schema version of %s: %w", t.describe(), err)
	}
	versions, err := scanStrings(rows)
	if err != nil {
		return fmt.Errorf("reading the schema version of %s: %w", t.describe(), err)
	}
	return migrate.Check(migrate.SQLite, t.describe(), versions)
}

// sqliteMigrator is the migrator of t's file (see Migrate). It creates the file, for this
// user only, before migrating it.
func (t Target) sqliteMigrator() (*migrate.Migrator, error) {
	return migrate.NewSQLite(t.SQLiteDSN(false), t.Path, t.describe(), t.ensureSQLiteFile)
}

// Record joins the next group commit (see recordBatcher).
func (s *SQLite) Record(ctx context.Context, n Notification) (RecordResult, error) {
	if err := n.Validate(); err != nil {
		return RecordResult{}, err
	}
	return s.batches.record(ctx, n)
}

// Close finishes the batch in progress, then closes both pools.
func (s *SQLite) Close() error {
	s.batches.close()
	s.closeStatements()
	return s.db.close()
}

// AfterImport has nothing to do: SQLite's AUTOINCREMENT counter (sqlite_sequence) follows
// every id inserted, imported ones included.
func (s *SQLite) AfterImport(context.Context) error { return nil }

// recordBatcher is SQLite's group commit. Every transaction commit costs a WAL write (and an
// fsync at checkpoints), so one goroutine takes every Record call that is waiting, writes them
// all in one transaction — each in a savepoint, so one bad notification fails alone — and
// answers each caller only after the commit: nobody hears "stored" before it is.
type recordBatcher struct {
	writeDB *sql.DB
	// inTx binds the writer's prepared queries to the batch's transaction.
	inTx     func(*sql.Tx) queries
	requests chan *recordRequest
	closing  chan struct{}
	done     chan struct{}
	once     sync.Once
}

type recordRequest struct {
	ctx    context.Context
	n      Notification
	result RecordResult
	err    error
	done   chan struct{}
}

// maxBatch bounds one transaction so that a burst does not delay its first caller for long.
const maxBatch = 256

func newRecordBatcher(writeDB *sql.DB, inTx func(*sql.Tx) queries) *recordBatcher {
	b := &recordBatcher{writeDB: writeDB, inTx: inTx, requests: make(chan *recordRequest), closing: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

func (b *recordBatcher) record(ctx context.Context, n Notification) (RecordResult, error) {
	req := &recordRequest{ctx: ctx, n: n, done: make(chan struct{})}
	select {
	case b.requests <- req:
	case <-b.closing:
		return RecordResult{}, ErrClosed
	case <-ctx.Done():
		return RecordResult{}, ctx.Err()
	}
	// Once taken, the request is written whatever happens to ctx: the caller may give up
	// waiting, but the notification is not lost.
	<-req.done
	return req.result, req.err
}

func (b *recordBatcher) run() {
	defer close(b.done)
	batch := make([]*recordRequest, 0, maxBatch)
	for {
		select {
		case <-b.closing:
			return
		case req := <-b.requests:
			batch = append(batch[:0], req)
		}
		// Let the handlers that are about to call record get there first: on a busy server a
		// yield makes batches, and so commits, several times fewer (measured with loadgen).
		runtime.Gosched()
		// The channel is unbuffered: every caller blocked in record is waiting right now.
	gather:
		for len(batch) < maxBatch {
			select {
			case req := <-b.requests:
				batch = append(batch, req)
			default:
				break gather
			}
		}
		b.commit(batch)
	}
}

func (b *recordBatcher) commit(batch []*recordRequest) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	// Not any caller's context: one caller leaving must not abort the others' writes.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := b.writeDB.BeginTx(ctx, nil)
	if err != nil {
		failAll(batch, err)
		return
	}
	q := b.inTx(tx)
	// A batch of one needs no savepoint: its failure rolls back the whole transaction.
	alone := len(batch) == 1
	written := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if !alone {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT record"); err != nil {
				r.err = err
				continue
			}
		}
		r.result, r.err = recordIn(ctx, q, r.n)
		if r.err == nil {
			written++
		} else if !alone {
			_, _ = tx.ExecContext(ctx, "ROLLBACK TO record")
		}
		if !alone {
			_, _ = tx.ExecContext(ctx, "RELEASE record")
		}
	}
	if written == 0 {
		_ = tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		failAll(batch, err)
	}
}

func failAll(batch []*recordRequest, err error) {
	for _, r := range batch {
		if r.err == nil {
			r.result, r.err = RecordResult{}, err
		}
	}
}

func (b *recordBatcher) close() {
	b.once.Do(func() { close(b.closing) })
	<-b.done
}

// recordIn writes one notification with q, inside the batch's transaction: the current row,
// then the event (PostgreSQL does both in one statement: RecordNotification).
func recordIn(ctx context.Context, q queries, n Notification) (RecordResult, error) {
	ev := eventParams(n)
	if n.IsCheck() {
		id, err := q.InsertEvent(ctx, ev)
		return RecordResult{EventID: id, Check: true}, err
	}
	row, err := q.UpsertImage(ctx, sqlitedb.UpsertImageParams{
		Hostname: n.Hostname,
		Image:    n.Image,
		Digest:   n.Digest,
		Status:   n.Status,
		Provider: n.Provider,
		HubLink:  n.HubLink,
		MimeType: n.MimeType,
		Platform: n.Platform,
		Created:  ev.Created,
		Metadata: ev.Metadata,
		SeenAt:   ev.ReceivedAt,
	})
	if err != nil {
		return RecordResult{}, err
	}
	ev.ImageID = &row.ID
	id, err := q.InsertEvent(ctx, ev)
	if err != nil {
		return RecordResult{}, err
	}
	return RecordResult{EventID: id, ImageID: row.ID, State: State(row.State)}, nil
}
