package store

import (
	"context"
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every list and count query must be served by an index that matches its filter and its
// order: a query that scans the table or sorts it gets slower with every notification stored
// (and keyset pagination is only cheap when the cursor condition is an index range). These
// tests read the queries from sql/<dialect>/queries — the text sqlc compiled into gen/ — and
// ask each database for its plan.

// namedQuery is one query of a sql/<dialect>/queries file.
type namedQuery struct {
	name, kind, file, sql string
}

var (
	queryHeader = regexp.MustCompile(`(?m)^-- name: (\w+) (:\w+)\s*$`)
	sqlcParam   = regexp.MustCompile(`sqlc\.n?arg\((\w+)\)`)
)

// readQueries splits every file of sql/<dialect>/queries at its "-- name:" lines.
func readQueries(t testing.TB, dialect string) map[string]namedQuery {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "sql", dialect, "queries", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no query files for %s: %v", dialect, err)
	}
	out := map[string]namedQuery{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		heads := queryHeader.FindAllStringSubmatchIndex(text, -1)
		for i, h := range heads {
			end := len(text)
			if i+1 < len(heads) {
				end = heads[i+1][0]
			}
			q := namedQuery{name: text[h[2]:h[3]], kind: text[h[4]:h[5]], file: filepath.Base(f), sql: strings.TrimSpace(text[h[1]:end])}
			if _, dup := out[q.name]; dup {
				t.Fatalf("query %s is defined twice", q.name)
			}
			out[q.name] = q
		}
	}
	return out
}

// bindParams replaces sqlc.arg(x) and sqlc.narg(x) by what replace returns for x.
func bindParams(sqlText string, replace func(name string) string) string {
	return sqlcParam.ReplaceAllStringFunc(sqlText, func(m string) string {
		return replace(sqlcParam.FindStringSubmatch(m)[1])
	})
}

// planParams are the values the plans are asked for: the first page of each list with no
// optional filter, which is what the dashboard asks most.
var planParams = map[string]any{
	"after_time":     time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
	"after_id":       int64(math.MaxInt64),
	"after_image":    "",
	"after_hostname": "",
	"hostname":       nil,
	"provider":       nil,
	"q":              nil,
	"tag":            nil,
	"stack":          nil,
	"state":          "open",
	"page_size":      int64(51),
	"image_id":       int64(1),
	"before_id":      int64(math.MaxInt64),
	"before":         time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	"since":          time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	"since_day":      "2026-01-01",
	"now":            time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	"ids":            "[1,2,3]",
	"after_image_id": int64(0),
	"after_tag_id":   int64(0),
}

// planCase says how one query must be served.
type planCase struct {
	// indexes: the plan must use at least one of these (per dialect, as the names differ:
	// SQLite names the UNIQUE constraints' indexes sqlite_autoindex_<table>_<n>; "rowid" and
	// "primary key" are the key of a rowid and of a WITHOUT ROWID table).
	sqliteIndexes, pgIndexes []string
	// ordered: the ORDER BY must come from the index, with no sort step.
	ordered bool
	// keyset: the cursor (or cutoff) condition must be a range of that index, so that a page
	// far down the list costs what the first one does.
	keyset bool
	// params overrides planParams.
	params map[string]any
}

// The state lists may also read the plain index of their order and skip the rows of other
// states: the planner's choice when most images share one state.
func orState(stateIndex, plain string) []string { return []string{stateIndex, plain} }

var stateIndexes = []string{"images_state_last_seen", "images_state_first_seen", "images_state_image", "images_state_host"}

