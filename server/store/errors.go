package store

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Constraint violations, recognised in either dialect, so that the store can answer
// ErrConflict or ErrNotFound instead of a database error.

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isMissingTable tells a query of a table that does not exist.
func isMissingTable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_ERROR && strings.Contains(se.Error(), "no such table")
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}

// isTransient tells a transaction that lost a race and may simply run again: PostgreSQL's
// deadlock (two bulk changes locking the same images in different orders) and serialization
// failures. SQLite's single writer has neither.
func isTransient(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// WriteFailure says in a few words why the database refused a write, for a readiness answer:
// the classes an operator can act on, and no text of the error itself (it may name files).
func WriteFailure(err error) string {
	if errors.Is(err, ErrFileGone) {
		return ErrFileGone.Error()
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return "the disk is full"
		case sqlite3.SQLITE_READONLY:
			return "the database is read-only"
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return "the database is locked by another process"
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT:
			return "the database file cannot be written"
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100":
			return "the database server's disk is full"
		case pe.Code == "25006":
			return "the database is read-only (a standby?)"
		case strings.HasPrefix(pe.Code, "53"):
			return "the database server is out of resources"
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the database did not confirm in time"
	}
	return "the database refused the last notifications (see the log)"
}
