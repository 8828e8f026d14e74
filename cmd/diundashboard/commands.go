package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"diundashboard/server"
	"diundashboard/server/retention"
	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"
)

// stdin is what import reads; tests replace it.
var stdin io.Reader = os.Stdin

// commandFlags are the flags that only one command takes.
type commandFlags struct {
	DryRun   bool // prune
	Rotate   bool // token
	Tokens   bool // sessions revoke-all
	Force    bool // copy, import
	NoVerify bool // import
	// WithCredentials: export and import API tokens, sessions, the webhook token in clear and
	// the generated admin's password hash.
	WithCredentials bool
	From, To        string // copy
}

// register adds the flags of the command that name ("diundashboard prune") runs.
func (f *commandFlags) register(fs *flag.FlagSet, name string) {
	switch strings.TrimPrefix(name, "diundashboard ") {
	case "prune":
		fs.BoolVar(&f.DryRun, "dry-run", false, "prune: only count the events that would be deleted")
	case "copy":
		fs.StringVar(&f.From, "from", "", "copy: the database to read (default DATABASE_URL)")
		fs.StringVar(&f.To, "to", "", "copy: the database to write, migrated first; it must be empty unless --force")
		fs.BoolVar(&f.Force, "force", false, "copy: delete every row of the target first")
	case "token":
		fs.BoolVar(&f.Rotate, "rotate", false, "token: make a new stored webhook token and print it (Diun must then be given it)")
	case "sessions":
		fs.BoolVar(&f.Tokens, "tokens", false, "sessions revoke-all: revoke every API token too")
	case "export":
		fs.BoolVar(&f.WithCredentials, "with-credentials", false, "export: include API tokens, sessions, the webhook token in clear and the generated admin's password hash; the file is then a secret")
	case "import":
		fs.BoolVar(&f.WithCredentials, "with-credentials", false, "import: accept API tokens, sessions, the webhook token and the admin's password hash from the file; only for a file you made yourself")
		fs.BoolVar(&f.Force, "force", false, "import: delete every row of DATABASE_URL first")
		fs.BoolVar(&f.NoVerify, "no-verify", false, "import: accept an export written before exports ended with a trailer of row counts and checksums; whether it is whole cannot be checked (a trailer, when there is one, is always checked)")
	}
}

// prune deletes (or with --dry-run counts) the events older than EVENT_RETENTION.
func prune(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if cfg.Retention <= 0 {
		fmt.Fprintln(stdout, "EVENT_RETENTION is 0: events are kept forever, nothing to prune")
		return nil
	}
	st, err := openExisting(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	p := &retention.Pruner{Store: st, Retention: cfg.Retention}
	cutoff := p.Cutoff()
	when := cutoff.UTC().Format(time.RFC3339)
	if cfg.cmd.DryRun {
		n, err := st.CountEventsBefore(ctx, cutoff)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d events received before %s would be deleted (dry run: nothing was deleted)\n", n, when)
		return nil
	}
	start := time.Now()
	n, err := p.PruneOnce(ctx)
	if err != nil {
		return fmt.Errorf("pruning stopped after %d events: %w", n, err)
	}
	fmt.Fprintf(stdout, "deleted %d events received before %s\n", n, when)
	log.Debug("pruned", "count", n, "duration", time.Since(start))
	return nil
}

// openSource opens a database to read from without migrating it (copying must not change
// its source), after checking that its schema is the newest.
// setting names where databaseURL came from, for the error about a missing file.
func openSource(ctx context.Context, databaseURL, setting string) (store.Store, store.Copier, error) {
	// A missing file is a mistyped path: reading it would make an empty database and an empty
	// (successful) export.
	if err := requireExisting(databaseURL, setting); err != nil {
		return nil, nil, err
	}
	_, pending, err := store.MigrationStatus(ctx, databaseURL)
	if err != nil {
		return nil, nil, err
	}
	if len(pending) > 0 {
		return nil, nil, fmt.Errorf("the database %s is not at this version's schema (pending: %s): run `diundashboard migrate --database-url …` on it first", store.Redact(databaseURL), strings.Join(pending, ", "))
	}
	st, err := store.Open(ctx, databaseURL)
	if err != nil {
		return nil, nil, err
	}
	c, ok := st.(store.Copier)
	if !ok {
		st.Close()
		return nil, nil, fmt.Errorf("the %s store cannot be copied", st.Dialect())
	}
	// Its export or copy would be a partial database that verifies (found by an outside tester).
	if err := checkFinished(ctx, st, databaseURL); err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("%w; an export or a copy of it would miss what the copy had not written", err)
	}
	return st, c, nil
}

