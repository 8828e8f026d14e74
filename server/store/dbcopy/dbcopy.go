// Package dbcopy moves a whole DiunDashboard database between stores: `diundashboard copy`
// (SQLite to PostgreSQL, or back), and `export` / `import` through JSON Lines for backups.
//
// Every row travels in its canonical rendering (store.Row): the same row gives the same bytes
// from SQLite and from PostgreSQL. Each table's checksum is the SHA-256 of its rows' renderings,
// one per line, in key order; a copy or an import is verified by reading the target back and
// comparing row counts and checksums with what was written.
package dbcopy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"diundashboard/server/store"
)

// BatchSize is how many rows each read and each write transaction handles.
const BatchSize = 1000

// Errors; compare with errors.Is.
var (
	// ErrNotEmpty: the target holds rows and Force was not given.
	ErrNotEmpty = errors.New("the target database is not empty")
	// ErrMismatch: the target does not hold what was written (counts or checksums differ).
	ErrMismatch = errors.New("verification failed")
)

// Progress is told, after each batch, how many rows of table are done out of total (total is
// -1 when unknown, as on import).
type Progress func(table string, done, total int64)

// Options tune Copy and Import.
type Options struct {
	// Force deletes every row of the target first instead of refusing a non-empty target.
	Force bool
	// Progress, when set, is called after each batch.
	Progress Progress
}

// TableSum is one table's row count and checksum.
type TableSum struct {
	Table    string
	Rows     int64
	Checksum string // hex SHA-256 of the rows' canonical renderings, each followed by "\n"
}

// TableResult compares what was written to a table with what the target holds.
type TableResult struct {
	Table            string
	Rows, TargetRows int64
	Checksum         string
	TargetChecksum   string
}

// OK reports whether the target holds exactly what was written.
func (r TableResult) OK() bool { return r.Rows == r.TargetRows && r.Checksum == r.TargetChecksum }

// Report is the outcome of Copy or Import, one entry per table in store.CopyTables order.
type Report struct{ Tables []TableResult }

// OK reports whether every table verified.
func (r Report) OK() bool {
	for _, t := range r.Tables {
		if !t.OK() {
			return false
		}
	}
	return true
}

// String renders the report as a small table for a terminal.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-11s %10s %10s  %-16s %s\n", "table", "rows", "target", "sha256", "")
	for _, t := range r.Tables {
		verdict := "ok"
		switch {
		case t.Rows != t.TargetRows:
			verdict = "ROW COUNT DIFFERS"
		case t.Checksum != t.TargetChecksum:
			verdict = "CHECKSUM DIFFERS (target " + short(t.TargetChecksum) + ")"
		}
		fmt.Fprintf(&b, "%-11s %10d %10d  %-16s %s\n", t.Table, t.Rows, t.TargetRows, short(t.Checksum), verdict)
	}
	return b.String()
}

func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16]
	}
	return sum
}

// tableHash accumulates a table's count and checksum.
type tableHash struct {
	rows int64
	h    hash.Hash
}

func newTableHash() *tableHash { return &tableHash{h: sha256.New()} }

func (t *tableHash) add(r store.Row) {
	t.rows++
	t.h.Write(r.JSON)
	t.h.Write([]byte{'\n'})
}

func (t *tableHash) sum() string { return hex.EncodeToString(t.h.Sum(nil)) }

// eachRow reads every row of table in key order, a batch at a time.
func eachRow(ctx context.Context, c store.Copier, table string, fn func([]store.Row) error) error {
	var key store.RowKey
	for {
		rows, next, err := c.ExportRows(ctx, table, key, BatchSize)
		if err != nil {
			return fmt.Errorf("reading %s: %w", table, err)
		}
		if len(rows) > 0 {
			if err := fn(rows); err != nil {
				return err
			}
		}
		if len(rows) < BatchSize {
			return nil
		}
		key = next
	}
}

// Sum reads one table and returns its count and checksum.
func Sum(ctx context.Context, c store.Copier, table string) (TableSum, error) {
	th := newTableHash()
	err := eachRow(ctx, c, table, func(rows []store.Row) error {
		for _, r := range rows {
			th.add(r)
		}
		return nil
	})
	return TableSum{Table: table, Rows: th.rows, Checksum: th.sum()}, err
}

// SumAll is Sum for every table of store.CopyTables.
func SumAll(ctx context.Context, c store.Copier) ([]TableSum, error) {
	sums := make([]TableSum, 0, len(store.CopyTables))
	for _, table := range store.CopyTables {
		s, err := Sum(ctx, c, table)
		if err != nil {
			return nil, err
		}
		sums = append(sums, s)
	}
	return sums, nil
}

// prepareTarget refuses a target that holds rows, or with force empties it.
func prepareTarget(ctx context.Context, to store.Copier, force bool) error {
	var nonEmpty []string
	for _, table := range store.CopyTables {
		n, err := to.CountRows(ctx, table)
		if err != nil {
			return fmt.Errorf("counting the target's %s: %w", table, err)
		}
		if n > 0 {
			nonEmpty = append(nonEmpty, fmt.Sprintf("%s: %d rows", table, n))
		}
	}
	if len(nonEmpty) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("%w (%s); use --force to delete its rows first", ErrNotEmpty, strings.Join(nonEmpty, ", "))
	}
	return to.DeleteAllRows(ctx)
}

