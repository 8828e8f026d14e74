package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Notifier is the optional capability of a store whose database several processes share:
// short payloads sent by any of them reach all of them. *Postgres has it (LISTEN/NOTIFY);
// SQLite, which one process owns, does not. Discover it with a type assertion.
type Notifier interface {
	// Notify sends payload to every listener, the sender's own included. Payloads are hints:
	// one may be lost when a listener is reconnecting.
	Notify(ctx context.Context, payload string) error
	// Listen subscribes on a connection of its own, calls ready once subscribed, then calls
	// handle with every payload, in order, until ctx ends (it then returns ctx.Err()) or the
	// connection fails (it returns why; call it again to reconnect).
	Listen(ctx context.Context, ready func(), handle func(payload string)) error
}

// LiveChannel is the PostgreSQL notification channel of live updates.
const LiveChannel = "diundashboard_live"

// listenProbeInterval is how long a listener waits in silence before it checks that its
// connection still answers, so that a connection a network dropped without a word (no RST)
// is noticed within about half a minute, not after TCP keepalive gives up many minutes later.
var listenProbeInterval = 30 * time.Second

var _ Notifier = (*Postgres)(nil)

// Notify runs pg_notify on the pool; it is delivered when it commits, at once.
func (p *Postgres) Notify(ctx context.Context, payload string) error {
	if _, err := p.writeDB.ExecContext(ctx, "SELECT pg_notify($1, $2)", LiveChannel, payload); err != nil {
		return p.unreachable(err)
	}
	return nil
}

// Listen takes a connection from the pool for as long as it listens. The connection is
// closed, never returned to the pool, when Listen ends, so that no pooled connection keeps
// collecting notifications nobody reads.
//
// After a database restart the pool may hold connections whose sessions are gone: one that
// fails its LISTEN is discarded and another taken, up to the number the pool keeps idle.
func (p *Postgres) Listen(ctx context.Context, ready func(), handle func(payload string)) error {
	var err error
	for range p.maxIdle + 1 {
		var subscribed bool
		subscribed, err = p.listenOnce(ctx, ready, handle)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if subscribed || errors.Is(err, errNoConn) {
			break
		}
	}
	return p.unreachable(err)
}

// errNoConn marks a failure to get a connection at all, which another try would repeat.
var errNoConn = errors.New("no connection")

// listenOnce listens on one connection; subscribed tells whether its LISTEN succeeded.
func (p *Postgres) listenOnce(ctx context.Context, ready func(), handle func(string)) (subscribed bool, err error) {
	conn, err := p.writeDB.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errNoConn, err)
	}
	defer conn.Close()
	_ = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			err = fmt.Errorf("the PostgreSQL driver connection is a %T, not a pgx connection", dc)
		} else {
			subscribed, err = listenOn(ctx, sc.Conn(), ready, handle)
		}
		// ErrBadConn makes database/sql close the connection instead of pooling it.
		return driver.ErrBadConn
	})
	return subscribed, err
}

// listenSQL subscribes a session. It is also the probe after silence: LISTEN is idempotent,
// and pg_stat_activity then keeps showing the session for what it is.
var listenSQL = "LISTEN " + pgx.Identifier{LiveChannel}.Sanitize()

func listenOn(ctx context.Context, c *pgx.Conn, ready func(), handle func(string)) (subscribed bool, err error) {
	if _, err := c.Exec(ctx, listenSQL); err != nil {
		return false, err
	}
	if ready != nil {
		ready()
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, listenProbeInterval)
		n, err := c.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if n.Channel == LiveChannel {
				handle(n.Payload)
			}
		case ctx.Err() != nil:
			return true, ctx.Err()
		case wctx.Err() != nil && !c.IsClosed():
			// Silence: make sure the server is still there.
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := c.Exec(pctx, listenSQL)
			cancel()
			if err != nil {
				return true, fmt.Errorf("the listening connection stopped answering: %w", err)
			}
		default:
			return true, err
		}
	}
}
