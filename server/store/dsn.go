package store

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultDatabaseURL is the embedded SQLite database used when DATABASE_URL is unset.
const DefaultDatabaseURL = "sqlite:data/diundashboard.db"

// Dialect names a database engine the store supports.
type Dialect string

const (
	DialectSQLite   Dialect = "sqlite"
	DialectPostgres Dialect = "postgres"
)

// Target is a parsed DATABASE_URL.
type Target struct {
	Dialect Dialect
	// Path is the SQLite database file (Dialect == DialectSQLite).
	Path string
	// Query holds extra SQLite URI parameters the user gave (Dialect == DialectSQLite).
	Query url.Values
	// URL is the PostgreSQL connection URL (Dialect == DialectPostgres), without the pool_*
	// parameters, which are ours, not PostgreSQL's.
	URL string
	// Pool sizes the PostgreSQL connection pool.
	Pool PoolSettings
}

// PoolSettings are the limits of the PostgreSQL connection pool. DATABASE_URL may set them
// with pool_max_open_conns, pool_max_idle_conns and pool_conn_max_lifetime (a Go duration).
type PoolSettings struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
}

// DefaultPoolSettings: 25 connections at most, 5 kept idle, each replaced after 5 minutes.
var DefaultPoolSettings = PoolSettings{MaxOpenConns: 25, MaxIdleConns: 5, ConnMaxLifetime: 5 * time.Minute}

// takePoolSettings reads and removes the pool_* parameters of u.
func takePoolSettings(u *url.URL) (PoolSettings, error) {
	ps := DefaultPoolSettings
	q := u.Query()
	ints := []struct {
		name   string
		target *int
	}{{"pool_max_open_conns", &ps.MaxOpenConns}, {"pool_max_idle_conns", &ps.MaxIdleConns}}
	for _, p := range ints {
		if !q.Has(p.name) {
			continue
		}
		n, err := strconv.Atoi(q.Get(p.name))
		if err != nil || n < 1 || n > 10000 {
			return ps, fmt.Errorf("DATABASE_URL parameter %s=%q must be a whole number from 1 to 10000", p.name, q.Get(p.name))
		}
		*p.target = n
		q.Del(p.name)
	}
	if q.Has("pool_conn_max_lifetime") {
		d, err := time.ParseDuration(q.Get("pool_conn_max_lifetime"))
		if err != nil || d < 0 {
			return ps, fmt.Errorf("DATABASE_URL parameter pool_conn_max_lifetime=%q must be a duration such as 5m (0 keeps connections for ever)", q.Get("pool_conn_max_lifetime"))
		}
		ps.ConnMaxLifetime = d
		q.Del("pool_conn_max_lifetime")
	}
	if ps.MaxIdleConns > ps.MaxOpenConns {
		ps.MaxIdleConns = ps.MaxOpenConns
	}
	u.RawQuery = q.Encode()
	return ps, nil
}

// sqlitePragmas are set on every SQLite connection. WAL lets readers run beside the single
// writer; NORMAL synchronous is durable across process crashes (WAL is fsynced at checkpoints);
// _txlock=immediate takes the write lock at BEGIN so read-then-write transactions never fail
// with SQLITE_BUSY halfway; _time_format=sqlite stores times as sortable text.
var sqlitePragmas = []string{
	"busy_timeout(5000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(1)",
}

// ParseURL recognises the DATABASE_URL schemes the store supports. Errors name what was wrong
// and never contain a password.
func ParseURL(databaseURL string) (Target, error) {
	if strings.TrimSpace(databaseURL) == "" {
		databaseURL = DefaultDatabaseURL
	}
	scheme, rest, ok := strings.Cut(databaseURL, ":")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/\\ ") {
		return Target{}, fmt.Errorf("DATABASE_URL %q has no scheme: use sqlite:path/to/file.db or postgres://user:password@host:5432/dbname", Redact(databaseURL))
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		return parseSQLite(rest)
	case "postgres", "postgresql":
		u, err := url.Parse(databaseURL)
		if err != nil || u.Host == "" {
			return Target{}, fmt.Errorf("DATABASE_URL %q is not a valid PostgreSQL URL: use postgres://user:password@host:5432/dbname?sslmode=disable", Redact(databaseURL))
		}
		pool, err := takePoolSettings(u)
		if err != nil {
			return Target{}, err
		}
		return Target{Dialect: DialectPostgres, URL: u.String(), Pool: pool}, nil
	default:
		return Target{}, fmt.Errorf("DATABASE_URL scheme %q is not supported: use sqlite:path/to/file.db (the default, %s) or postgres://user:password@host:5432/dbname", scheme, DefaultDatabaseURL)
	}
}

// parseSQLite accepts "path", "//path" (sqlite://relative), "///abs/path" and an optional query.
func parseSQLite(rest string) (Target, error) {
	path, rawQuery, _ := strings.Cut(rest, "?")
	switch {
	case strings.HasPrefix(path, "///"):
		path = path[2:]
	case strings.HasPrefix(path, "//"):
		path = path[2:]
	}
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return Target{}, fmt.Errorf("DATABASE_URL SQLite path %q is not valid: %v", path, err)
	}
	path = unescaped
	if path == "" || path == ":memory:" {
		return Target{}, errors.New("DATABASE_URL names no SQLite file: use sqlite:path/to/file.db (an in-memory database cannot be migrated or shared)")
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Target{}, fmt.Errorf("DATABASE_URL SQLite parameters %q are not valid: %v", rawQuery, err)
	}
	return Target{Dialect: DialectSQLite, Path: filepath.Clean(path), Query: query}, nil
}

// SQLiteDSN builds the modernc.org/sqlite data source name for t, with the pragmas every
// connection needs. readOnly adds query_only, for the read pool.
func (t Target) SQLiteDSN(readOnly bool) string {
	q := url.Values{}
	for k, vs := range t.Query {
		q[k] = append([]string(nil), vs...)
	}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + (&url.URL{Path: t.Path}).EscapedPath() + "?" + q.Encode()
}

// EnsureDir creates the directory that will hold the SQLite file.
func (t Target) EnsureDir() error {
	dir := filepath.Dir(t.Path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("cannot create the directory %s for the SQLite database: %w", dir, err)
	}
	return nil
}

// Redact masks the password in a database URL so it can be shown in logs and errors.
func Redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		// Not parseable: mask anything between "://user:" and "@" by hand.
		if i := strings.Index(databaseURL, "://"); i >= 0 {
			rest := databaseURL[i+3:]
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if colon := strings.Index(rest[:at], ":"); colon >= 0 {
					return databaseURL[:i+3] + rest[:colon] + ":xxxxx" + rest[at:]
				}
			}
		}
		return databaseURL
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