// verify reads every table of the target back and compares it with what was written.
func verify(ctx context.Context, to store.Copier, written map[string]*tableHash) (Report, error) {
	var rep Report
	for _, table := range store.CopyTables {
		s, err := Sum(ctx, to, table)
		if err != nil {
			return rep, fmt.Errorf("verifying: %w", err)
		}
		w := written[table]
		if w == nil {
			w = newTableHash()
		}
		rep.Tables = append(rep.Tables, TableResult{Table: table, Rows: w.rows, TargetRows: s.Rows, Checksum: w.sum(), TargetChecksum: s.Checksum})
	}
	if !rep.OK() {
		return rep, fmt.Errorf("%w: the target does not hold what was written:\n%s", ErrMismatch, rep)
	}
	return rep, nil
}

// Copy copies every row of from into to, keeping ids, then verifies the target. to must be
// migrated, and empty unless opts.Force. The source should not change meanwhile (stop the
// server): rows added during the copy make it fail, as the source's final counts differ.
func Copy(ctx context.Context, from, to store.Copier, opts Options) (Report, error) {
	if err := prepareTarget(ctx, to, opts.Force); err != nil {
		return Report{}, err
	}
	written := map[string]*tableHash{}
	for _, table := range store.CopyTables {
		total, err := from.CountRows(ctx, table)
		if err != nil {
			return Report{}, fmt.Errorf("counting the source's %s: %w", table, err)
		}
		th := newTableHash()
		written[table] = th
		if opts.Progress != nil {
			opts.Progress(table, 0, total)
		}
		err = eachRow(ctx, from, table, func(rows []store.Row) error {
			if err := to.ImportRows(ctx, rows); err != nil {
				return fmt.Errorf("writing %s: %w", table, err)
			}
			for _, r := range rows {
				th.add(r)
			}
			if opts.Progress != nil {
				opts.Progress(table, th.rows, max(total, th.rows))
			}
			return nil
		})
		if err != nil {
			return Report{}, err
		}
	}
	if err := to.AfterImport(ctx); err != nil {
		return Report{}, err
	}
	rep, err := verify(ctx, to, written)
	if err != nil {
		return rep, err
	}
	for i, table := range store.CopyTables {
		n, err := from.CountRows(ctx, table)
		if err != nil {
			return rep, err
		}
		if n != rep.Tables[i].Rows {
			return rep, fmt.Errorf("%w: the source's %s now has %d rows, %d were copied: it changed during the copy (stop the server and copy again with --force)", ErrMismatch, table, n, rep.Tables[i].Rows)
		}
	}
	return rep, nil
}

// Export writes every row of from to w as JSON Lines, table by table in store.CopyTables
// order, and returns each table's count and checksum.
func Export(ctx context.Context, from store.Copier, w io.Writer, progress Progress) ([]TableSum, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	sums := make([]TableSum, 0, len(store.CopyTables))
	for _, table := range store.CopyTables {
		total, err := from.CountRows(ctx, table)
		if err != nil {
			return nil, err
		}
		th := newTableHash()
		err = eachRow(ctx, from, table, func(rows []store.Row) error {
			for _, r := range rows {
				bw.Write(r.JSON)
				bw.WriteByte('\n')
				th.add(r)
			}
			if progress != nil {
				progress(table, th.rows, max(total, th.rows))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sums = append(sums, TableSum{Table: table, Rows: th.rows, Checksum: th.sum()})
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing the export: %w", err)
	}
	return sums, nil
}

// MaxLine bounds one line of an import (a row with a 64 KiB raw body, escaped, fits easily).
const MaxLine = 4 << 20

// Import reads what Export wrote from r into to, keeping ids, then verifies the target
// against the rows read. Rows must come in store.CopyTables order, as Export writes them.
func Import(ctx context.Context, to store.Copier, r io.Reader, opts Options) (Report, error) {
	if err := prepareTarget(ctx, to, opts.Force); err != nil {
		return Report{}, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	written := map[string]*tableHash{}
	batch := make([]store.Row, 0, BatchSize)
	lineNo := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := to.ImportRows(ctx, batch); err != nil {
			return fmt.Errorf("writing the rows before line %d: %w", lineNo+1, err)
		}
		table := batch[len(batch)-1].Table
		for _, row := range batch {
			written[row.Table].add(row)
		}
		if opts.Progress != nil {
			opts.Progress(table, written[table].rows, -1)
		}
		batch = batch[:0]
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		row, err := store.ParseRow(line)
		if err != nil {
			return Report{}, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if written[row.Table] == nil {
			written[row.Table] = newTableHash()
		}
		// A batch holds one table, so that progress names it.
		if len(batch) > 0 && batch[0].Table != row.Table {
			if err := flush(); err != nil {
				return Report{}, err
			}
		}
		batch = append(batch, row)
		if len(batch) == BatchSize {
			if err := flush(); err != nil {
				return Report{}, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Report{}, fmt.Errorf("reading line %d: %w", lineNo+1, err)
	}
	if err := flush(); err != nil {
		return Report{}, err
	}
	if err := to.AfterImport(ctx); err != nil {
		return Report{}, err
	}
	return verify(ctx, to, written)
}