// planCases covers every list and count query; TestQueryPlanCoverage makes sure no new one is
// forgotten.
var planCases = map[string]planCase{
	"ListImagesByLastSeen":         {sqliteIndexes: []string{"images_last_seen"}, pgIndexes: []string{"images_last_seen"}, ordered: true, keyset: true},
	"ListImagesByFirstSeen":        {sqliteIndexes: []string{"images_first_seen"}, pgIndexes: []string{"images_first_seen"}, ordered: true, keyset: true},
	"ListImagesByImage":            {sqliteIndexes: []string{"images_image_host"}, pgIndexes: []string{"images_image_host"}, ordered: true, keyset: true},
	"ListImagesByHost":             {sqliteIndexes: []string{"sqlite_autoindex_images_1"}, pgIndexes: []string{"images_hostname_image_key"}, ordered: true, keyset: true},
	"ListImagesInStateByLastSeen":  {sqliteIndexes: []string{"images_state_last_seen"}, pgIndexes: orState("images_state_last_seen", "images_last_seen"), ordered: true, keyset: true},
	"ListImagesInStateByFirstSeen": {sqliteIndexes: []string{"images_state_first_seen"}, pgIndexes: orState("images_state_first_seen", "images_first_seen"), ordered: true, keyset: true},
	"ListImagesInStateByImage":     {sqliteIndexes: []string{"images_state_image"}, pgIndexes: orState("images_state_image", "images_image_host"), ordered: true, keyset: true},
	"ListImagesInStateByHost":      {sqliteIndexes: []string{"images_state_host"}, pgIndexes: orState("images_state_host", "images_hostname_image_key"), ordered: true, keyset: true},
	"ListEvents":                   {sqliteIndexes: []string{"events_image_id"}, pgIndexes: []string{"events_image_id"}, ordered: true, keyset: true},
	"ListChecks":                   {sqliteIndexes: []string{"events_checks", "events_image_id"}, pgIndexes: []string{"events_checks"}, ordered: true, keyset: true},
	"LastUpdateTime":               {sqliteIndexes: []string{"events_received_at"}, pgIndexes: []string{"events_received_at"}, ordered: true},
	"PruneStateChanges":            {sqliteIndexes: []string{"state_changes_changed_at"}, pgIndexes: []string{"state_changes_changed_at"}, ordered: true, keyset: true},
	"PruneEvents":                  {sqliteIndexes: []string{"events_received_at"}, pgIndexes: []string{"events_received_at"}, ordered: true, keyset: true},
	"CountEventsBefore":            {sqliteIndexes: []string{"events_received_at"}, pgIndexes: []string{"events_received_at"}, keyset: true},
	// The chart reads the daily counts that triggers keep (event_days), from its first day on.
	"CountEventsPerDay": {sqliteIndexes: []string{"primary key"}, pgIndexes: []string{"event_days_pkey"}, ordered: true, keyset: true},
	"ListImageTags":     {sqliteIndexes: []string{"sqlite_autoindex_image_tags_1"}, pgIndexes: []string{"image_tags_pkey"}},
	// The feed's page: each image by its key, its newest event by events_image_id.
	"LatestEventSources": {sqliteIndexes: []string{"events_image_id"}, pgIndexes: []string{"events_image_id"}},
	// Whether a webhook named a host: its images by the hostname index, their events by
	// events_image_id, and the test notifications by their partial index.
	"HostHasWebhook": {sqliteIndexes: []string{"events_image_id"}, pgIndexes: []string{"events_image_id"}, params: map[string]any{"hostname": "h"}},
	// Tags by name, each with its count from tag_counts (kept by triggers), by key.
	"ListTags": {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"tag_counts_pkey"}},
	// Snoozed images are few: any index that starts with state reads only them.
	"SnoozedDue": {sqliteIndexes: append([]string{"images_snoozed_until"}, stateIndexes...), pgIndexes: append([]string{"images_snoozed_until"}, stateIndexes...)},
	// The images of one host (a host action), within the overview's filter.
	"ImageIDsOfHost": {sqliteIndexes: []string{"sqlite_autoindex_images_1", "images_state_host"}, pgIndexes: []string{"images_hostname_image_key", "images_state_host"}, params: map[string]any{"hostname": "h"}},
	// A filtered view's counts (the overview's tabs) in one host: that host's rows by the
	// hostname index (CountImagesMatching, across hosts, is in planExempt).
	"CountImagesMatchingOnHost": {sqliteIndexes: []string{"sqlite_autoindex_images_1", "images_state_host"}, pgIndexes: []string{"images_hostname_image_key", "images_state_host"}, params: map[string]any{"hostname": "h"}},
	// The images named by id, each found by its primary key.
	"RecordStateChanges":    {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"images_pkey"}, params: map[string]any{"changed_at": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "actor": "admin", "to_state": "acknowledged", "to_until": nil, "cause": "", "if_state": "ignored", "if_until": nil}},
	"NotifyImageStates":     {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"images_pkey"}},
	"TagImages":             {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"images_pkey"}, params: map[string]any{"tag_id": int64(1)}},
	"UntagImages":           {sqliteIndexes: []string{"sqlite_autoindex_image_tags_1", "image_tags_tag"}, pgIndexes: []string{"image_tags_pkey", "image_tags_tag"}, params: map[string]any{"tag_id": int64(1)}},
	"ListStateChanges":      {sqliteIndexes: []string{"state_changes_image"}, pgIndexes: []string{"state_changes_image"}, ordered: true},
	"DeleteExpiredSessions": {sqliteIndexes: []string{"sessions_expires_at"}, pgIndexes: []string{"sessions_expires_at"}, keyset: true},
	// The notifications not sent yet (notify.sql), on the outbox's partial index of them.
	"CountNotifyUnsent": {sqliteIndexes: []string{"notify_outbox_due"}, pgIndexes: []string{"notify_outbox_due"}},
	// `diundashboard copy/export`: every row, in pages, in primary key order ("rowid" is
	// SQLite's INTEGER PRIMARY KEY).
	"ExportImages":       {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"images_pkey"}, ordered: true, keyset: true},
	"ExportEvents":       {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"events_pkey"}, ordered: true, keyset: true},
	"ExportTags":         {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"tags_pkey"}, ordered: true, keyset: true},
	"ExportAPITokens":    {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"api_tokens_pkey"}, ordered: true, keyset: true},
	"ExportStateChanges": {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"state_changes_pkey"}, ordered: true, keyset: true},
	"ExportNotifyQueue":  {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"notify_queue_pkey"}, ordered: true, keyset: true},
	"ExportNotifyOutbox": {sqliteIndexes: []string{"rowid"}, pgIndexes: []string{"notify_outbox_pkey"}, ordered: true, keyset: true},
	"ExportImageTags":    {sqliteIndexes: []string{"sqlite_autoindex_image_tags_1"}, pgIndexes: []string{"image_tags_pkey"}, ordered: true, keyset: true},
}

