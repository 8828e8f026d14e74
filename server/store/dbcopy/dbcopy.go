// Package dbcopy moves a whole DiunDashboard database between stores: `diundashboard copy`
// (SQLite to PostgreSQL, or back), and `export` / `import` through JSON Lines for backups.
//
// Every row travels in its canonical rendering (store.Row): the same row gives the same bytes
// from SQLite and from PostgreSQL. Each table's checksum is the SHA-256 of its rows' renderings,
// one per line, in key order; a copy or an import is verified by reading the target back and
// comparing row counts and checksums with what was written.
//
// An export is JSON Lines: a header line, one line per row, table by table in
// store.CopyTables order, and a trailer line with every table's row count and checksum:
//
//	{"export":"diundashboard","format":2}
//	{"table":"images","id":1,"hostname":"nas",…}
//	…
//	{"trailer":"diundashboard","tables":[{"table":"images","rows":12,"sha256":"…"},…]}
//
// Import refuses a file whose trailer is missing or does not match the rows read, so that a
// truncated or damaged backup is never restored as if it were whole; it imports in one
// transaction, so a refused file changes nothing. The checksums detect damage, not tampering:
// whoever edits a file can write a matching trailer. That is why every row is also checked as
// the webhook checks what it stores (store.ParseRow), and credentials are neither exported
// nor imported unless asked (Options.WithCredentials). Exports written before the trailer existed
// (format 1: rows only) are refused unless Options.NoVerify.
package dbcopy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"diundashboard/server/store"
)

// BatchSize is how many rows each read and each write transaction handles.
const BatchSize = 1000

// Errors; compare with errors.Is.
var (
	// ErrNotEmpty: the target holds rows and Force was not given.
	ErrNotEmpty = errors.New("the target database is not empty")
	// ErrSameDatabase: the source and the target are one database, however their URLs differ.
	ErrSameDatabase = errors.New("the source and the target are the same database")
	// ErrMismatch: the target does not hold what was written, or an export's rows do not
	// match its trailer (counts or checksums differ).
	ErrMismatch = errors.New("verification failed")
	// ErrTruncated: an export ends before its trailer, or in the middle of a line.
	ErrTruncated = errors.New("the export is incomplete")
	// ErrUnverifiable: an export from before the trailer existed, imported without NoVerify.
	ErrUnverifiable = errors.New("the export cannot be verified")
	// ErrCredentials: an export holds credentials, imported without WithCredentials.
	ErrCredentials = errors.New("the export holds credentials")
)

// Progress is told, after each batch, how many rows of table are done out of total (total is
// -1 when unknown, as on import).
type Progress func(table string, done, total int64)

// Options tune Copy and Import.
type Options struct {
	// Force deletes every row of the target first instead of refusing a non-empty target.
	Force bool
	// NoVerify lets Import accept an export written before exports had a header and a
	// trailer: whether such a file is whole cannot be checked. A file with a header still
	// needs its trailer, and a trailer is always checked.
	NoVerify bool
	// Progress, when set, is called after each batch.
	Progress Progress
	// Started, when set, is called by Copy once the target is ready (checked empty, or emptied
	// with Force) and before its first row is written: from there on a failure leaves the target
	// incomplete.
	Started func(context.Context) error
	// WithCredentials makes Export write, and Import accept, the rows that let someone in
	// (see credential). Without it Export leaves them out, and Import refuses a file that holds
	// any: a backup is then no secret, and a crafted one cannot plant a working token.
	WithCredentials bool
}

// credentialSettings are the settings that open the dashboard by themselves: the webhook token
// in clear (kept until Diun first presents it) and the generated admin's password hash. The
// webhook token's SHA-256 is not one: it lets nobody in, and keeping it lets Diun go on
// sending after a restore.
var credentialSettings = []string{"webhook_token", "admin_password_hash"}

