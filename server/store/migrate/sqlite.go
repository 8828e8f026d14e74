package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"
	"github.com/amacneil/dbmate/v2/pkg/dbutil"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver, pure Go
)

// sqliteDriver is the private dbmate driver name for SQLite over modernc.org/sqlite. dbmate's
// own sqlite driver needs cgo (mattn/go-sqlite3), which the static build cannot use.
const sqliteDriver = "diundashboard-sqlite"

func init() {
	dbmate.RegisterDriver(newSQLiteDriver, sqliteDriver)
}

// sqliteLock serialises migrations inside one process. SQLite has no advisory lock, and two
// goroutines applying the same file at once would both try CREATE TABLE.
var sqliteLock sync.Mutex

// NewSQLite returns the migrator of the SQLite file at path. dsn is the modernc.org/sqlite data
// source name the store connects with ("file:path?_pragma=…"); the migrations run with the
// same pragmas except foreign keys, which are off: SQLite's procedure for changing a table's
// schema (https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema
// changes") drops and renames tables that others reference, and with foreign keys on, DROP
// TABLE would first delete every row that references the table (ON DELETE CASCADE). Each
// migration is checked with PRAGMA foreign_key_check before it commits instead.
//
// create, when not nil, makes the file exist (with the permissions the caller wants) before
// Migrate opens it. name is the database in messages.
func NewSQLite(dsn, path, name string, create func() error) (*Migrator, error) {
	u, err := url.Parse(withoutForeignKeys(dsn))
	if err != nil {
		return nil, fmt.Errorf("%s cannot be opened: %v; check DATABASE_URL", name, err)
	}
	files, dir := SQLite.files()
	return &Migrator{
		dialect: SQLite,
		name:    name,
		url:     u,
		driver:  sqliteDriver,
		files:   files,
		dir:     dir,
		advice:  "check that the file is a diundashboard database and that its directory is writable",
		create:  create,
		missing: func() bool {
			_, err := os.Stat(path)
			return errors.Is(err, fs.ErrNotExist)
		},
		lock: func(context.Context) (func(), error) {
			sqliteLock.Lock()
			return sqliteLock.Unlock, nil
		},
	}, nil
}

// withoutForeignKeys returns dsn with foreign_keys(0) in place of any foreign_keys pragma.
// (Adding a second one would not do: modernc.org/sqlite runs the pragmas sorted by text, so
// foreign_keys(1) would come last and win.)
func withoutForeignKeys(dsn string) string {
	head, rawQuery, _ := strings.Cut(dsn, "?")
	var kept []string
	for _, pair := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if value, err := url.QueryUnescape(v); err == nil && k == "_pragma" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(value)), "foreign_keys") {
			continue
		}
		if pair != "" {
			kept = append(kept, pair)
		}
	}
	kept = append(kept, "_pragma="+url.QueryEscape("foreign_keys(0)"))
	return head + "?" + strings.Join(kept, "&")
}

// sqliteMigrations implements dbmate.Driver. Its DatabaseURL is the modernc DSN itself, so
// every connection dbmate opens gets the same pragmas as the store (foreign keys aside).
type sqliteMigrations struct {
	dsn   string
	path  string
	table string
}

func newSQLiteDriver(cfg dbmate.DriverConfig) dbmate.Driver {
	return &sqliteMigrations{
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

func (d *sqliteMigrations) Open() (*sql.DB, error) { return sql.Open("sqlite", d.dsn) }

func (d *sqliteMigrations) DatabaseExists() (bool, error) {
	_, err := os.Stat(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// CreateDatabase relies on SQLite creating the file on first use.
func (d *sqliteMigrations) CreateDatabase() error { return d.Ping() }

func (d *sqliteMigrations) DropDatabase() error {
	err := os.Remove(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// DumpSchema is never needed: AutoDumpSchema is off, and dumping the way the dbmate CLI does
// requires the sqlite3 command-line tool.
func (d *sqliteMigrations) DumpSchema(*sql.DB, ...string) ([]byte, error) {
	return nil, errors.New("dumping the SQLite schema is not supported by the built-in migrator; use the dbmate CLI")
}

func (d *sqliteMigrations) MigrationsTableExists(db *sql.DB) (bool, error) {
	var one int
	err := db.QueryRow("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", d.table).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// CreateMigrationsTable uses the dbmate CLI's layout so an operator can still run
// `dbmate status|up|rollback` against the same file.
func (d *sqliteMigrations) CreateMigrationsTable(db *sql.DB) error {
	_, err := db.Exec("CREATE TABLE IF NOT EXISTS " + d.quotedTable() + " (version varchar(128) primary key)")
	return err
}

func (d *sqliteMigrations) SelectMigrations(db *sql.DB, limit int) (map[string]bool, error) {
	query := "SELECT version FROM " + d.quotedTable() + " ORDER BY version DESC"
	if limit >= 0 {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	return selectVersions(db, query)
}

// InsertMigration records a migration inside its transaction, after its SQL ran. Foreign keys
// are off while migrating (see NewSQLite), so this is where a migration that left a row
// pointing at nothing is caught: the transaction then rolls back.
func (d *sqliteMigrations) InsertMigration(tx dbutil.Transaction, version string) error {
	var table, parent string
	var rowid sql.NullInt64
	var fk int
	err := tx.QueryRow("PRAGMA foreign_key_check").Scan(&table, &rowid, &parent, &fk)
	switch {
	case err == nil:
		return fmt.Errorf("migration %s leaves rows of %s (rowid %d) that reference no row of %s; it was rolled back", version, table, rowid.Int64, parent)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("checking the foreign keys after migration %s: %w", version, err)
	}
	_, err = tx.Exec("INSERT INTO "+d.quotedTable()+" (version) VALUES (?)", version)
	return err
}

func (d *sqliteMigrations) DeleteMigration(tx dbutil.Transaction, version string) error {
	_, err := tx.Exec("DELETE FROM "+d.quotedTable()+" WHERE version = ?", version)
	return err
}

func (d *sqliteMigrations) Ping() error {
	db, err := d.Open()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Ping()
}

func (d *sqliteMigrations) QueryError(query string, err error) error {
	return &dbmate.QueryError{Err: err, Query: query}
}

// quotedTable quotes the whole name as one identifier, as dbmate's sqlite driver does.
func (d *sqliteMigrations) quotedTable() string {
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
