package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"diundashboard/gen/sqlitedb"
	"diundashboard/internal/dbtype"
)

// Copier reads and writes every row of a database with its ids: what `diundashboard copy`,
// `export` and `import` are built on (package server/store/dbcopy). Both SQLite and Postgres
// implement it; get it with st.(store.Copier). It is kept apart from Store because only
// these maintenance commands need it, and the server never should.
type Copier interface {
	RowReader
	// Snapshot runs fn with a RowReader that sees the database as it was at one moment, however
	// long fn takes and whatever the server writes meanwhile. Paging each table on the pool
	// instead, an export taken while notifications arrive held events whose image came after
	// the images were read, and import rightly refused the file. (SQLite: one read
	// transaction, which WAL keeps at its first read; PostgreSQL: REPEATABLE READ READ ONLY.)
	Snapshot(ctx context.Context, fn func(RowReader) error) error
	// Identity names the database itself, however its URL was spelled (a relative path, a
	// symbolic link, localhost for 127.0.0.1): two Copiers with the same Identity are one
	// database, which a copy from one onto the other would empty.
	Identity(ctx context.Context) (string, error)
	// ImportRows inserts rows, ids included, in one transaction. Rows that reference others
	// (events → images) must come after them: CopyTables is such an order.
	ImportRows(ctx context.Context, rows []Row) error
	// DeleteAllRows empties every table of CopyTables, in one transaction.
	DeleteAllRows(ctx context.Context) error
	// ImportTx runs fn in one write transaction, committed only when fn returns nil: an import
	// that fails for any reason (a bad line, a file that does not match its trailer, a row
	// the database refuses) changes nothing, not even the rows --force was to delete.
	ImportTx(ctx context.Context, fn func(w RowWriter) error) error
	// AfterImport makes the database's own counters follow the imported ids: PostgreSQL's
	// identity sequences restart after the largest id, and its counts, which the import
	// deferred, are rebuilt (SQLite needs nothing).
	AfterImport(ctx context.Context) error
}

// RowReader reads the rows of the tables of CopyTables, from the pool (a Copier) or from one
// snapshot (Copier.Snapshot).
type RowReader interface {
	// ExportRows returns up to limit rows of table whose key comes after after (the zero
	// RowKey for the first page), in key order, and the key of the last row returned.
	ExportRows(ctx context.Context, table string, after RowKey, limit int) ([]Row, RowKey, error)
	// CountRows counts the rows of table.
	CountRows(ctx context.Context, table string) (int64, error)
}

// RowWriter writes into the transaction of one ImportTx, and reads it back.
type RowWriter interface {
	RowReader
	// ImportRows inserts rows, ids included; see Copier.ImportRows.
	ImportRows(ctx context.Context, rows []Row) error
	// DeleteAllRows empties every table of CopyTables.
	DeleteAllRows(ctx context.Context) error
}

var (
	_ Copier = (*SQLite)(nil)
	_ Copier = (*Postgres)(nil)
)

// CopyTables lists every table of the schema that holds data (schema_migrations excluded), in
// an order where each table comes after those it references.
var CopyTables = append([]string{"images", "tags", "image_tags", "events", "state_changes", "settings", "sessions", "api_tokens"}, NotifyCopyTables...)

// Row is one row of one table in its canonical rendering: a JSON object whose first member is
// "table", followed by the columns in schema order, with times in UTC at microsecond
// precision and JSON columns compacted with sorted keys. The same row renders to the same
// bytes from either database, so the rendering is at once the export format (one line of
// JSON Lines) and what the copy checksums are computed over.
type Row struct {
	Table string
	JSON  []byte
}

// RowKey is a position in a table's key order; the zero RowKey is before the first row.
type RowKey struct {
	ID, ID2 int64  // images, events, tags, state_changes, api_tokens: ID; image_tags: (ID, ID2)
	Text    string // settings.key, sessions.id_hash
}

