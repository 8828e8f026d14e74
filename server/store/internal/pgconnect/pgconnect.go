// Package pgconnect is the one way DiunDashboard connects to PostgreSQL. The store's pool (and
// so its LISTEN connection, which it takes from that pool), the migrator's connections and the
// migration lock all take their settings from Config, so they share one parser and one connect
// timeout, and a connection that fails is explained the same way wherever it happens (Explain).
//
// Errors from this package may quote what pgx or the server said, which can include the
// password: package store masks every error it returns (hideSecrets), so nothing here is shown
// as it is.
package pgconnect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// DefaultConnectTimeout bounds each connection attempt when the URL sets no connect_timeout:
// without it a firewalled host would hang start-up, or a request, for minutes.
const DefaultConnectTimeout = 5 * time.Second

// Config parses a postgres:// URL with pgx's own parser, as pgx will connect with it, and
// applies DefaultConnectTimeout. Its error is pgx's (see ParseReason).
func Config(databaseURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	return cfg, nil
}

// ParseReason is what pgx found wrong with a URL, without the connection string that pgx
// quotes first (the caller shows it redacted, if at all). It is not masked: see the package
// comment.
func ParseReason(err error) string {
	msg := err.Error()
	var perr *pgconn.ParseConfigError
	if errors.As(err, &perr) {
		if i := strings.Index(msg, "`: "); i >= 0 {
			msg = msg[i+3:]
		}
	}
	return msg
}

// Open returns a connection pool over cfg. It connects lazily, on first use.
func Open(cfg *pgx.ConnConfig) *sql.DB { return stdlib.OpenDB(*cfg) }

// Connect opens a one-connection pool and pins its connection, for work that needs a session
// of its own (the migration lock). A failure is explained (see Explain).
func Connect(ctx context.Context, cfg *pgx.ConnConfig) (*sql.DB, *sql.Conn, error) {
	db := Open(cfg)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		err = conn.PingContext(ctx)
		if err != nil {
			_ = conn.Close()
		}
	}
	if err != nil {
		_ = db.Close()
		return nil, nil, Explain(ctx, cfg, err)
	}
	return db, conn, nil
}

// Error shows an explanation whose wording the caller chose, and keeps the cause for
// errors.Is and errors.As.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Explain turns the failure of a first contact with the server into advice: a refused or
// silent server, a missing database, a refused user or password. ctx is the context the
// attempt ran under, to tell a caller that gave up from a server that did not answer.
func Explain(ctx context.Context, cfg *pgx.ConnConfig, err error) error {
	addr := Address(cfg)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		var msg string
		switch pgErr.Code {
		case "3D000": // invalid_catalog_name
			msg = fmt.Sprintf("database %q does not exist on the PostgreSQL server at %s; create it (for example: createdb %s) or fix the database name in DATABASE_URL", cfg.Database, addr, cfg.Database)
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			msg = fmt.Sprintf("PostgreSQL at %s rejected user %q: %s; check the user and password in DATABASE_URL and the server's pg_hba.conf", addr, cfg.User, pgErr.Message)
		default:
			msg = fmt.Sprintf("PostgreSQL at %s refused the connection: %s (SQLSTATE %s); check DATABASE_URL and the server's settings", addr, pgErr.Message, pgErr.Code)
		}
		return &Error{Msg: msg, Err: err}
	}
	return &Error{
		Msg: fmt.Sprintf("cannot reach PostgreSQL at %s: %s; check that the server is running and DATABASE_URL is right", addr, connectReason(ctx, cfg, err)),
		Err: err,
	}
}

// connectReason picks the most telling part of a connection failure; pgx's full message
// repeats the user and database around it.
func connectReason(ctx context.Context, cfg *pgx.ConnConfig, err error) string {
	if ctx.Err() != nil {
		return "gave up: " + ctx.Err().Error()
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return fmt.Sprintf("no answer within %s (connect_timeout)", cfg.ConnectTimeout)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Error()
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) && connErr.Unwrap() != nil {
		return connErr.Unwrap().Error()
	}
	return err.Error()
}

// Address is where cfg connects, for messages: host:port, or a Unix socket's directory.
func Address(cfg *pgx.ConnConfig) string {
	if strings.HasPrefix(cfg.Host, "/") {
		return fmt.Sprintf("%s (Unix socket, port %d)", cfg.Host, cfg.Port)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}
