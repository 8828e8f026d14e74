package store

import (
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
	"github.com/jackc/pgx/v5/stdlib"
)

// dbmatePostgresDriver is the private dbmate driver name for PostgreSQL over pgx. dbmate's own
// postgres driver brings lib/pq, a second PostgreSQL client beside the pgx the store uses.
const dbmatePostgresDriver = "diundashboard-postgres"

// defaultConnectTimeout bounds each connection attempt when DATABASE_URL sets no
// connect_timeout: without it a firewalled host would hang start-up for minutes.
const defaultConnectTimeout = 5 * time.Second

func init() {
	dbmate.RegisterDriver(newPostgresMigrator, dbmatePostgresDriver)
}

// postgresMigrator implements dbmate.Driver, mirroring the SQL of dbmate's postgres driver so
// that the dbmate CLI sees the same schema_migrations table.
type postgresMigrator struct {
	url   *url.URL
	table string
	log   io.Writer
}

func newPostgresMigrator(cfg dbmate.DriverConfig) dbmate.Driver {
	return &postgresMigrator{url: cfg.DatabaseURL, table: cfg.MigrationsTableName, log: cfg.Log}
}

// pgConnConfig parses a PostgreSQL URL for pgx and applies the default connect timeout.
func pgConnConfig(databaseURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, nil
}

// Open returns a new pool on every call because dbmate closes what it is given.
func (d *postgresMigrator) Open() (*sql.DB, error) {
	cfg, err := pgConnConfig(d.url.String())
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg), nil
}

// openMaintenance connects to the "postgres" database, because a database cannot be created,
// dropped or looked up while connected to itself (or before it exists).
func (d *postgresMigrator) openMaintenance() (*sql.DB, error) {
	cfg, err := pgConnConfig(d.url.String())
	if err != nil {
		return nil, err
	}
	cfg.Database = "postgres"
	return stdlib.OpenDB(*cfg), nil
}

func (d *postgresMigrator) databaseName() string { return dbutil.DatabaseName(d.url) }

func (d *postgresMigrator) DatabaseExists() (bool, error) {
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

func (d *postgresMigrator) CreateDatabase() error {
	return d.execMaintenance("CREATE DATABASE " + pgx.Identifier{d.databaseName()}.Sanitize())
}

func (d *postgresMigrator) DropDatabase() error {
	return d.execMaintenance("DROP DATABASE IF EXISTS " + pgx.Identifier{d.databaseName()}.Sanitize())
}

func (d *postgresMigrator) execMaintenance(stmt string) error {
	db, err := d.openMaintenance()
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}

// DumpSchema is never needed: Migrate sets AutoDumpSchema to false, and dbmate's dump runs a
// pg_dump binary matching the server, which a deployment cannot be assumed to have.
func (d *postgresMigrator) DumpSchema(*sql.DB, ...string) ([]byte, error) {
	return nil, errors.New("dumping the PostgreSQL schema is not supported by the built-in migrator; use the dbmate CLI")
}

func (d *postgresMigrator) MigrationsTableExists(db *sql.DB) (bool, error) {
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
func (d *postgresMigrator) CreateMigrationsTable(db *sql.DB) error {
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

func (d *postgresMigrator) SelectMigrations(db *sql.DB, limit int) (map[string]bool, error) {
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

func (d *postgresMigrator) InsertMigration(tx dbutil.Transaction, version string) error {
	name, err := d.quotedTable(tx)
	if err != nil {
		return err
	}
	_, err = tx.Exec("INSERT INTO "+name+" (version) VALUES ($1)", version)
	return err
}

func (d *postgresMigrator) DeleteMigration(tx dbutil.Transaction, version string) error {
	name, err := d.quotedTable(tx)
	if err != nil {
		return err
	}
	_, err = tx.Exec("DELETE FROM "+name+" WHERE version = $1", version)
	return err
}

// Ping checks the server, not the database: a missing database (3D000) still counts as up,
// as in dbmate, so that `create` can follow.
func (d *postgresMigrator) Ping() error {
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

func (d *postgresMigrator) QueryError(query string, err error) error {
	var pos int
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		pos = int(pgErr.Position)
	}
	return &dbmate.QueryError{Err: err, Query: query, Position: pos}
}

// tableParts finds where schema_migrations lives the way dbmate does: an explicit
// "schema.table" name, else the first search_path entry of the URL, else current_schema().
func (d *postgresMigrator) tableParts(db dbutil.Transaction) (schema, table string, err error) {
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

func (d *postgresMigrator) quotedTable(db dbutil.Transaction) (string, error) {
	schema, table, err := d.tableParts(db)
	if err != nil {
		return "", err
	}
	return pgx.Identifier{schema, table}.Sanitize(), nil
}
