// Package migrate applies the schema migrations embedded in the binary (sql/<dialect>/
// migrations, in dbmate's format) to a database, as riverqueue/river's rivermigrate does for
// river. It runs dbmate with drivers of its own (sqlite.go over modernc.org/sqlite, postgres.go
// over pgx), so that the binary needs neither cgo nor a second PostgreSQL client, and writes
// the schema_migrations table the dbmate CLI reads.
//
// Package store is its only caller (store.Migrate, store.MigrationStatus, and Open's check
// that the schema is one this binary knows): the store parses DATABASE_URL, and masks the
// passwords in every error, before and after this package runs.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/amacneil/dbmate/v2/pkg/dbmate"

	schema "diundashboard/sql"
)

// Dialect names a database engine whose migrations the binary embeds.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// files returns the embedded migrations of d and their directory inside that file system.
func (d Dialect) files() (fs.FS, string) {
	if d == Postgres {
		return schema.Postgres, schema.PostgresDir
	}
	return schema.SQLite, schema.SQLiteDir
}

// Known returns the version (the leading digits of the file name) of every migration embedded
// for d, oldest first.
func Known(d Dialect) []string {
	files, dir := d.files()
	return versionsIn(files, dir)
}

func versionsIn(files fs.FS, dir string) []string {
	names, _ := fs.Glob(files, path.Join(dir, "*.sql")) // the pattern is valid: no error
	versions := make([]string, 0, len(names))
	for _, name := range names {
		if v := versionOf(path.Base(name)); v != "" {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	return versions
}

// versionOf is dbmate's version of a migration file: its leading digits.
func versionOf(fileName string) string {
	end := strings.IndexFunc(fileName, func(r rune) bool { return r < '0' || r > '9' })
	if end <= 0 {
		return ""
	}
	return fileName[:end]
}

// ErrNewerSchema is what a NewerSchemaError matches with errors.Is.
var ErrNewerSchema = errors.New("the database schema is newer than this version of diundashboard")

// NewerSchemaError refuses a database that a newer version of diundashboard migrated: its
// schema_migrations names migrations that this binary does not embed. An older binary that
// served it would write through a schema it does not understand (a rollback after an upgrade).
type NewerSchemaError struct {
	// Database names the database, without secrets ("the SQLite database data/dd.db").
	Database string
	// Versions are the applied migrations this binary does not know, oldest first.
	Versions []string
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("%s was migrated by a newer version of diundashboard: it has migrations this version does not know (%s), "+
		"and this version stops rather than write through a schema it does not understand. "+
		"Run the newer version again, or, to go back to this version, restore the backup taken before the upgrade "+
		"(a copy of the database, or an export made by this version, imported into a new, empty database: "+
		"this version refuses to write into this one, import --force included)",
		e.Database, strings.Join(e.Versions, ", "))
}

func (e *NewerSchemaError) Is(target error) bool { return target == ErrNewerSchema }

// Check returns a NewerSchemaError when applied (the versions in a database's
// schema_migrations) holds any that d's embedded migrations do not; database names it in the
// message.
func Check(d Dialect, database string, applied []string) error {
	return checkApplied(Known(d), database, applied)
}

func checkApplied(known []string, database string, applied []string) error {
	var unknown []string
	for _, v := range applied {
		if !slices.Contains(known, v) {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return &NewerSchemaError{Database: database, Versions: unknown}
}

// Migrator applies one dialect's embedded migrations to one database. Make one with NewSQLite
// or NewPostgres.
type Migrator struct {
	dialect Dialect
	// name is the database in messages, without secrets.
	name string
	// url is what dbmate hands the driver named driver.
	url    *url.URL
	driver string
	files  fs.FS
	dir    string
	// advice ends the message of a failed migration: what to check, for this dialect.
	advice string
	// create, when set, makes the database exist before Migrate (SQLite: the file, 0600).
	create func() error
	// missing, when set, reports a database that does not exist yet, so that Status does not
	// create it by looking.
	missing func() bool
	// lock keeps other migrators of the same database out until release is called. On
	// PostgreSQL it is also the first connection, so a server that does not answer is
	// explained there.
	lock func(ctx context.Context) (release func(), err error)
}

// dbmate configures dbmate with the embedded migrations and this package's driver. dbmate is
// silenced because the caller reports the outcome, and AutoDumpSchema is off because a running
// server has no business writing schema.sql.
func (m *Migrator) dbmate() *dbmate.DB {
	db := dbmate.New(m.url)
	db.DriverName = m.driver
	db.FS = m.files
	db.MigrationsDir = []string{m.dir}
	db.AutoDumpSchema = false
	db.Strict = true
	db.Verbose = false
	db.Log = io.Discard
	return db
}

// Status lists a database's migrations.
type Status struct {
	// Applied and Pending are file names of embedded migrations, oldest first.
	Applied, Pending []string
	// Unknown are applied versions that no embedded migration has: a newer version of
	// diundashboard migrated the database (see NewerSchemaError).
	Unknown []string
}

// Status reads which migrations the database has. It creates nothing: a missing SQLite file
// has every migration pending.
func (m *Migrator) Status(ctx context.Context) (Status, error) {
	if err := ctx.Err(); err != nil {
		return Status{}, err
	}
	if m.missing != nil && m.missing() {
		files, dir := m.files, m.dir
		names, _ := fs.Glob(files, path.Join(dir, "*.sql"))
		for i := range names {
			names[i] = path.Base(names[i])
		}
		return Status{Pending: names}, nil
	}
	release, err := m.lock(ctx)
	if err != nil {
		return Status{}, err
	}
	defer release()
	return m.status()
}

// status reads schema_migrations through dbmate's driver; the caller holds the lock.
func (m *Migrator) status() (Status, error) {
	db := m.dbmate()
	migrations, err := db.FindMigrations()
	if err != nil {
		return Status{}, fmt.Errorf("reading the migration status of %s: %w", m.name, err)
	}
	var st Status
	for _, mig := range migrations {
		if mig.Applied {
			st.Applied = append(st.Applied, mig.FileName)
		} else {
			st.Pending = append(st.Pending, mig.FileName)
		}
	}
	applied, err := m.appliedVersions(db)
	if err != nil {
		return Status{}, fmt.Errorf("reading the migration status of %s: %w", m.name, err)
	}
	if err := checkApplied(versionsIn(m.files, m.dir), m.name, applied); err != nil {
		st.Unknown = err.(*NewerSchemaError).Versions
	}
	return st, nil
}

// appliedVersions reads every version in schema_migrations (none when the table is missing).
// dbmate's FindMigrations reports only the versions that have a file.
func (m *Migrator) appliedVersions(db *dbmate.DB) ([]string, error) {
	drv, err := db.Driver()
	if err != nil {
		return nil, err
	}
	sqlDB, err := drv.Open()
	if err != nil {
		return nil, err
	}
	defer sqlDB.Close()
	exists, err := drv.MigrationsTableExists(sqlDB)
	if err != nil || !exists {
		return nil, err
	}
	set, err := drv.SelectMigrations(sqlDB, -1)
	if err != nil {
		return nil, err
	}
	versions := make([]string, 0, len(set))
	for v := range set {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	return versions, nil
}

// Migrate brings the database to the newest embedded schema. Applied migrations are skipped,
// so calling it at every start is cheap. A database that a newer version migrated is refused
// with a NewerSchemaError, before anything is applied.
func (m *Migrator) Migrate(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.create != nil {
		if err := m.create(); err != nil {
			return err
		}
	}
	release, err := m.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	st, err := m.status()
	if err != nil {
		return err
	}
	if len(st.Applied) == 0 {
		// None of ours: another application's, even when its schema_migrations has versions
		// (another dbmate user), which would otherwise read as a newer DiunDashboard's.
		if err := m.refuseForeign(); err != nil {
			return err
		}
	}
	if len(st.Unknown) > 0 {
		return &NewerSchemaError{Database: m.name, Versions: st.Unknown}
	}
	if len(st.Pending) == 0 {
		return nil
	}
	if err := m.dbmate().Migrate(); err != nil {
		return fmt.Errorf("applying database migrations to %s failed: %w; %s", m.name, err, m.advice)
	}
	return nil
}

// ErrForeignDatabase: the database holds another application's tables and none of
// DiunDashboard's migrations. Migrate refuses it before creating anything.
var ErrForeignDatabase = errors.New("the database holds tables of another application")

// refuseForeign returns ErrForeignDatabase, naming some of the tables, when a database that
// no migration of this binary touched already has tables: DATABASE_URL (or copy's --to) names
// another application's database, and migrating it would add a dozen tables among its own, or
// stop halfway on a name they share (settings, events, sessions).
func (m *Migrator) refuseForeign() error {
	drv, err := m.dbmate().Driver()
	if err != nil {
		return err
	}
	db, err := drv.Open()
	if err != nil {
		return err
	}
	defer db.Close()
	q := `SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
	      AND name <> 'schema_migrations' ORDER BY name LIMIT 6`
	if m.dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
		     AND table_name <> 'schema_migrations' ORDER BY table_name LIMIT 6`
	}
	rows, err := db.Query(q)
	if err != nil {
		return fmt.Errorf("listing the tables of %s: %w", m.name, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return fmt.Errorf("%w (%s) and none of DiunDashboard's migrations: %s is not a DiunDashboard database; point DATABASE_URL (or --to) at a new, empty database, or at one DiunDashboard created; no table was created in it",
		ErrForeignDatabase, strings.Join(names, ", "), m.name)
}
