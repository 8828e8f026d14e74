package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A SQLite database holds the dashboard's secrets (tokens, sessions), so its directory, when
// the store creates it, and its files are for the user running the server only.
const (
	sqliteDirMode  fs.FileMode = 0o700
	sqliteFileMode fs.FileMode = 0o600
)

// sqliteCompanions are the files SQLite keeps beside the database, with the same content.
var sqliteCompanions = []string{"-wal", "-shm", "-journal"}

// Warner is implemented by a Store that found, while opening, something the operator should
// fix. The store has no logger of its own: the caller logs each warning.
type Warner interface {
	Warnings() []string
}

// Warnings returns what st found worth a warning while opening (nil when nothing, or when st
// does not tell), for the caller to log.
func Warnings(st Store) []string {
	if w, ok := st.(Warner); ok {
		return w.Warnings()
	}
	return nil
}

// EnsureDir creates the directory that will hold the SQLite file, and any missing parent, for
// this user only. A directory that already exists is left as it is (see restrictSQLiteFiles).
func (t Target) EnsureDir() error {
	dir := filepath.Dir(t.Path)
	if err := os.MkdirAll(dir, sqliteDirMode); err != nil {
		return fmt.Errorf("cannot create the directory %s for the SQLite database: %w", dir, err)
	}
	return nil
}

// ensureSQLiteFile creates the directory and an empty database file, readable by this user
// only, when they are missing: SQLite would create the file 0644 (less the umask), and it
// creates -wal and -shm with the permissions of the database file, so creating the database
// file first decides all three. An empty file is a new database to SQLite.
func (t Target) ensureSQLiteFile() error {
	if err := t.EnsureDir(); err != nil {
		return err
	}
	f, err := os.OpenFile(t.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, sqliteFileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot create the SQLite database %s: %w; check that its directory is writable by this user", t.Path, err)
	}
	return f.Close()
}

// restrictSQLiteFiles takes the group and other permissions off the database file and its
// companions where they have any (files made by an earlier version, a copy, a restore), and
// returns a warning for each, and for a directory that other users can enter, list or write.
// It never fails: a file it cannot change is left to the warning, and one it cannot read to
// the open that follows.
func (t Target) restrictSQLiteFiles() (warnings []string) {
	for _, suffix := range append([]string{""}, sqliteCompanions...) {
		path := t.Path + suffix
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		perm := info.Mode().Perm()
		if perm&^sqliteFileMode == 0 {
			continue
		}
		// perm & 0600 keeps a read-only file read-only.
		narrowed := perm & sqliteFileMode
		if err := os.Chmod(path, narrowed); err != nil {
			warnings = append(warnings, fmt.Sprintf("the SQLite file %s is open to other users (mode %04o) and could not be restricted: %v; it holds tokens and sessions: run chmod go-rwx %s", path, perm, err, path))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("the SQLite file %s was open to other users (mode %04o); it holds tokens and sessions, so it is now %04o", path, perm, narrowed))
	}
	dir := filepath.Dir(t.Path)
	if info, err := os.Stat(dir); err == nil && info.Mode().Perm()&0o007 != 0 {
		warnings = append(warnings, fmt.Sprintf("the directory %s of the SQLite database is open to other users (mode %04o): keep the database in a directory of this user's only, run chmod o-rwx %s", dir, info.Mode().Perm(), dir))
	}
	return warnings
}
