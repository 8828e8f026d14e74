package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"diundashboard/gen/sqlitedb"
	"diundashboard/server/store/migrate"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// SQLite is the embedded Store: one file, one writer connection and a pool of read-only
// connections. SQLite lets a single writer in at a time, so more writer connections only add
// SQLITE_BUSY retries; readers run beside it thanks to WAL.
type SQLite struct {
	*db
	ingest          *ingest
	checkpoints     *checkpointer
	closeStatements func()
	// writeQ are the writer's prepared queries.
	writeQ *sqlitedb.Queries
	// warnings are what opening found about the files' permissions (see Warnings).
	warnings []string
	// path and file are the database file as opened: one deleted or replaced under the
	// server takes its writes to a file nobody will open again (checkFile).
	path string
	file os.FileInfo
}

// ErrFileGone: the SQLite file the server opened is no longer at its path.
var ErrFileGone = errors.New("the SQLite database file was deleted or replaced while the server ran: restore it or restart the server")

// checkFile refuses when the database file at the path is not the one opened: its writes
// would be answered "stored" and lost at the next start (found by an outside tester). A stat
// a batch, about a microsecond.
func (s *SQLite) checkFile() error {
	fi, err := os.Stat(s.path)
	if err != nil || !os.SameFile(fi, s.file) {
		return ErrFileGone
	}
	return nil
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
	writeDB, err := sql.Open("sqlite", t.SQLiteDSN(false)+"&_pragma="+url.QueryEscape(fmt.Sprintf("wal_autocheckpoint(%d)", writerAutoCheckpoint)))
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
		copyQueries:   func(tx sqlitedb.DBTX) copyQueries { return sqlitedb.New(tx) },
		notifyQueries: func(tx sqlitedb.DBTX) notifyQueries { return sqlitedb.New(tx) },
		// ReadOnly makes the driver say BEGIN, not the pool's BEGIN IMMEDIATE (which would
		// hold the write lock for the whole export).
		snapshotTx: &sql.TxOptions{ReadOnly: true},
	}, warnings: warnings, path: t.Path}
	if s.file, err = os.Stat(t.Path); err != nil {
		_ = s.db.close()
		return nil, fmt.Errorf("cannot open the SQLite database %s: %w", t.Path, err)
	}
	if err := s.checkSchema(ctx, t); err != nil {
		_ = s.db.close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		_ = s.db.close()
		return nil, err
	}
	if s.checkpoints, err = newCheckpointer(t.SQLiteDSN(false)); err != nil {
		s.closeStatements()
		_ = s.db.close()
		return nil, fmt.Errorf("cannot open the SQLite database %s: %w", t.Path, err)
	}
	s.ingest = newIngest(s.writeBatch, ingestQueue)
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
	s.writeQ = wq
	s.inTx = func(tx *sql.Tx) queries { return wq.WithTx(tx) }
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

// Record joins the next group commit (see ingest.go).
func (s *SQLite) Record(ctx context.Context, n Notification) (RecordResult, error) {
	if err := n.Validate(); err != nil {
		return RecordResult{}, err
	}
	return s.ingest.record(ctx, n)
}

// Identity is the main database file's path as SQLite opened it, absolute and with symbolic
// links resolved (Copier).
func (s *SQLite) Identity(ctx context.Context) (string, error) {
	var file string
	if err := s.readDB.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(file); err == nil {
		file = resolved
	}
	return "sqlite:" + file, nil
}

// Ping checks that the database answers with its tables, from the file at its path.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.checkFile(); err != nil {
		return err
	}
	return s.db.Ping(ctx)
}

// IngestQueueDepth is how many notifications wait for the writer.
func (s *SQLite) IngestQueueDepth() int { return s.ingest.depth() }

// SetIngestObserver makes o see every batch the writer commits.
func (s *SQLite) SetIngestObserver(o IngestObserver) { s.ingest.setObserver(o) }

// IngestFailing is the error of the last batch the database refused whole, while recent.
func (s *SQLite) IngestFailing() error { return s.ingest.failing() }

