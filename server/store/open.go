package store

import (
	"context"
	"fmt"
)

// Open connects to the database that databaseURL names, choosing the implementation by its
// scheme: sqlite:, sqlite3: or file: for SQLite (the default, DefaultDatabaseURL, when empty),
// postgres:// or postgresql:// for PostgreSQL. It does not migrate: call Migrate first.
// Errors never contain a password (see Redact).
func Open(ctx context.Context, databaseURL string) (Store, error) {
	if databaseURL == "" {
		databaseURL = DefaultDatabaseURL
	}
	t, err := ParseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	// NewSQLite and NewPostgres hide the secrets of their own errors.
	switch t.Dialect {
	case DialectSQLite:
		return NewSQLite(ctx, databaseURL)
	case DialectPostgres:
		return NewPostgres(ctx, databaseURL)
	}
	return nil, fmt.Errorf("unsupported dialect %q", t.Dialect)
}
