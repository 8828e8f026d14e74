package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	"github.com/amacneil/dbmate/v2/pkg/dbutil"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver, pure Go
)

// dbmateSQLiteDriver is the private dbmate driver name for SQLite over modernc.org/sqlite.
// dbmate's own sqlite driver needs cgo (mattn/go-sqlite3), which the static build cannot use.
const dbmateSQLiteDriver = "diundashboard-sqlite"

func init() {
	dbmate.RegisterDriver(newSQLiteMigrator, dbmateSQLiteDriver)
}

// sqliteMigrator implements dbmate.Driver. Its DatabaseURL is the modernc DSN itself
// ("file:path?_pragma=…"), so every connection dbmate opens gets the same pragmas as the store.
type sqliteMigrator struct {
	dsn   string
	path  string
	table string
}

func newSQLiteMigrator(cfg dbmate.DriverConfig) dbmate.Driver {
	return &sqliteMigrator{
		dsn:   cfg.DatabaseURL.String(),
		path:  sqliteFileOf(cfg.DatabaseURL),
		table: cfg.MigrationsTableName,
	}
}

// sqliteFileOf recovers the file path from a "file:" DSN: relative paths parse as opaque,
// absolute ones as a path, and both are percent-encoded.
func sqliteFileOf(u *url.URL) string {
	p := u.Opaque
	if p == "" {
		p = u.Path
	}
	if unescaped, err := url.PathUnescape(p); err == nil {
		p = unescaped
	}
	return p
}

func (d *sqliteMigrator) Open() (*sql.DB, error) { return sql.Open("sqlite", d.dsn) }

func (d *sqliteMigrator) DatabaseExists() (bool, error) {
	_, err := os.Stat(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// CreateDatabase relies on SQLite creating the file on first use.
func (d *sqliteMigrator) CreateDatabase() error { return d.Ping() }

func (d *sqliteMigrator) DropDatabase() error {
	err := os.Remove(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// DumpSchema is never needed: Migrate sets AutoDumpSchema to false, and dumping the way the
// dbmate CLI does requires the sqlite3 command-line tool.
func (d *sqliteMigrator) DumpSchema(*sql.DB, ...string) ([]byte, error) {
	return nil, errors.New("dumping the SQLite schema is not supported by the built-in migrator; use the dbmate CLI")
}

func (d *sqliteMigrator) MigrationsTableExists(db *sql.DB) (bool, error) {
	var one int
	err := db.QueryRow("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", d.table).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// CreateMigrationsTable uses the dbmate CLI's layout so an operator can still run
// `dbmate status|up|rollback` against the same file.
func (d *sqliteMigrator) CreateMigrationsTable(db *sql.DB) error {
	_, err := db.Exec("CREATE TABLE IF NOT EXISTS " + d.quotedTable() + " (version varchar(128) primary key)")
	return err
}

func (d *sqliteMigrator) SelectMigrations(db *sql.DB, limit int) (map[string]bool, error) {
	query := "SELECT version FROM " + d.quotedTable() + " ORDER BY version DESC"
	if limit >= 0 {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	return selectVersions(db, query)
}

func (d *sqliteMigrator) InsertMigration(tx dbutil.Transaction, version string) error {
	_, err := tx.Exec("INSERT INTO "+d.quotedTable()+" (version) VALUES (?)", version)
	return err
}

func (d *sqliteMigrator) DeleteMigration(tx dbutil.Transaction, version string) error {
	_, err := tx.Exec("DELETE FROM "+d.quotedTable()+" WHERE version = ?", version)
	return err
}

func (d *sqliteMigrator) Ping() error {
	db, err := d.Open()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Ping()
}

func (d *sqliteMigrator) QueryError(query string, err error) error {
	return &dbmate.QueryError{Err: err, Query: query}
}

// quotedTable quotes the whole name as one identifier, as dbmate's sqlite driver does.
func (d *sqliteMigrator) quotedTable() string {
	return `"` + strings.ReplaceAll(d.table, `"`, `""`) + `"`
}

// selectVersions reads a one-column list of migration versions; both drivers share it.
func selectVersions(db *sql.DB, query string) (map[string]bool, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	versions := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		versions[v] = true
	}
	return versions, rows.Err()
}