// credential tells whether r lets someone in: a session, an API token, or a credential setting.
func credential(r store.Row) bool {
	switch r.Table {
	case "sessions", "api_tokens":
		return true
	case "settings":
		var s struct {
			Key string `json:"key"`
		}
		return json.Unmarshal(r.JSON, &s) == nil && slices.Contains(credentialSettings, s.Key)
	}
	return false
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
type Report struct {
	Tables []TableResult
	// Trailer tells that Import checked the file against its trailer: false for Copy, and for
	// an export from before trailers imported with NoVerify.
	Trailer bool
}

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
	fmt.Fprintf(&b, "%-13s %10s %10s  %-16s %s\n", "table", "rows", "target", "sha256", "")
	for _, t := range r.Tables {
		verdict := "ok"
		switch {
		case t.Rows != t.TargetRows:
			verdict = "ROW COUNT DIFFERS"
		case t.Checksum != t.TargetChecksum:
			verdict = "CHECKSUM DIFFERS (target " + short(t.TargetChecksum) + ")"
		}
		fmt.Fprintf(&b, "%-13s %10d %10d  %-16s %s\n", t.Table, t.Rows, t.TargetRows, short(t.Checksum), verdict)
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
func eachRow(ctx context.Context, c store.RowReader, table string, fn func([]store.Row) error) error {
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

// readAll reads every table of from, in store.CopyTables order, from one snapshot, a batch at a
// time, hands write the rows that keep accepts, and returns each table's hash of those rows;
// progress, when set, follows each table.
func readAll(ctx context.Context, from store.Copier, progress Progress, keep func(store.Row) bool, write func(table string, rows []store.Row) error) (map[string]*tableHash, error) {
	hashes := map[string]*tableHash{}
	err := from.Snapshot(ctx, func(src store.RowReader) error {
		for _, table := range store.CopyTables {
			total, err := src.CountRows(ctx, table)
			if err != nil {
				return fmt.Errorf("counting the source's %s: %w", table, err)
			}
			th := newTableHash()
			hashes[table] = th
			if progress != nil {
				progress(table, 0, total)
			}
			err = eachRow(ctx, src, table, func(rows []store.Row) error {
				kept := slices.DeleteFunc(rows, func(r store.Row) bool { return !keep(r) })
				if err := write(table, kept); err != nil {
					return err
				}
				for _, r := range kept {
					th.add(r)
				}
				if progress != nil {
					progress(table, th.rows, max(total, th.rows))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return hashes, err
}

// Sum reads one table and returns its count and checksum.
func Sum(ctx context.Context, c store.RowReader, table string) (TableSum, error) {
	th := newTableHash()
	err := eachRow(ctx, c, table, func(rows []store.Row) error {
		for _, r := range rows {
			th.add(r)
		}
		return nil
	})
	return TableSum{Table: table, Rows: th.rows, Checksum: th.sum()}, err
}

// SumAll is Sum for every table of store.CopyTables, read from one snapshot.
func SumAll(ctx context.Context, c store.Copier) ([]TableSum, error) {
	sums := make([]TableSum, 0, len(store.CopyTables))
	err := c.Snapshot(ctx, func(r store.RowReader) error {
		for _, table := range store.CopyTables {
			s, err := Sum(ctx, r, table)
			if err != nil {
				return err
			}
			sums = append(sums, s)
		}
		return nil
	})
	return sums, err
}

// checkDistinct refuses a copy whose target is its source under another name: with --force,
// the target's rows are deleted first, and the copy of nothing then verified (found by an
// outside tester: sqlite:/x/dd.db onto sqlite:/x/./dd.db emptied it and said "verified").
func checkDistinct(ctx context.Context, from, to store.Copier) error {
	a, err := from.Identity(ctx)
	if err != nil {
		return fmt.Errorf("naming the source: %w", err)
	}
	b, err := to.Identity(ctx)
	if err != nil {
		return fmt.Errorf("naming the target: %w", err)
	}
	if a == b {
		return fmt.Errorf("%w (%s): nothing was copied or deleted", ErrSameDatabase, a)
	}
	return nil
}

// prepareTarget refuses a target that holds rows, or with force empties it.
func prepareTarget(ctx context.Context, to store.Copier, force bool) error {
	empty, err := checkEmpty(ctx, to, force)
	if err != nil || empty {
		return err
	}
	return to.DeleteAllRows(ctx)
}

// checkEmpty tells whether the target holds no row, and refuses one that does unless force.
func checkEmpty(ctx context.Context, to store.Copier, force bool) (empty bool, err error) {
	var nonEmpty []string
	for _, table := range store.CopyTables {
		n, err := to.CountRows(ctx, table)
		if err != nil {
			return false, fmt.Errorf("counting the target's %s: %w", table, err)
		}
		if n > 0 {
			nonEmpty = append(nonEmpty, fmt.Sprintf("%s: %d rows", table, n))
		}
	}
	if len(nonEmpty) == 0 {
		return true, nil
	}
	if !force {
		return false, fmt.Errorf("%w (%s); use --force to delete its rows first", ErrNotEmpty, strings.Join(nonEmpty, ", "))
	}
	return false, nil
}

// verify reads every table of the target back and compares it with what was written.
func verify(ctx context.Context, to store.RowReader, written map[string]*tableHash) (Report, error) {
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

// Copy copies every row of from, read from one snapshot, into to, keeping ids, then verifies
// the target. to must be migrated, and empty unless opts.Force. The source should not change
// meanwhile (stop the server): the target would miss what arrived after the snapshot, so rows
// added during the copy make it fail, as the source's final counts differ.
func Copy(ctx context.Context, from, to store.Copier, opts Options) (Report, error) {
	if err := checkDistinct(ctx, from, to); err != nil {
		return Report{}, err
	}
	if err := prepareTarget(ctx, to, opts.Force); err != nil {
		return Report{}, err
	}
	if opts.Started != nil {
		if err := opts.Started(ctx); err != nil {
			return Report{}, err
		}
	}
	written, err := readAll(ctx, from, opts.Progress, func(store.Row) bool { return true }, func(table string, rows []store.Row) error {
		if err := to.ImportRows(ctx, rows); err != nil {
			return fmt.Errorf("writing %s: %w", table, err)
		}
		return nil
	})
	if err != nil {
		return Report{}, err
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

// The export's first and last lines (see the package comment).
const (
	exportName = "diundashboard"
	// exportFormat 2 has the header and the trailer; format 1 was rows only.
	exportFormat = 2
)

type header struct {
	Export string `json:"export"`
	Format int    `json:"format"`
}

type trailer struct {
	Trailer string         `json:"trailer"`
	Tables  []trailerTable `json:"tables"`
}

type trailerTable struct {
	Table  string `json:"table"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// Export writes every row of from, read from one snapshot (the server may keep writing), to
// w as JSON Lines, table by table in store.CopyTables order, between the header and the trailer, and returns each table's count and checksum.
// Credentials are left out unless opts.WithCredentials. A write that fails leaves the output
// without its trailer, which Import refuses.
func Export(ctx context.Context, from store.Copier, w io.Writer, opts Options) ([]TableSum, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	writeJSONLine(bw, header{Export: exportName, Format: exportFormat})
	hashes, err := readAll(ctx, from, opts.Progress, func(r store.Row) bool { return opts.WithCredentials || !credential(r) }, func(_ string, rows []store.Row) error {
		for _, r := range rows {
			bw.Write(r.JSON)
			bw.WriteByte('\n')
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sums := make([]TableSum, 0, len(store.CopyTables))
	for _, table := range store.CopyTables {
		sums = append(sums, TableSum{Table: table, Rows: hashes[table].rows, Checksum: hashes[table].sum()})
	}
	tr := trailer{Trailer: exportName}
	for _, s := range sums {
		tr.Tables = append(tr.Tables, trailerTable{Table: s.Table, Rows: s.Rows, SHA256: s.Checksum})
	}
	writeJSONLine(bw, tr)
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing the export: %w", err)
	}
	return sums, nil
}

// writeJSONLine writes v, which always encodes, and a newline; bufio.Writer keeps the first
// write error for Flush to return.
func writeJSONLine(w *bufio.Writer, v any) {
	b, _ := json.Marshal(v)
	w.Write(b)
	w.WriteByte('\n')
}

// MaxLine bounds one line of an import (a row with a 64 KiB raw body, escaped, fits easily).
const MaxLine = 4 << 20

// Import reads what Export wrote from r into to, keeping ids, in one transaction: the file
// must match its trailer (row counts and checksums of every table), or nothing is imported,
// and the target is then read back and compared with the rows read. Rows must come in
// store.CopyTables order, as Export writes them.
func Import(ctx context.Context, to store.Copier, r io.Reader, opts Options) (Report, error) {
	if _, err := checkEmpty(ctx, to, opts.Force); err != nil {
		return Report{}, err
	}
	var (
		written map[string]*tableHash
		checked bool
		rep     Report
	)
	err := to.ImportTx(ctx, func(w store.RowWriter) error {
		if opts.Force {
			if err := w.DeleteAllRows(ctx); err != nil {
				return fmt.Errorf("%w; nothing was imported", err)
			}
		}
		var err error
		if written, checked, err = importLines(ctx, w, r, opts); err != nil {
			return err
		}
		// Read back before the commit: a failed check then changes nothing, and rows that
		// someone else wrote meanwhile (a server still running on this database) make it fail
		// instead of leaving a replaced database behind a "verification failed".
		if rep, err = verify(ctx, w, written); err != nil {
			return fmt.Errorf("%w\nnothing was imported: if a server runs on this database, stop it and import again", err)
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	rep.Trailer = checked
	if err := to.AfterImport(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// line is what one line of an export holds: a row, the header or the trailer.
type line struct {
	Table   *string `json:"table"`
	Export  *string `json:"export"`
	Trailer *string `json:"trailer"`
}

// importLines writes the rows of an export with w and checks the file's header and trailer.
// It returns what it wrote, per table, and whether the file had a trailer, which matched.
func importLines(ctx context.Context, w store.RowWriter, r io.Reader, opts Options) (written map[string]*tableHash, checked bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	written = map[string]*tableHash{}
	// Each table's rows come in export order: the read-back compares in that order, after the
	// commit, so a file edited out of order (with a matching trailer) was committed, then
	// failed (found by an outside review).
	lastKey := map[string]store.RowKey{}
	batch := make([]store.Row, 0, BatchSize)
	lineNo := 0
	var (
		hasHeader bool
		tr        *trailer
		trLine    int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := w.ImportRows(ctx, batch); err != nil {
			return fmt.Errorf("writing the rows before line %d: %w; nothing was imported", lineNo+1, err)
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
	first := true
	for sc.Scan() {
		lineNo++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if tr != nil {
			return nil, false, fmt.Errorf("line %d: the export goes on after its trailer (line %d): the file was altered or two exports were joined; nothing was imported", lineNo, trLine)
		}
		if first {
			// A compressed backup, or one saved by an editor that adds a byte order mark.
			if bytes.HasPrefix(text, []byte{0x1f, 0x8b}) {
				return nil, false, errors.New("the file is gzip-compressed: decompress it first (gunzip -c FILE | diundashboard import); nothing was imported")
			}
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		var kind line
		if err := json.Unmarshal(text, &kind); err != nil {
			if hasHeader && !sc.Scan() && sc.Err() == nil {
				return nil, false, fmt.Errorf("%w: its last line (%d) is cut short and there is no trailer: the file is truncated (an export or a copy that did not finish); nothing was imported", ErrTruncated, lineNo)
			}
			return nil, false, fmt.Errorf("line %d: not a JSON object: %w; nothing was imported", lineNo, err)
		}
		switch {
		case kind.Export != nil:
			if !first {
				return nil, false, fmt.Errorf("line %d: a second export header: two exports were joined; nothing was imported", lineNo)
			}
			var h header
			if err := json.Unmarshal(text, &h); err != nil || h.Export != exportName {
				return nil, false, fmt.Errorf("line %d: not a diundashboard export header: %s; nothing was imported", lineNo, clip(text))
			}
			if h.Format != exportFormat {
				return nil, false, fmt.Errorf("line %d: export format %d is not one this version reads (%d): import it with the version that exported it, or a newer one; nothing was imported", lineNo, h.Format, exportFormat)
			}
			hasHeader = true
		case kind.Trailer != nil:
			if !hasHeader {
				return nil, false, fmt.Errorf("line %d: an export trailer without the export header: not a file `diundashboard export` wrote; nothing was imported", lineNo)
			}
			tr = &trailer{}
			dec := json.NewDecoder(bytes.NewReader(text))
			dec.DisallowUnknownFields()
			if err := dec.Decode(tr); err != nil || tr.Trailer != exportName {
				return nil, false, fmt.Errorf("line %d: not a diundashboard export trailer: %s; nothing was imported", lineNo, clip(text))
			}
			trLine = lineNo
		default:
			if first && !opts.NoVerify {
				return nil, false, fmt.Errorf("%w: the file starts with a row, not the export header: it was written by `diundashboard export` before exports ended with a trailer of row counts and checksums (or it is not an export), so whether it is whole cannot be checked; if you trust it, import it with --no-verify; nothing was imported", ErrUnverifiable)
			}
			row, err := store.ParseRow(text)
			if err != nil {
				if hasHeader && !sc.Scan() && sc.Err() == nil {
					return nil, false, fmt.Errorf("%w: its last line (%d) is cut short and there is no trailer: the file is truncated (an export or a copy that did not finish); nothing was imported", ErrTruncated, lineNo)
				}
				return nil, false, fmt.Errorf("line %d: %w; nothing was imported", lineNo, err)
			}
			if !opts.WithCredentials && credential(row) {
				return nil, false, fmt.Errorf("%w: line %d holds a credential (a row of %s, which lets someone in); import restores credentials only with --with-credentials, for a file you made yourself with `export --with-credentials`; nothing was imported", ErrCredentials, lineNo, row.Table)
			}
			if written[row.Table] == nil {
				written[row.Table] = newTableHash()
			}
			key, err := exportKey(row)
			if err != nil {
				return nil, false, fmt.Errorf("line %d: %w; nothing was imported", lineNo, err)
			}
			if prev, ok := lastKey[row.Table]; ok && !keyAfter(key, prev) {
				return nil, false, fmt.Errorf("%w: line %d: a row of %s out of the order export writes (by its key): the file was edited; nothing was imported", ErrMismatch, lineNo, row.Table)
			}
			lastKey[row.Table] = key
			// A batch holds one table, so that progress names it.
			if len(batch) > 0 && batch[0].Table != row.Table {
				if err := flush(); err != nil {
					return nil, false, err
				}
			}
			batch = append(batch, row)
			if len(batch) == BatchSize {
				if err := flush(); err != nil {
					return nil, false, err
				}
			}
		}
		first = false
	}
	if err := sc.Err(); err != nil {
		return nil, false, fmt.Errorf("reading line %d: %w; nothing was imported", lineNo+1, err)
	}
	if err := flush(); err != nil {
		return nil, false, err
	}
	switch {
	case tr != nil:
		if err := checkTrailer(tr, written); err != nil {
			return nil, false, err
		}
		return written, true, nil
	case hasHeader:
		return nil, false, fmt.Errorf("%w: it ends at line %d without its trailer: the file is truncated (an export or a copy that did not finish); nothing was imported", ErrTruncated, lineNo)
	case first && !opts.NoVerify:
		return nil, false, fmt.Errorf("%w: the file is empty, not an export; nothing was imported", ErrTruncated)
	}
	return written, false, nil
}

// checkTrailer compares the rows read with what the trailer says was exported.
func checkTrailer(tr *trailer, read map[string]*tableHash) error {
	listed := map[string]trailerTable{}
	for _, t := range tr.Tables {
		if !slices.Contains(store.CopyTables, t.Table) {
			return fmt.Errorf("%w: the trailer names table %q, which this version does not have: import the file with the version that exported it, or a newer one; nothing was imported", ErrMismatch, t.Table)
		}
		if _, dup := listed[t.Table]; dup {
			return fmt.Errorf("%w: the trailer names table %s twice; nothing was imported", ErrMismatch, t.Table)
		}
		listed[t.Table] = t
	}
	var problems []string
	for _, table := range store.CopyTables {
		t, ok := listed[table]
		got := read[table]
		if got == nil {
			got = newTableHash()
		}
		switch {
		case !ok && slices.Contains(store.NotifyCopyTables, table) && got.rows == 0:
			// An export from before notifications' state was exported.
		case !ok:
			problems = append(problems, table+": not in the trailer")
		case t.Rows != got.rows:
			problems = append(problems, fmt.Sprintf("%s: %d rows read, the trailer says %d", table, got.rows, t.Rows))
		case t.SHA256 != got.sum():
			problems = append(problems, fmt.Sprintf("%s: the rows read have checksum %s, the trailer says %s", table, short(got.sum()), short(t.SHA256)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: the file does not match its trailer (%s): it was altered or damaged after the export; nothing was imported", ErrMismatch, strings.Join(problems, "; "))
	}
	return nil
}

// clip shortens a line quoted in an error.
func clip(b []byte) string {
	const n = 80
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// exportKey is a row's place in its table's export order (the ORDER BY of copy.sql: ids, the
// pair of image_tags, settings' key and sessions' id_hash in byte order).
func exportKey(row store.Row) (store.RowKey, error) {
	var k struct {
		ID      int64  `json:"id"`
		ImageID int64  `json:"image_id"`
		TagID   int64  `json:"tag_id"`
		Key     string `json:"key"`
		IDHash  string `json:"id_hash"`
	}
	if err := json.Unmarshal(row.JSON, &k); err != nil {
		return store.RowKey{}, fmt.Errorf("a row of %s without its key: %w", row.Table, err)
	}
	switch row.Table {
	case "image_tags":
		return store.RowKey{ID: k.ImageID, ID2: k.TagID}, nil
	case "settings":
		return store.RowKey{Text: k.Key}, nil
	case "sessions":
		return store.RowKey{Text: k.IDHash}, nil
	}
	return store.RowKey{ID: k.ID}, nil
}

// keyAfter tells whether a comes strictly after b.
func keyAfter(a, b store.RowKey) bool {
	if a.ID != b.ID {
		return a.ID > b.ID
	}
	if a.ID2 != b.ID2 {
		return a.ID2 > b.ID2
	}
	return a.Text > b.Text
}