// substringScans are the tables a plan may read whole: the search's names (image_search,
// one short row per image) have no index that a substring could use, so a search reads them
// all, once per query (an IN subquery, not a lookup per row), beside the index that serves
// the list's filter and order.
var substringScans = []string{"image_search"}

// planExempt lists the list queries that may scan, and why.
var planExempt = map[string]string{
	// Reads all of image_counts, which triggers keep: one row per host and state, however many
	// images there are.
	"CountImages": "one row per host and state (image_counts)",
	// A filtered view's counts across hosts (the overview's tabs, with a tag, text, provider
	// or stack filter and no host): every image is read once, as the filtered list's pages
	// read them all together; the view without those filters reads image_counts.
	"CountImagesMatching": "a filtered view across hosts is counted over every image once",
	"ListAPITokens":       "a handful of tokens, created by hand",
	// PostgreSQL orders these text keys with COLLATE "C", which the primary key's index (in the
	// database's collation) cannot serve; both tables stay small.
	"ExportSettings": "a few server-wide values",
	"ExportSessions": "live sessions only: expired ones are deleted",
	// :many only to return one result per notification; it writes, and finds each image row
	// through ON CONFLICT on the (hostname, image) unique index.
	"RecordBatch": "the ingest pipeline's write, not a list",
	// Reads the notification queue from its start and empties what it read, in the same
	// transaction: the queue holds one burst of Diun's, never history.
	"NotifyQueued": "the queue is emptied by each read",
	// The Notifications page's newest rows: the primary key read backwards, stopped at the
	// limit (SQLite calls it SCAN); the outbox keeps EVENT_RETENTION's worth.
	"ListNotifyOutbox": "the newest rows along the primary key, up to a small limit",
}

func (c planCase) param(name string) (any, bool) {
	if v, ok := c.params[name]; ok {
		return v, true
	}
	v, ok := planParams[name]
	return v, ok
}

