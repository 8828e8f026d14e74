package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	schema "diundashboard/sql"
)

// pgMigrationLockKey is the pg_advisory_lock key that serialises migrators ("diundash" in
// ASCII). It must never change: replicas of different versions have to agree on it.
const pgMigrationLockKey int64 = 0x6469756e64617368

// sqliteMigrations serialises migrations inside one process. SQLite has no advisory lock,
// and two goroutines applying the same file at once would both try CREATE TABLE.
var sqliteMigrations sync.Mutex

// Migrate brings the database named by databaseURL (a DATABASE_URL, empty for the default)
// to the newest schema embedded in the binary. Applied migrations are skipped, so calling it
// at every start is cheap. On PostgreSQL, concurrent callers (replicas starting together)
// wait for one another. Errors say what to fix and never contain a password.
func Migrate(ctx context.Context, databaseURL string) error {
	return hideSecrets(migrate(ctx, databaseURL), databaseURL)
}

func migrate(ctx context.Context, databaseURL string) error {
	t, err := parseURL(databaseURL)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	switch t.Dialect {
	case DialectSQLite:
		return migrateSQLite(t)
	case DialectPostgres:
		return migratePostgres(ctx, t)
	}
	return fmt.Errorf("database dialect %q is not supported", t.Dialect)
}

// MigrationStatus lists the embedded migration files (such as "20261125000001_initial.sql")
// already applied to the database and those still pending. It creates nothing: a missing
// SQLite file reports every migration as pending. Errors never contain a password.
func MigrationStatus(ctx context.Context, databaseURL string) (applied, pending []string, err error) {
	applied, pending, err = migrationStatus(ctx, databaseURL)
	return applied, pending, hideSecrets(err, databaseURL)
}

func migrationStatus(ctx context.Context, databaseURL string) (applied, pending []string, err error) {
	t, err := parseURL(databaseURL)
	if err != nil {
		return nil, nil, err
	}
	switch t.Dialect {
	case DialectSQLite:
		if _, statErr := os.Stat(t.Path); errors.Is(statErr, fs.ErrNotExist) {
			names, err := fs.Glob(schema.SQLite, path.Join(schema.SQLiteDir, "*.sql"))
			for i := range names {
				names[i] = path.Base(names[i])
			}
			return nil, names, err
		}
		sqliteMigrations.Lock()
		defer sqliteMigrations.Unlock()
	case DialectPostgres:
		// Probe first so an unreachable server gets the same explanation as in Migrate.
		cfg, err := postgresConfig(t)
		if err != nil {
			return nil, nil, err
		}
		db, conn, err := connectPostgres(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		conn.Close()
		db.Close()
	}
	m, err := newDBMate(t)
	if err != nil {
		return nil, nil, err
	}
	migrations, err := m.FindMigrations()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the migration status of %s: %w", describeTarget(t), err)
	}
	for _, mig := range migrations {
		if mig.Applied {
			applied = append(applied, mig.FileName)
		} else {
			pending = append(pending, mig.FileName)
		}
	}
	return applied, pending, nil
}

// newDBMate configures dbmate for t with the embedded migrations and our own drivers. dbmate
// is silenced because the caller reports the outcome, and AutoDumpSchema is off because a
// running server has no business writing schema.sql.
func newDBMate(t Target) (*dbmate.DB, error) {
	var (
		raw, driver, dir string
		files            fs.FS
	)
	switch t.Dialect {
	case DialectSQLite:
		raw, driver, files, dir = t.SQLiteDSN(false), dbmateSQLiteDriver, schema.SQLite, schema.SQLiteDir
	case DialectPostgres:
		raw, driver, files, dir = t.URL, dbmatePostgresDriver, schema.Postgres, schema.PostgresDir
	default:
		return nil, fmt.Errorf("database dialect %q is not supported", t.Dialect)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be opened: %v; check DATABASE_URL", describeTarget(t), err)
	}
	m := dbmate.New(u)
	m.DriverName = driver
	m.FS = files
	m.MigrationsDir = []string{dir}
	m.AutoDumpSchema = false
	m.Strict = true
	m.Verbose = false
	m.Log = io.Discard
	return m, nil
}

func migrateSQLite(t Target) error {
	if err := t.ensureSQLiteFile(); err != nil {
		return err
	}
	m, err := newDBMate(t)
	if err != nil {
		return err
	}
	sqliteMigrations.Lock()
	defer sqliteMigrations.Unlock()
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("applying database migrations to %s failed: %w; check that the file is a diundashboard database and that its directory is writable", describeTarget(t), err)
	}
	return nil
}

