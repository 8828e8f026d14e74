package store

import (
	"context"
	"fmt"

	"diundashboard/server/store/migrate"
)

// ErrNewerSchema: the database was migrated by a newer version of diundashboard, with
// migrations this binary does not know (see migrate.NewerSchemaError for the message).
// Migrate, MigrationStatus and Open refuse such a database; compare with errors.Is.
var ErrNewerSchema = migrate.ErrNewerSchema

// ErrForeignDatabase: the database holds another application's tables and none of
// DiunDashboard's migrations. Migrate refuses it and changes nothing; compare with errors.Is.
var ErrForeignDatabase = migrate.ErrForeignDatabase

// Migrate brings the database named by databaseURL (a DATABASE_URL, empty for the default)
// to the newest schema embedded in the binary. Applied migrations are skipped, so calling it
// at every start is cheap. On PostgreSQL, concurrent callers (replicas starting together)
// wait for one another. A database that a newer version migrated is refused (ErrNewerSchema)
// and left as it is. Errors say what to fix and never contain a password.
//
// The runner and its dbmate drivers are package migrate; this is its entry point.
func Migrate(ctx context.Context, databaseURL string) error {
	return hideSecrets(migrateDB(ctx, databaseURL), databaseURL)
}

func migrateDB(ctx context.Context, databaseURL string) error {
	t, err := parseURL(databaseURL)
	if err != nil {
		return err
	}
	m, err := t.migrator()
	if err != nil {
		return err
	}
	return m.Migrate(ctx)
}

// MigrationStatus lists the embedded migration files (such as "20261125000001_initial.sql")
// already applied to the database and those still pending. It creates nothing: a missing
// SQLite file reports every migration as pending. A database that a newer version migrated
// gives its lists and an error that wraps ErrNewerSchema. Errors never contain a password.
func MigrationStatus(ctx context.Context, databaseURL string) (applied, pending []string, err error) {
	applied, pending, err = migrationStatus(ctx, databaseURL)
	return applied, pending, hideSecrets(err, databaseURL)
}

func migrationStatus(ctx context.Context, databaseURL string) (applied, pending []string, err error) {
	t, err := parseURL(databaseURL)
	if err != nil {
		return nil, nil, err
	}
	m, err := t.migrator()
	if err != nil {
		return nil, nil, err
	}
	st, err := m.Status(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(st.Unknown) > 0 {
		err = &migrate.NewerSchemaError{Database: t.describe(), Versions: st.Unknown}
	}
	return st.Applied, st.Pending, err
}

// migrator returns the migrator of t's database; each dialect's file makes its own.
func (t Target) migrator() (*migrate.Migrator, error) {
	switch t.Dialect {
	case DialectSQLite:
		return t.sqliteMigrator()
	case DialectPostgres:
		return t.postgresMigrator()
	}
	return nil, fmt.Errorf("database dialect %q is not supported", t.Dialect)
}