// openTarget migrates, then opens, a database to write into.
func openTarget(ctx context.Context, databaseURL string) (store.Store, store.Copier, error) {
	if err := store.Migrate(ctx, databaseURL); err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, databaseURL)
	if err != nil {
		return nil, nil, err
	}
	c, ok := st.(store.Copier)
	if !ok {
		st.Close()
		return nil, nil, fmt.Errorf("the %s store cannot be written by copy or import", st.Dialect())
	}
	if err := server.CheckNotRunning(ctx, st, time.Now()); err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("%s: %w", store.Redact(databaseURL), err)
	}
	return st, c, nil
}

// unfinishedCopy is the lease copy holds on its target from before its first row until the
// target is verified: a copy stopped halfway (Ctrl-C, kill, a dropped SSH session) leaves a
// database that serve refuses (checkFinished), where it started as a new install with part of
// the data and a new webhook token. Leases are not copied: a copy of the target is whole.
const unfinishedCopy = "copy:unfinished"

// unfinishedUntil is when the mark would end by itself: never, in practice.
var unfinishedUntil = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func markUnfinished(ctx context.Context, st store.Store) error {
	_, err := st.TakeLease(ctx, unfinishedCopy, unfinishedCopy, time.Now(), unfinishedUntil)
	return err
}

// clearUnfinished deletes the mark, if any, in one statement: every lease of that name ends by
// unfinishedUntil.
func clearUnfinished(ctx context.Context, st store.Store) error {
	_, err := st.DeleteExpiredLeases(ctx, unfinishedCopy, unfinishedUntil)
	return err
}