// TestQueryPlanCoverage: every list or count query has a plan expectation (or a reason not to).
func TestQueryPlanCoverage(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		queries := readQueries(t, dialect)
		for name, q := range queries {
			listOrCount := q.kind == ":many" || strings.HasPrefix(name, "Count") || strings.HasPrefix(name, "List")
			_, covered := planCases[name]
			_, exempt := planExempt[name]
			if listOrCount && !covered && !exempt {
				t.Errorf("%s query %s (%s) has no index expectation: add it to planCases in index_test.go", dialect, name, q.file)
			}
		}
		for name := range planCases {
			if _, ok := queries[name]; !ok {
				t.Errorf("planCases names %s, which sql/%s/queries does not define", name, dialect)
			}
		}
	}
}

func TestSQLiteQueryPlans(t *testing.T) {
	ctx := context.Background()
	databaseURL := "sqlite:" + filepath.Join(t.TempDir(), "plans.db")
	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	target, err := ParseURL(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", target.SQLiteDSN(true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	queries := readQueries(t, "sqlite")
	names := make([]string, 0, len(planCases))
	for name := range planCases {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c := planCases[name]
		q, ok := queries[name]
		if !ok {
			continue // reported by TestQueryPlanCoverage
		}
		t.Run(name, func(t *testing.T) {
			var args []any
			seen := map[string]bool{}
			text := bindParams(q.sql, func(p string) string {
				v, ok := c.param(p)
				if !ok {
					t.Fatalf("no plan value for parameter %s", p)
				}
				if !seen[p] {
					seen[p] = true
					args = append(args, sql.Named(p, v))
				}
				return ":" + p
			})
			plan := sqlitePlan(t, db, text, args)
			t.Logf("plan:\n%s", strings.Join(plan, "\n"))
			checkSQLitePlan(t, plan, c)
		})
	}
}

func sqlitePlan(t *testing.T, db *sql.DB, text string, args []any) []string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+text, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v\n%s", err, text)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// sqliteScan matches a plan step that reads a whole table or index ("SCAN json_each VIRTUAL
// TABLE" is the table-valued function of ListImageTags, not a table).
var sqliteScan = regexp.MustCompile(`^SCAN (\w+)(?: AS \w+)?(.*)$`)

func checkSQLitePlan(t *testing.T, plan []string, c planCase) {
	t.Helper()
	var usedBy []string
	for _, line := range plan {
		for _, ix := range c.sqliteIndexes {
			if strings.Contains(line, "INDEX "+ix+" ") || strings.HasSuffix(line, "INDEX "+ix) ||
				ix == "rowid" && strings.Contains(line, "USING INTEGER PRIMARY KEY") ||
				ix == "primary key" && strings.Contains(line, "USING PRIMARY KEY") {
				usedBy = append(usedBy, line)
			}
		}
		// "SCAN CONSTANT ROW" is a SELECT with no FROM (HostHasWebhook's EXISTS … OR EXISTS …).
		if m := sqliteScan.FindStringSubmatch(line); m != nil && line != "SCAN CONSTANT ROW" {
			if !strings.Contains(m[2], "USING INDEX") && !strings.Contains(m[2], "USING COVERING INDEX") &&
				!strings.Contains(m[2], "VIRTUAL TABLE") && !slices.Contains(substringScans, m[1]) {
				t.Errorf("full table scan: %q", line)
			}
		}
		if c.ordered && strings.Contains(line, "USE TEMP B-TREE FOR") && strings.Contains(line, "ORDER BY") {
			t.Errorf("sorts instead of reading the index in order: %q", line)
		}
		if strings.Contains(line, "AUTOMATIC") {
			t.Errorf("builds an automatic index at each run: %q", line)
		}
	}
	if len(usedBy) == 0 {
		t.Errorf("uses none of the indexes %v", c.sqliteIndexes)
		return
	}
	// "SEARCH images USING INDEX images_last_seen (last_seen<?)": the range is in parentheses.
	if c.keyset && !slices.ContainsFunc(usedBy, func(l string) bool {
		i := strings.Index(l, " (")
		return strings.HasPrefix(l, "SEARCH ") && i >= 0 && strings.ContainsAny(l[i:], "<>")
	}) {
		t.Errorf("the cursor condition is not a range of the index (%q): every page would read from the start", usedBy)
	}
}