// migratePostgres holds a session-level advisory lock on a connection of its own while dbmate
// runs on others: dbmate takes no lock, and replicas starting together would otherwise all
// run CREATE TABLE and all but one would fail.
func migratePostgres(ctx context.Context, t Target) error {
	cfg, err := postgresConfig(t)
	if err != nil {
		return err
	}
	lockDB, conn, err := connectPostgres(ctx, cfg)
	if err != nil {
		return err
	}
	// Closing the session releases the lock even if the explicit unlock below fails.
	defer lockDB.Close()
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", pgMigrationLockKey); err != nil {
		return fmt.Errorf("waiting for the migration lock on %s failed: %w; another diundashboard instance may be migrating, retry when it has finished", describeTarget(t), err)
	}
	defer func() {
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(unlockCtx, "SELECT pg_advisory_unlock($1)", pgMigrationLockKey)
	}()

	m, err := newDBMate(t)
	if err != nil {
		return err
	}
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("applying database migrations to %s failed: %w; the failed migration was rolled back, fix the cause (the user in DATABASE_URL must be allowed to create tables) and start again", describeTarget(t), err)
	}
	return nil
}

// postgresConfig parses t.URL for pgx.
func postgresConfig(t Target) (*pgx.ConnConfig, error) {
	cfg, err := pgConnConfig(t.URL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL %s is not a valid PostgreSQL URL: %s; use postgres://user:password@host:5432/dbname?sslmode=disable", Redact(t.URL), pgParseReason(err, t.URL))
	}
	return cfg, nil
}

// pgParseReason is what pgx found wrong with databaseURL, without the connection string it
// quotes first (already shown, redacted, by the caller) and with every password masked: pgx's
// own redaction is best effort.
func pgParseReason(err error, databaseURL string) string {
	msg := err.Error()
	var perr *pgconn.ParseConfigError
	if errors.As(err, &perr) {
		if i := strings.Index(msg, "`: "); i >= 0 {
			msg = msg[i+3:]
		}
	}
	return scrub(msg, databaseURL)
}

// connectPostgres opens a one-connection pool and pins its connection, turning connection
// failures into advice: a refused or silent server, a missing database, a wrong password.
func connectPostgres(ctx context.Context, cfg *pgx.ConnConfig) (*sql.DB, *sql.Conn, error) {
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		err = conn.PingContext(ctx)
		if err != nil {
			conn.Close()
		}
	}
	if err != nil {
		db.Close()
		return nil, nil, explainPostgresConnectError(ctx, cfg, err)
	}
	return db, conn, nil
}

// explainedError keeps the cause for errors.Is/As while showing only the explanation, whose
// wording is chosen by the caller.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }

func explainPostgresConnectError(ctx context.Context, cfg *pgx.ConnConfig, err error) error {
	addr := postgresAddress(cfg)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		var msg string
		switch pgErr.Code {
		case "3D000": // invalid_catalog_name
			msg = fmt.Sprintf("database %q does not exist on the PostgreSQL server at %s; create it (for example: createdb %s) or fix the database name in DATABASE_URL", cfg.Database, addr, cfg.Database)
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			msg = fmt.Sprintf("PostgreSQL at %s rejected user %q: %s; check the user and password in DATABASE_URL and the server's pg_hba.conf", addr, cfg.User, pgErr.Message)
		default:
			msg = fmt.Sprintf("PostgreSQL at %s refused the connection: %s (SQLSTATE %s); check DATABASE_URL and the server's settings", addr, pgErr.Message, pgErr.Code)
		}
		return &explainedError{msg: msg, err: err}
	}
	return &explainedError{
		msg: fmt.Sprintf("cannot reach PostgreSQL at %s: %s; check that the server is running and DATABASE_URL is right", addr, connectReason(ctx, cfg, err)),
		err: err,
	}
}

// connectReason picks the most telling part of a connection failure; pgx's full message
// repeats the user and database around it.
func connectReason(ctx context.Context, cfg *pgx.ConnConfig, err error) string {
	if ctx.Err() != nil {
		return "gave up: " + ctx.Err().Error()
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return fmt.Sprintf("no answer within %s (connect_timeout)", cfg.ConnectTimeout)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Error()
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) && connErr.Unwrap() != nil {
		return connErr.Unwrap().Error()
	}
	return err.Error()
}

func postgresAddress(cfg *pgx.ConnConfig) string {
	if strings.HasPrefix(cfg.Host, "/") {
		return fmt.Sprintf("%s (Unix socket, port %d)", cfg.Host, cfg.Port)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// describeTarget names the database in messages without any secret.
func describeTarget(t Target) string {
	if t.Dialect == DialectSQLite {
		return "the SQLite database " + t.Path
	}
	return "the PostgreSQL database " + Redact(t.URL)
}