// ParseRow reads one line of an export and returns it in canonical form, refusing unknown
// tables, unknown or mistyped columns, and values the dashboard never writes (see
// copy_validate.go).
func ParseRow(line []byte) (Row, error) {
	var head struct {
		Table string `json:"table"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return Row{}, fmt.Errorf("not a JSON object: %w", err)
	}
	rec, err := newRecord(head.Table)
	if err != nil {
		return Row{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return Row{}, fmt.Errorf("table %s: %w", head.Table, err)
	}
	rec.normalise()
	if err := rec.validate(); err != nil {
		return Row{}, err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return Row{}, fmt.Errorf("table %s: %w", head.Table, err)
	}
	return Row{Table: head.Table, JSON: b}, nil
}

// The columns of each table: the fields of the sqlc model, in the same order and of the same
// types (so that the plain conversions below compile), with JSON names.
type (
	imageCols struct {
		ID             int64       `json:"id"`
		Hostname       string      `json:"hostname"`
		Image          string      `json:"image"`
		Digest         string      `json:"digest"`
		Status         string      `json:"status"`
		Provider       string      `json:"provider"`
		HubLink        string      `json:"hub_link"`
		MimeType       string      `json:"mime_type"`
		Platform       string      `json:"platform"`
		Created        *time.Time  `json:"created"`
		Metadata       dbtype.JSON `json:"metadata"`
		FirstSeen      time.Time   `json:"first_seen"`
		LastSeen       time.Time   `json:"last_seen"`
		Notifications  int64       `json:"notifications"`
		State          string      `json:"state"`
		StateChangedAt time.Time   `json:"state_changed_at"`
		SnoozedUntil   *time.Time  `json:"snoozed_until"`
		// Absent from backups made before them: normalise fills them.
		DigestChangedAt time.Time `json:"digest_changed_at"`
		OpenedBy        string    `json:"opened_by"`
	}
	eventCols struct {
		ID          int64       `json:"id"`
		ImageID     *int64      `json:"image_id"`
		ReceivedAt  time.Time   `json:"received_at"`
		DiunVersion string      `json:"diun_version"`
		Hostname    string      `json:"hostname"`
		Status      string      `json:"status"`
		Provider    string      `json:"provider"`
		Image       string      `json:"image"`
		HubLink     string      `json:"hub_link"`
		MimeType    string      `json:"mime_type"`
		Digest      string      `json:"digest"`
		Created     *time.Time  `json:"created"`
		Platform    string      `json:"platform"`
		Metadata    dbtype.JSON `json:"metadata"`
		RawBody     string      `json:"raw_body"`
		Source      string      `json:"source"`
	}
	tagCols struct {
		ID        int64     `json:"id"`
		Name      string    `json:"name"`
		CreatedAt time.Time `json:"created_at"`
	}
	imageTagCols struct {
		ImageID int64 `json:"image_id"`
		TagID   int64 `json:"tag_id"`
	}
	settingCols struct {
		Key       string    `json:"key"`
		Value     string    `json:"value"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	sessionCols struct {
		IDHash     string    `json:"id_hash"`
		Username   string    `json:"username"`
		CreatedAt  time.Time `json:"created_at"`
		LastSeenAt time.Time `json:"last_seen_at"`
		ExpiresAt  time.Time `json:"expires_at"`
		Credential string    `json:"credential"`
	}
	stateChangeCols struct {
		ID        int64      `json:"id"`
		ImageID   int64      `json:"image_id"`
		ChangedAt time.Time  `json:"changed_at"`
		Actor     string     `json:"actor"`
		Digest    string     `json:"digest"`
		FromState string     `json:"from_state"`
		FromUntil *time.Time `json:"from_until"`
		ToState   string     `json:"to_state"`
		ToUntil   *time.Time `json:"to_until"`
		Cause     string     `json:"cause,omitempty"` // absent from backups made before it
	}
	apiTokenCols struct {
		ID         int64      `json:"id"`
		Name       string     `json:"name"`
		TokenHash  string     `json:"token_hash"`
		Prefix     string     `json:"prefix"`
		CreatedAt  time.Time  `json:"created_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
		Scope      string     `json:"scope"`
	}
)

// record is one row being exported or imported: the table's name, then its columns.
type record interface {
	normalise()
	// validate refuses what the dashboard itself never writes (copy_validate.go).
	validate() error
	insert(ctx context.Context, q copyQueries) error
}

type (
	imageRecord struct {
		Table string `json:"table"`
		imageCols
	}
	eventRecord struct {
		Table string `json:"table"`
		eventCols
	}
	tagRecord struct {
		Table string `json:"table"`
		tagCols
	}
	imageTagRecord struct {
		Table string `json:"table"`
		imageTagCols
	}
	settingRecord struct {
		Table string `json:"table"`
		settingCols
	}
	sessionRecord struct {
		Table string `json:"table"`
		sessionCols
	}
	stateChangeRecord struct {
		Table string `json:"table"`
		stateChangeCols
	}
	apiTokenRecord struct {
		Table string `json:"table"`
		apiTokenCols
	}
)

func newRecord(table string) (record, error) {
	switch table {
	case "images":
		return &imageRecord{}, nil
	case "events":
		return &eventRecord{}, nil
	case "tags":
		return &tagRecord{}, nil
	case "image_tags":
		return &imageTagRecord{}, nil
	case "settings":
		return &settingRecord{}, nil
	case "sessions":
		return &sessionRecord{}, nil
	case "state_changes":
		return &stateChangeRecord{}, nil
	case "api_tokens":
		return &apiTokenRecord{}, nil
	case "notify_queue":
		return &notifyQueueRecord{}, nil
	case "notify_outbox":
		return &notifyOutboxRecord{}, nil
	}
	return nil, fmt.Errorf("%w: unknown table %q; the tables are %v", ErrInvalid, table, CopyTables)
}

// canonicalJSON re-encodes a JSON column with sorted keys and no spaces: PostgreSQL's jsonb
// gives back {"b": "x", "a": "y"} for what SQLite keeps as written.
func canonicalJSON(j dbtype.JSON) dbtype.JSON {
	if j == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return j // left as it is: MarshalJSON reports it
	}
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return j
	}
	return b
}

func normTime(t *time.Time)     { *t = dbTime(*t) }
func normTimePtr(t **time.Time) { *t = dbTimePtr(*t) }

func (r *imageRecord) normalise() {
	r.Table = "images"
	normTimePtr(&r.Created)
	normTime(&r.FirstSeen)
	normTime(&r.LastSeen)
	normTime(&r.StateChangedAt)
	normTimePtr(&r.SnoozedUntil)
	// A backup from before digest_changed_at: the digest as old as the row, so that the
	// overview marks no newer digest it cannot know of.
	if r.DigestChangedAt.IsZero() {
		r.DigestChangedAt = r.FirstSeen
	}
	normTime(&r.DigestChangedAt)
	r.Metadata = canonicalJSON(r.Metadata)
}

func (r *eventRecord) normalise() {
	r.Table = "events"
	normTime(&r.ReceivedAt)
	normTimePtr(&r.Created)
	r.Metadata = canonicalJSON(r.Metadata)
	// An export from before event sources: every event was a webhook.
	if r.Source == "" {
		r.Source = string(SourceWebhook)
	}
}

func (r *tagRecord) normalise() {
	r.Table = "tags"
	normTime(&r.CreatedAt)
}

func (r *imageTagRecord) normalise() { r.Table = "image_tags" }

func (r *settingRecord) normalise() {
	r.Table = "settings"
	normTime(&r.UpdatedAt)
}

func (r *sessionRecord) normalise() {
	r.Table = "sessions"
	normTime(&r.CreatedAt)
	normTime(&r.LastSeenAt)
	normTime(&r.ExpiresAt)
}

func (r *stateChangeRecord) normalise() {
	r.Table = "state_changes"
	normTime(&r.ChangedAt)
	normTimePtr(&r.FromUntil)
	normTimePtr(&r.ToUntil)
}

func (r *apiTokenRecord) normalise() {
	r.Table = "api_tokens"
	normTime(&r.CreatedAt)
	normTimePtr(&r.LastUsedAt)
	// An export from before token scopes: those tokens could triage, as the migration keeps.
	if r.Scope == "" {
		r.Scope = string(ScopeWrite)
	}
}

func (r *imageRecord) insert(ctx context.Context, q copyQueries) error {
	if err := q.ImportImage(ctx, sqlitedb.ImportImageParams(r.imageCols)); err != nil {
		return err
	}
	return q.UnqueueImportedImage(ctx, r.ID) // see copy_notify.go
}

func (r *eventRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportEvent(ctx, sqlitedb.ImportEventParams(r.eventCols))
}

func (r *tagRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportTag(ctx, sqlitedb.ImportTagParams(r.tagCols))
}

func (r *imageTagRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportImageTag(ctx, sqlitedb.ImportImageTagParams(r.imageTagCols))
}

func (r *settingRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportSetting(ctx, sqlitedb.ImportSettingParams(r.settingCols))
}

func (r *sessionRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportSession(ctx, sqlitedb.ImportSessionParams(r.sessionCols))
}

func (r *stateChangeRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportStateChange(ctx, sqlitedb.ImportStateChangeParams(r.stateChangeCols))
}

func (r *apiTokenRecord) insert(ctx context.Context, q copyQueries) error {
	return q.ImportAPIToken(ctx, sqlitedb.ImportAPITokenParams(r.apiTokenCols))
}

// render normalises rec and encodes it.
func render(table string, rec record) (Row, error) {
	rec.normalise()
	b, err := json.Marshal(rec)
	if err != nil {
		return Row{}, fmt.Errorf("table %s: %w", table, err)
	}
	return Row{Table: table, JSON: b}, nil
}

// exportPage converts one page of sqlc rows into Rows and the key of the last.
func exportPage[M any](table string, rows []M, toRecord func(M) record, keyOf func(M) RowKey) ([]Row, RowKey, error) {
	out := make([]Row, 0, len(rows))
	var last RowKey
	for _, m := range rows {
		r, err := render(table, toRecord(m))
		if err != nil {
			return nil, RowKey{}, err
		}
		out = append(out, r)
		last = keyOf(m)
	}
	return out, last, nil
}

// rowReader is the RowReader of the read pool or of one snapshot transaction.
type rowReader struct {
	q  copyQueries
	db sqlitedb.DBTX
}

func (d *db) poolReader() rowReader {
	return rowReader{q: d.copyQueries(d.readDB), db: d.readDB}
}

func (d *db) ExportRows(ctx context.Context, table string, after RowKey, limit int) ([]Row, RowKey, error) {
	return d.poolReader().ExportRows(ctx, table, after, limit)
}

func (d *db) CountRows(ctx context.Context, table string) (int64, error) {
	return d.poolReader().CountRows(ctx, table)
}

func (d *db) Snapshot(ctx context.Context, fn func(RowReader) error) error {
	tx, err := d.readDB.BeginTx(ctx, d.snapshotTx)
	if err != nil {
		return fmt.Errorf("starting a read snapshot: %w", err)
	}
	// Read only: nothing to commit.
	defer func() { _ = tx.Rollback() }()
	return fn(rowReader{q: d.copyQueries(tx), db: tx})
}

func (r rowReader) ExportRows(ctx context.Context, table string, after RowKey, limit int) ([]Row, RowKey, error) {
	q := r.q
	n := int64(limit)
	switch table {
	case "images":
		rows, err := q.ExportImages(ctx, sqlitedb.ExportImagesParams{AfterID: after.ID, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.Image) record { return &imageRecord{imageCols: imageCols(m)} }, func(m sqlitedb.Image) RowKey { return RowKey{ID: m.ID} })
	case "events":
		rows, err := q.ExportEvents(ctx, sqlitedb.ExportEventsParams{AfterID: after.ID, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.Event) record { return &eventRecord{eventCols: eventCols(m)} }, func(m sqlitedb.Event) RowKey { return RowKey{ID: m.ID} })
	case "tags":
		rows, err := q.ExportTags(ctx, sqlitedb.ExportTagsParams{AfterID: after.ID, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.Tag) record { return &tagRecord{tagCols: tagCols(m)} }, func(m sqlitedb.Tag) RowKey { return RowKey{ID: m.ID} })
	case "image_tags":
		rows, err := q.ExportImageTags(ctx, sqlitedb.ExportImageTagsParams{AfterImageID: after.ID, AfterTagID: after.ID2, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.ImageTag) record { return &imageTagRecord{imageTagCols: imageTagCols(m)} }, func(m sqlitedb.ImageTag) RowKey { return RowKey{ID: m.ImageID, ID2: m.TagID} })
	case "settings":
		rows, err := q.ExportSettings(ctx, sqlitedb.ExportSettingsParams{AfterKey: after.Text, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.Setting) record { return &settingRecord{settingCols: settingCols(m)} }, func(m sqlitedb.Setting) RowKey { return RowKey{Text: m.Key} })
	case "sessions":
		rows, err := q.ExportSessions(ctx, sqlitedb.ExportSessionsParams{AfterIDHash: after.Text, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.Session) record { return &sessionRecord{sessionCols: sessionCols(m)} }, func(m sqlitedb.Session) RowKey { return RowKey{Text: m.IDHash} })
	case "state_changes":
		rows, err := q.ExportStateChanges(ctx, sqlitedb.ExportStateChangesParams{AfterID: after.ID, PageSize: n})
		if err != nil {
			return nil, RowKey{}, err
		}
		return exportPage(table, rows, func(m sqlitedb.StateChange) record { return &stateChangeRecord{stateChangeCols: stateChangeCols(m)} }, func(m sqlitedb.StateChange) RowKey { return RowKey{ID: m.ID} })
	case "api_tokens":
		rows, err := q.ExportAPITokens(ctx, sqlitedb.ExportAPITokensParams{AfterID: after.ID, PageSize: n})
		if err != nil {
			return nil, after, err
		}
		return exportPage(table, rows, func(m sqlitedb.ApiToken) record { return &apiTokenRecord{apiTokenCols: apiTokenCols(m)} }, func(m sqlitedb.ApiToken) RowKey { return RowKey{ID: m.ID} })
	case "notify_queue", "notify_outbox":
		return exportNotifyRows(ctx, q, table, after, n)
	}
	_, err := newRecord(table)
	return nil, after, err
}

func (d *db) ImportRows(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	return d.ImportTx(ctx, func(w RowWriter) error { return w.ImportRows(ctx, rows) })
}

func (d *db) DeleteAllRows(ctx context.Context) error {
	return d.ImportTx(ctx, func(w RowWriter) error { return w.DeleteAllRows(ctx) })
}

func (d *db) ImportTx(ctx context.Context, fn func(w RowWriter) error) error {
	tx, err := d.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if d.startImport != nil {
		if err := d.startImport(ctx, tx); err != nil {
			return err
		}
	}
	q := d.copyQueries(tx)
	if err := fn(txWriter{rowReader: rowReader{q: q, db: tx}, tx: tx, q: q}); err != nil {
		return err
	}
	return tx.Commit()
}

// txWriter is the RowWriter of one ImportTx transaction.
type txWriter struct {
	rowReader
	tx *sql.Tx
	q  copyQueries
}

func (w txWriter) ImportRows(ctx context.Context, rows []Row) error {
	for _, row := range rows {
		rec, err := newRecord(row.Table)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(row.JSON, rec); err != nil {
			return fmt.Errorf("table %s: %w", row.Table, err)
		}
		rec.normalise()
		if err := rec.insert(ctx, w.q); err != nil {
			return fmt.Errorf("inserting into %s %s: %w", row.Table, clip(row.JSON, 120), err)
		}
	}
	return nil
}

// DeleteAllRows names tables in SQL text: only the fixed names of CopyTables.
func (w txWriter) DeleteAllRows(ctx context.Context) error {
	for _, table := range slices.Backward(CopyTables) {
		if _, err := w.tx.ExecContext(ctx, "DELETE FROM "+table); err != nil {
			return fmt.Errorf("emptying %s: %w", table, err)
		}
	}
	return nil
}

func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

func checkTable(table string) error {
	if !slices.Contains(CopyTables, table) {
		return fmt.Errorf("%w: unknown table %q; the tables are %v", ErrInvalid, table, CopyTables)
	}
	return nil
}

// CountRows names tables in SQL text, so it accepts only the fixed names of CopyTables.
func (r rowReader) CountRows(ctx context.Context, table string) (int64, error) {
	if err := checkTable(table); err != nil {
		return 0, err
	}
	var n int64
	err := r.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}