// checkFinished refuses a database that a copy was writing when it stopped.
func checkFinished(ctx context.Context, st store.Store, databaseURL string) error {
	_, _, err := st.LiveLease(ctx, unfinishedCopy, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%s holds an unfinished copy (`diundashboard copy` into it stopped before it finished): run the copy again with --force, or import a backup into it with import --force, then start the server", store.Redact(databaseURL))
}

// copyDatabase is `diundashboard copy --from URL --to URL [--force]`.
func copyDatabase(ctx context.Context, cfg config, log *slog.Logger, stdout, stderr io.Writer) error {
	from, to := cfg.cmd.From, cfg.cmd.To
	if from == "" {
		from = cfg.DatabaseURL
	}
	if to == "" {
		return errors.New("copy needs --to: the database to copy into, such as postgres://user:password@host:5432/diundashboard")
	}
	if from == to || sameSQLiteFile(from, to) {
		return errors.New("copy: --from and --to name the same database; nothing was copied or deleted")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	source := "--from"
	if cfg.cmd.From == "" {
		source = "DATABASE_URL (copy's --from when not given)"
	}
	src, srcC, err := openSource(ctx, from, source)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, dstC, err := openTarget(ctx, to)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	log.Info("copying", "from", store.Redact(from), "to", store.Redact(to), "force", cfg.cmd.Force)
	p := newProgress(stderr, log)
	start := time.Now()
	started := false
	rep, err := dbcopy.Copy(ctx, srcC, dstC, dbcopy.Options{Force: cfg.cmd.Force, Progress: p.update,
		Started: func(ctx context.Context) error { started = true; return markUnfinished(ctx, dst) }})
	p.done()
	if len(rep.Tables) > 0 {
		fmt.Fprint(stdout, rep)
	}
	if err == nil {
		err = clearUnfinished(ctx, dst)
	}
	if err != nil && started {
		if ctx.Err() != nil {
			err = errors.New("the copy was interrupted") // the row it was writing says nothing more
		}
		return fmt.Errorf("%w; the target %s is incomplete: run the copy again with --force (the server refuses to start on it until a copy or an import into it finishes)", err, store.Redact(to))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied and verified every table in %v; point DATABASE_URL at %s and start the server\n", time.Since(start).Round(time.Millisecond), store.Redact(to))
	return nil
}

// sameSQLiteFile tells two SQLite URLs of one file, however named (a hard link too), before
// either is opened: SQLite keeps a WAL per name, so opening one file under two names corrupts
// it, before any check of the open databases could refuse (found by an outside tester).
// dbcopy.Copy also compares the open databases (Copier.Identity), for PostgreSQL.
func sameSQLiteFile(a, b string) bool {
	ta, errA := store.ParseURL(a)
	tb, errB := store.ParseURL(b)
	if errA != nil || errB != nil || ta.Dialect != store.DialectSQLite || tb.Dialect != store.DialectSQLite {
		return false
	}
	fa, errA := os.Stat(ta.Path)
	fb, errB := os.Stat(tb.Path)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// exportDatabase is `diundashboard export`: JSON Lines on stdout, ending with a trailer of
// every table's row count and checksum that import checks; a summary on stderr.
func exportDatabase(ctx context.Context, cfg config, log *slog.Logger, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, c, err := openSource(ctx, cfg.DatabaseURL, "DATABASE_URL")
	if err != nil {
		return err
	}
	defer st.Close()
	if err := restrictOutput(stdout); err != nil {
		return err
	}
	p := newProgress(stderr, log)
	sums, err := dbcopy.Export(ctx, c, stdout, dbcopy.Options{Progress: p.update, WithCredentials: cfg.cmd.WithCredentials})
	p.done()
	if err != nil {
		return err
	}
	for _, s := range sums {
		log.Info("exported", "table", s.Table, "rows", s.Rows, "sha256", s.Checksum)
	}
	if !cfg.cmd.WithCredentials {
		log.Info("credentials left out: after a restore, make API tokens again and sign in again; a generated admin gets a new password (logged at start); Diun's webhook token still works (its hash is kept). export --with-credentials includes them")
	}
	return nil
}

// importDatabase is `diundashboard import [--force] [--no-verify]`: what export wrote, from
// stdin, in one transaction: a file that does not match its trailer changes nothing.
func importDatabase(ctx context.Context, cfg config, log *slog.Logger, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, c, err := openTarget(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	p := newProgress(stderr, log)
	rep, err := dbcopy.Import(ctx, c, stdin, dbcopy.Options{Force: cfg.cmd.Force, NoVerify: cfg.cmd.NoVerify, Progress: p.update, WithCredentials: cfg.cmd.WithCredentials})
	p.done()
	if len(rep.Tables) > 0 {
		fmt.Fprint(stdout, rep)
	}
	if err != nil && ctx.Err() != nil {
		err = errors.New("the import was interrupted; nothing was imported") // the row it was writing says nothing more
	}
	if err == nil {
		err = clearUnfinished(ctx, st) // the import replaced whatever a stopped copy left
	}
	if err != nil {
		return err
	}
	if cfg.cmd.NoVerify && !rep.Trailer {
		fmt.Fprintf(stdout, "imported every table into %s and read it back; the file had no trailer (an export from an older version), so whether it was whole could not be checked\n", store.Redact(cfg.DatabaseURL))
		return nil
	}
	fmt.Fprintf(stdout, "imported and verified every table into %s: the file matched its trailer and the database holds what it says\n", store.Redact(cfg.DatabaseURL))
	return nil
}

// progress shows one updating line per table on a terminal, and one log line per finished
// table otherwise.
type progress struct {
	w     io.Writer
	log   *slog.Logger
	tty   bool
	table string
	rows  int64
	last  time.Time
}

func newProgress(w io.Writer, log *slog.Logger) *progress {
	return &progress{w: w, log: log, tty: isTerminal(w)}
}

func (p *progress) update(table string, done, total int64) {
	if table != p.table {
		p.finishTable()
		p.table = table
	}
	p.rows = done
	if !p.tty || (time.Since(p.last) < 100*time.Millisecond && done != total) {
		return
	}
	p.last = time.Now()
	if total > 0 {
		const width = 30
		filled := int(done * width / total)
		fmt.Fprintf(p.w, "\r%-11s [%s%s] %d/%d %3d%%", table, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, done*100/total)
	} else {
		fmt.Fprintf(p.w, "\r%-11s %d rows", table, done)
	}
}

func (p *progress) finishTable() {
	if p.table == "" {
		return
	}
	if p.tty {
		fmt.Fprintln(p.w)
	} else {
		p.log.Info("table done", "table", p.table, "rows", p.rows)
	}
	p.table = ""
}

func (p *progress) done() { p.finishTable() }

// isTerminal reports whether w is a terminal (a character device), where a progress line
// that rewrites itself makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// restrictOutput makes the file an export is written to readable by its owner only, when
// stdout is a file (`export > backup.jsonl`, which the shell creates world-readable with the
// usual umask 022): a backup holds every image, host and audit line, and with
// --with-credentials, secrets.
func restrictOutput(w io.Writer) error {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o077 == 0 {
		return nil // a pipe or a terminal, or already private
	}
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("cannot make the export file readable by its owner only (chmod 600): %w; write it where you may, or create it with umask 077", err)
	}
	return nil
}
