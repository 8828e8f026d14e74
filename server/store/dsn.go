package store

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
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
	u.RawQuery = encodeQuery(q)
	return ps, nil
}

// sqlitePragmas are set on every SQLite connection. WAL lets readers run beside the single
// writer; NORMAL synchronous is durable across process crashes (WAL is fsynced at checkpoints);
// _txlock=immediate takes the write lock at BEGIN so read-then-write transactions never fail
// with SQLITE_BUSY halfway; _time_format=sqlite stores times as sortable text. temp_store
// MEMORY keeps statement journals (which an upsert into a table with triggers writes inside
// a group commit's transaction, to undo one statement alone) in memory: in a file they cost
// a write syscall per page, 11% of the webhook's CPU under load (pprof, loadgen -self -c 32).
var sqlitePragmas = []string{
	"busy_timeout(5000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(1)",
	"temp_store(MEMORY)",
}

// ParseURL recognises the DATABASE_URL schemes the store supports. Errors name what was wrong
// and never contain the value: one that did not parse may hold a password anywhere.
func ParseURL(databaseURL string) (Target, error) {
	t, err := parseURL(databaseURL)
	return t, hideSecrets(err, databaseURL)
}

func parseURL(databaseURL string) (Target, error) {
	if strings.TrimSpace(databaseURL) == "" {
		databaseURL = DefaultDatabaseURL
	}
	scheme, rest, ok := strings.Cut(databaseURL, ":")
	if !ok || !validScheme(scheme) {
		if keyValueForm.MatchString(databaseURL) {
			return Target{}, errors.New("DATABASE_URL looks like key=value connection settings (host=… user=…), which are not accepted (the value is not shown, as it may hold a password): write it as a URL, postgres://user:password@host:5432/dbname?sslmode=disable, or use sqlite:path/to/file.db")
		}
		return Target{}, errors.New("DATABASE_URL has no scheme (the value is not shown, as it may hold a password): use sqlite:path/to/file.db or postgres://user:password@host:5432/dbname")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		// sqlite:file:/data/dd.db puts SQLite's own URI form under our scheme: taken as a path,
		// it made a directory named "file:" in the working directory.
		if len(rest) >= 5 && strings.EqualFold(rest[:5], "file:") {
			rest = rest[5:]
		}
		return parseSQLite(rest)
	case "postgres", "postgresql":
		u, err := url.Parse(databaseURL)
		if problem := postgresURLProblem(rest, u, err); problem != "" {
			return Target{}, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %s (the value is not shown, as it may hold a password); use postgres://user:password@host:5432/dbname?sslmode=disable", problem)
		}
		// Without one, the server picks the database named after the user (often the
		// maintenance database "postgres"): a typo would put the dashboard's tables there.
		if strings.Trim(u.Path, "/") == "" && u.Query().Get("dbname") == "" {
			return Target{}, errors.New("DATABASE_URL names no PostgreSQL database: add it after the host, as in postgres://user:password@host:5432/diundashboard")
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

// keyValueForm matches libpq's "host=db user=x password=…" settings, a common mistake worth
// naming in the error.
var keyValueForm = regexp.MustCompile(`^\s*[A-Za-z_]+\s*=`)

// validScheme reports whether s is a URL scheme (RFC 3986: a letter, then letters, digits,
// "+", "-" or "."), short enough to be one. Only such a scheme is ever quoted in an error: any
// other text before the first colon may be part of a password.
func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// postgresURLProblem says what is wrong with a postgres:// URL in words of its own: Go's parse
// errors quote the part they stumbled on, which may be a password that was not percent-encoded.
func postgresURLProblem(rest string, u *url.URL, err error) string {
	switch {
	case !strings.HasPrefix(rest, "//"):
		return "the scheme must be followed by // and the host"
	case strings.ContainsFunc(rest, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "it contains spaces or control characters (a password with a space must be percent-encoded, as %20)"
	case err != nil:
		return "it does not parse as a URL: check the port and the brackets of an IPv6 address, and percent-encode @ : / ? # % in the user name and password (@ as %40, : as %3A, / as %2F)"
	case u.Host == "":
		return "it names no host"
	}
	return ""
}

// parseSQLite accepts "path", "//path" (sqlite://relative), "///abs/path" and an optional query.
func parseSQLite(rest string) (Target, error) {
	if strings.ContainsFunc(rest, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return Target{}, errors.New("DATABASE_URL SQLite path contains control characters: use sqlite:path/to/file.db")
	}
	path, rawQuery, _ := strings.Cut(rest, "?")
	switch {
	case strings.HasPrefix(path, "///"):
		path = path[2:]
	case strings.HasPrefix(path, "//"):
		path = path[2:]
		// sqlite://user:password@host/… is a server URL under the wrong scheme: taken as a
		// path, it would create a directory named after the password.
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, "@") {
			return Target{}, errors.New("DATABASE_URL names a server (user@host) under a SQLite scheme, but a SQLite URL names a file: use sqlite:path/to/file.db, or postgres://user:password@host:5432/dbname for a PostgreSQL server")
		}
	}
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		// err quotes only the bad escape, such as "%zz".
		return Target{}, fmt.Errorf("DATABASE_URL SQLite path is not valid: %v", err)
	}
	path = unescaped
	if path == "" || path == ":memory:" {
		return Target{}, errors.New("DATABASE_URL names no SQLite file: use sqlite:path/to/file.db (an in-memory database cannot be migrated or shared)")
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Target{}, fmt.Errorf("DATABASE_URL SQLite parameters are not valid: %v", err)
	}
	if strings.EqualFold(query.Get("mode"), "memory") {
		return Target{}, errors.New("DATABASE_URL asks for an in-memory SQLite database (mode=memory), which cannot be migrated or shared: use sqlite:path/to/file.db")
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

// encodeQuery is q.Encode() with spaces as %20: libpq and pgx read a "+" in a connection URL
// literally, so options=-c%20statement_timeout%3D5000 would become "-c+statement_timeout=…".
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}

// describe names the database in messages, without any secret.
func (t Target) describe() string {
	if t.Dialect == DialectSQLite {
		return "the SQLite database " + t.Path
	}
	return "the PostgreSQL database " + Redact(t.URL)
}