// Close writes every notification already accepted, then closes both pools.
func (s *SQLite) Close() error {
	s.ingest.close()
	cerr := s.checkpoints.close()
	s.closeStatements()
	if err := s.db.close(); err != nil {
		return err
	}
	return cerr
}

// AfterImport has nothing to do: SQLite's AUTOINCREMENT counter (sqlite_sequence) follows
// every id inserted, imported ones included.
func (s *SQLite) AfterImport(context.Context) error { return nil }

// writeBatch is SQLite's batch statement: each notification's upsert and event, in order,
// with the writer's prepared queries. SQLite has no data-modifying CTE to do more per
// statement, and needs none: the statements run in-process.
func (s *SQLite) writeBatch(ctx context.Context, notes []Notification) ([]RecordResult, error) {
	if err := s.checkFile(); err != nil {
		return nil, err
	}
	defer s.checkpoints.committed()
	return writeInTx(ctx, s.writeDB, func(tx *sql.Tx) ([]RecordResult, error) {
		q := s.writeQ.WithTx(tx)
		results := make([]RecordResult, len(notes))
		for i, n := range notes {
			var err error
			if results[i], err = recordIn(ctx, q, n); err != nil {
				return nil, err
			}
		}
		return results, nil
	})
}

// upsertKeepingState is UpsertImage by way of UpsertImageKeepState, which writes fewer pages
// and refuses only the rows whose state changes (see images.sql).
func upsertKeepingState(q *sqlitedb.Queries) func(context.Context, sqlitedb.UpsertImageParams) (sqlitedb.UpsertImageRow, error) {
	return func(ctx context.Context, p sqlitedb.UpsertImageParams) (sqlitedb.UpsertImageRow, error) {
		row, err := q.UpsertImageKeepState(ctx, sqlitedb.UpsertImageKeepStateParams(p))
		if errors.Is(err, sql.ErrNoRows) {
			return q.UpsertImage(ctx, p)
		}
		return sqlitedb.UpsertImageRow(row), err
	}
}

// recordIn writes one notification with q, inside the batch's transaction: the current row,
// then the event (PostgreSQL writes a whole batch in one statement: RecordBatch).
func recordIn(ctx context.Context, q *sqlitedb.Queries, n Notification) (RecordResult, error) {
	ev := eventParams(n)
	if n.IsCheck() {
		id, err := q.InsertEvent(ctx, ev)
		return RecordResult{EventID: id, Check: true}, err
	}
	upsert := upsertKeepingState(q)
	if n.sourceOf() != SourceWebhook && !n.ReadAt.IsZero() {
		changed, err := q.ImageChangedSince(ctx, sqlitedb.ImageChangedSinceParams{Hostname: n.Hostname, Image: n.Image, ReadAt: dbTime(n.ReadAt)})
		if err != nil {
			return RecordResult{}, err
		}
		if changed {
			return RecordResult{Refused: true}, nil // see UpsertImageIfNewer
		}
	}
	if n.sourceOf() != SourceWebhook {
		upsert = func(ctx context.Context, p sqlitedb.UpsertImageParams) (sqlitedb.UpsertImageRow, error) {
			row, err := q.UpsertImageIfNewer(ctx, sqlitedb.UpsertImageIfNewerParams(p))
			return sqlitedb.UpsertImageRow(row), err
		}
	}
	row, err := upsert(ctx, sqlitedb.UpsertImageParams{
		Hostname:     n.Hostname,
		Image:        n.Image,
		Digest:       n.Digest,
		Status:       n.Status,
		Provider:     n.Provider,
		HubLink:      n.HubLink,
		MimeType:     n.MimeType,
		Platform:     n.Platform,
		Created:      ev.Created,
		Metadata:     ev.Metadata,
		SeenAt:       ev.ReceivedAt,
		InitialState: string(n.initialState()),
	})
	if errors.Is(err, sql.ErrNoRows) && n.sourceOf() != SourceWebhook {
		return RecordResult{Refused: true}, nil // the same digest, or one in its history: see UpsertImageIfNewer
	}
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
