package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"diundashboard/server"
	"diundashboard/server/store"
	"diundashboard/server/webhook"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// runSelf measures, one after the other on fresh databases of the same dialect: the store
// alone, (SQLite) the reference writer, a handler that decodes JSON and stores nothing, and
// the real webhook.
func runSelf(ctx context.Context, o options) error {
	fmt.Printf("loadgen -self: %d notifications over %d pairs, %d concurrent, %s, GOMAXPROCS %d\n",
		o.n, o.pairs, o.concurrency, dialectName(o.databaseURL), runtime.GOMAXPROCS(0))

	st, cleanup, err := scratchStore(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	notes := make([]store.Notification, o.n)
	for i := range notes {
		if notes[i], err = webhook.Decode(body(i, o)); err != nil {
			return err
		}
	}
	storeRes := run(o, func(_, i int) error {
		_, err := st.Record(ctx, notes[i])
		return err
	})
	cleanup()
	fmt.Println(storeRes.line("store.Record"))

	// The yardstick (SQLite only): a bare writer of the same rows, batches of 8 and of 64.
	var refRes result
	if o.databaseURL == "" {
		for _, size := range []int{1, 8, 64} {
			r, err := runReference(ctx, notes, size, false)
			if err != nil {
				return err
			}
			fmt.Println(r.line(fmt.Sprintf("reference, %d/tx", size)))
			if size == 8 {
				refRes = r
			}
		}
		r, err := runReference(ctx, notes, 8, true)
		if err != nil {
			return err
		}
		fmt.Println(r.line("reference bare, 8/tx"))
	}

	u, stop, err := listen(decodeOnlyHandler())
	if err != nil {
		return err
	}
	nullRes, _ := sendHTTP(u, "", o)
	stop()
	fmt.Println(nullRes.line("HTTP, decode only"))

	st, cleanup, err = scratchStore(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	const token = "loadgen"
	srv := server.New(st, server.Options{WebhookToken: token, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	u, stop, err = listen(srv)
	if err != nil {
		return err
	}
	hookRes, _ := sendHTTP(u, token, o)
	stop()
	cleanup()
	fmt.Println(hookRes.line("HTTP webhook"))

	fmt.Printf("webhook / store.Record = %.2f; webhook / decode-only handler = %.2f",
		hookRes.rate()/storeRes.rate(), hookRes.rate()/nullRes.rate())
	if refRes.n > 0 {
		fmt.Printf("; webhook / reference (8/tx) = %.2f", hookRes.rate()/refRes.rate())
	}
	fmt.Println()
	if len(hookRes.failures)+len(storeRes.failures) > 0 {
		return fmt.Errorf("some notifications failed")
	}
	return nil
}

func dialectName(adminURL string) string {
	if adminURL == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// scratchStore opens a migrated, empty store that cleanup removes: a SQLite file in a temp
// dir, or a PostgreSQL database created next to adminURL.
func scratchStore(ctx context.Context, adminURL string) (store.Store, func(), error) {
	var dbURL string
	var drop func()
	if adminURL == "" {
		dir, err := os.MkdirTemp("", "loadgen")
		if err != nil {
			return nil, nil, err
		}
		dbURL = "sqlite:" + filepath.Join(dir, "load.db")
		drop = func() { _ = os.RemoveAll(dir) }
	} else {
		var err error
		if dbURL, drop, err = createDatabase(ctx, adminURL); err != nil {
			return nil, nil, err
		}
	}
	if err := store.Migrate(ctx, dbURL); err != nil {
		drop()
		return nil, nil, err
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { _ = st.Close(); drop() }, nil
}

// createDatabase makes a scratch database next to adminURL; its URL keeps adminURL's
// parameters, pool_* included, so that a run can try other pool sizes.
func createDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	t, err := store.ParseURL(adminURL)
	if err != nil {
		return "", nil, err
	}
	admin, err := sql.Open("pgx", t.URL)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("loadgen_%d", os.Getpid())
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+ident); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("cannot reach PostgreSQL at %s: %w", store.Redact(adminURL), err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+ident); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
		admin.Close()
	}, nil
}
