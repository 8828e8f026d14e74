package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	"github.com/amacneil/dbmate/v2/pkg/dbutil"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"diundashboard/server/store/internal/pgconnect"
)

// postgresDriver is the private dbmate driver name for PostgreSQL over pgx. dbmate's own
// postgres driver brings lib/pq, a second PostgreSQL client beside the pgx the store uses.
const postgresDriver = "diundashboard-postgres"

func init() {
	dbmate.RegisterDriver(newPostgresDriver, postgresDriver)
}

// PostgresLockKey is the pg_advisory_lock key that serialises migrators ("diundash" in
// ASCII); pg_locks shows it while a migration runs. It must never change: replicas of
// different versions have to agree on it.
const PostgresLockKey int64 = 0x6469756e64617368

// NewPostgres returns the migrator of the PostgreSQL database that databaseURL names (a
// postgres:// URL as pgx reads it, without the store's pool_* parameters). Every connection
// it opens takes its settings from pgconnect.Config. name is the database in messages.
func NewPostgres(databaseURL, name string) (*Migrator, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be opened: %v; check DATABASE_URL", name, err)
	}
	cfg, err := pgconnect.Config(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be opened: %s; check DATABASE_URL", name, pgconnect.ParseReason(err))
	}
	files, dir := Postgres.files()
	return &Migrator{
		dialect: Postgres,
		name:    name,
		url:     u,
		driver:  postgresDriver,
		files:   files,
		dir:     dir,
		advice:  "the failed migration was rolled back, fix the cause (the user in DATABASE_URL must be allowed to create tables) and start again",
		lock: func(ctx context.Context) (func(), error) {
			return advisoryLock(ctx, cfg, name)
		},
	}, nil
}

// advisoryLock holds a session-level advisory lock on a connection of its own while dbmate
// runs on others: dbmate takes no lock, and replicas starting together would otherwise all
// run CREATE TABLE and all but one would fail. It is also the migrator's first connection, so
// a server that is down or refuses the user is explained here.
func advisoryLock(ctx context.Context, cfg *pgx.ConnConfig, name string) (func(), error) {
	lockDB, conn, err := pgconnect.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", PostgresLockKey); err != nil {
		_ = conn.Close()
		_ = lockDB.Close()
		return nil, fmt.Errorf("waiting for the migration lock on %s failed: %w; another diundashboard instance may be migrating, retry when it has finished", name, err)
	}
	return func() {
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(unlockCtx, "SELECT pg_advisory_unlock($1)", PostgresLockKey)
		// Closing the session releases the lock even if the explicit unlock failed.
		_ = conn.Close()
		_ = lockDB.Close()
	}, nil
}

// postgresMigrations implements dbmate.Driver, mirroring the SQL of dbmate's postgres driver so
// that the dbmate CLI sees the same schema_migrations table.
type postgresMigrations struct {
	url   *url.URL
	table string
	log   io.Writer
}

func newPostgresDriver(cfg dbmate.DriverConfig) dbmate.Driver {
	return &postgresMigrations{url: cfg.DatabaseURL, table: cfg.MigrationsTableName, log: cfg.Log}
}

// Open returns a new pool on every call because dbmate closes what it is given.
func (d *postgresMigrations) Open() (*sql.DB, error) {
	cfg, err := pgconnect.Config(d.url.String())
	if err != nil {
		return nil, err
	}
	return pgconnect.Open(cfg), nil
}

// openMaintenance connects to the "postgres" database, because a database cannot be created,
// dropped or looked up while connected to itself (or before it exists).
func (d *postgresMigrations) openMaintenance() (*sql.DB, error) {
	cfg, err := pgconnect.Config(d.url.String())
	if err != nil {
		return nil, err
	}
	cfg.Database = "postgres"
	return pgconnect.Open(cfg), nil
}

func (d *postgresMigrations) databaseName() string { return dbutil.DatabaseName(d.url) }

func (d *postgresMigrations) DatabaseExists() (bool, error) {
	db, err := d.openMaintenance()
	if err != nil {
		return false, err
	}
	defer db.Close()
	var exists bool
	err = db.QueryRow("SELECT true FROM pg_database WHERE datname = $1", d.databaseName()).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return exists, err
}

func (d *postgresMigrations) CreateDatabase() error {
	return d.execMaintenance("CREATE DATABASE " + pgx.Identifier{d.databaseName()}.Sanitize())
}

func (d *postgresMigrations) DropDatabase() error {
	return d.execMaintenance("DROP DATABASE IF EXISTS " + pgx.Identifier{d.databaseName()}.Sanitize())
}

func (d *postgresMigrations) execMaintenance(stmt string) error {
	db, err := d.openMaintenance()
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}

// DumpSchema is never needed: AutoDumpSchema is off, and dbmate's dump runs a
// pg_dump binary matching the server, which a deployment cannot be assumed to have.
func (d *postgresMigrations) DumpSchema(*sql.DB, ...string) ([]byte, error) {
	return nil, errors.New("dumping the PostgreSQL schema is not supported by the built-in migrator; use the dbmate CLI")
}

func (d *postgresMigrations) MigrationsTableExists(db *sql.DB) (bool, error) {
	schema, table, err := d.tableParts(db)
	if err != nil {
		return false, err
	}
	var one int
	err = db.QueryRow("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
		schema, table).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// CreateMigrationsTable creates the schema only when it is missing, as dbmate does, so a role
// without CREATE on the database still works when the schema exists.
func (d *postgresMigrations) CreateMigrationsTable(db *sql.DB) error {
	schema, table, err := d.tableParts(db)
	if err != nil {
		return err
	}
	create := "CREATE TABLE IF NOT EXISTS " + pgx.Identifier{schema, table}.Sanitize() + " (version varchar primary key)"
	_, err = db.Exec(create)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3F000" { // invalid_schema_name
		return err
	}
	fmt.Fprintf(d.log, "Creating schema: %s\n", schema)
	if _, err := db.Exec("CREATE SCHEMA IF NOT EXISTS " + pgx.Identifier{schema}.Sanitize()); err != nil {
		return err
	}
	_, err = db.Exec(create)
	return err
}

func (d *postgresMigrations) SelectMigrations(db *sql.DB, limit int) (map[string]bool, error) {
	name, err := d.quotedTable(db)
	if err != nil {
		return nil, err
	}
	query := "SELECT version FROM " + name + " ORDER BY version DESC"
	if limit >= 0 {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	return selectVersions(db, query)
}

func (d *postgresMigrations) InsertMigration(tx dbutil.Transaction, version string) error {
	name, err := d.quotedTable(tx)
	if err != nil {
		return err
	}
	_, err = tx.Exec("INSERT INTO "+name+" (version) VALUES ($1)", version)
	return err
}

func (d *postgresMigrations) DeleteMigration(tx dbutil.Transaction, version string) error {
	name, err := d.quotedTable(tx)
	if err != nil {
		return err
	}
	_, err = tx.Exec("DELETE FROM "+name+" WHERE version = $1", version)
	return err
}

// Ping checks the server, not the database: a missing database (3D000) still counts as up,
// as in dbmate, so that `create` can follow.
func (d *postgresMigrations) Ping() error {
	db, err := d.Open()
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.Ping()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
		return nil
	}
	return err
}

func (d *postgresMigrations) QueryError(query string, err error) error {
	var pos int
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		pos = int(pgErr.Position)
	}
	return &dbmate.QueryError{Err: err, Query: query, Position: pos}
}

// tableParts finds where schema_migrations lives the way dbmate does: an explicit
// "schema.table" name, else the first search_path entry of the URL, else current_schema().
func (d *postgresMigrations) tableParts(db dbutil.Transaction) (schema, table string, err error) {
	table = d.table
	if s, t, ok := strings.Cut(table, "."); ok {
		schema, table = s, t
	}
	if schema == "" {
		first, _, _ := strings.Cut(d.url.Query().Get("search_path"), ",")
		schema = strings.TrimSpace(first)
	}
	if schema == "" {
		var current sql.NullString
		if err := db.QueryRow("SELECT current_schema()").Scan(&current); err != nil {
			return "", "", err
		}
		schema = current.String
	}
	if schema == "" {
		schema = "public"
	}
	return schema, table, nil
}

func (d *postgresMigrations) quotedTable(db dbutil.Transaction) (string, error) {
	schema, table, err := d.tableParts(db)
	if err != nil {
		return "", err
	}
	return pgx.Identifier{schema, table}.Sanitize(), nil
}
