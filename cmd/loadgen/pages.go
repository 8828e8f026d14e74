package main

// -pages: how the cost of the pages grows with the history. For each size (images × events,
// seeded in bulk by internal/pageseed) and each store, it serves the pages in-process and
// reports medians: the overview (default view and 90-day chart), /api/v1/summary, /metrics,
// the first and the 100th page of the image list, an image's timeline, the prune of a month,
// the copy SQLite → PostgreSQL, and the process's resident memory.
//
//	go run ./cmd/loadgen -pages 10000:1000000,100000:1000000 -database-url postgres://…
//
// With -pages-md FILE it writes its table into FILE between <!-- pages:begin --> and
// <!-- pages:end --> (appended when the markers are missing), for make bench-report.

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"diundashboard/internal/pageseed"
	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/metrics"
	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"
)

var (
	pagesSizes = flag.String("pages", "", "measure the pages' cost at these sizes, images:events[,…] (e.g. 10000:1000000,300000:10000000), on SQLite and, with -database-url, PostgreSQL")
	pagesSpan  = flag.Int("pages-span", 180, "with -pages: days the seeded events cover, the newest now")
	pagesRuns  = flag.Int("pages-runs", 15, "with -pages: requests per page and size (the median is reported)")
	pagesMD    = flag.String("pages-md", "", "with -pages: write the table into this Markdown file between <!-- pages:begin --> and <!-- pages:end -->")
	pagesCopy  = flag.Int("pages-copy-events", 1000000, "with -pages and -database-url: time the copy SQLite → PostgreSQL for sizes of at most this many events (it copies every row, one batch at a time)")
)

// pageSize is one size to measure.
type pageSize struct{ images, events int }

func parsePageSizes(s string) ([]pageSize, error) {
	var out []pageSize
	for _, part := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), ":")
		i, err1 := strconv.Atoi(a)
		e, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || i < 1 || e < 0 {
			return nil, fmt.Errorf("-pages %q: want images:events[,images:events…] with positive whole numbers, such as 10000:1000000", s)
		}
		out = append(out, pageSize{i, e})
	}
	return out, nil
}

// pageRow is what one size on one store measured.
type pageRow struct {
	dialect                     string
	size                        pageSize
	seed                        time.Duration
	overview, chart90, summary  time.Duration
	metrics, page1, page100     time.Duration
	timeline, prune, copyToPG   time.Duration
	pruned                      int64
	rssMiB, peakMiB             float64
	copyErr, skippedCopyBecause string
}

func runPages(ctx context.Context, o options) error {
	sizes, err := parsePageSizes(*pagesSizes)
	if err != nil {
		return err
	}
	if *pagesSpan < 31 || *pagesRuns < 1 {
		return errors.New("-pages-span must be at least 31 days (a month is pruned) and -pages-runs positive")
	}
	var rows []pageRow
	for _, sz := range sizes {
		for _, adminURL := range []string{"", o.databaseURL} {
			if adminURL == "" && len(rows) > 0 && rows[len(rows)-1].size == sz {
				continue
			}
			fmt.Fprintf(os.Stderr, "pages: %s, %d images, %d events\n", dialectName(adminURL), sz.images, sz.events)
			row, err := measurePages(ctx, adminURL, o.databaseURL, sz)
			if err != nil {
				return fmt.Errorf("%s at %d images / %d events: %w", dialectName(adminURL), sz.images, sz.events, err)
			}
			rows = append(rows, row)
			fmt.Fprintln(os.Stderr, row.line())
			if o.databaseURL == "" {
				break
			}
		}
	}
	table := pagesTable(rows)
	fmt.Print(table)
	if *pagesMD != "" {
		return writeBetweenMarkers(*pagesMD, table)
	}
	return nil
}

// measurePages seeds a scratch database of one size and measures it. pgAdmin, when set, is
// where the copy SQLite → PostgreSQL goes.
func measurePages(ctx context.Context, adminURL, pgAdmin string, sz pageSize) (pageRow, error) {
	row := pageRow{dialect: dialectName(adminURL), size: sz}
	dbURL, drop, err := scratchURL(ctx, adminURL)
	if err != nil {
		return row, err
	}
	defer drop()
	if err := store.Migrate(ctx, dbURL); err != nil {
		return row, err
	}
	seedSizes := pageseed.Sizes{Images: sz.images, Events: sz.events, SpanDays: *pagesSpan}
	start := time.Now()
	if err := seedURL(ctx, dbURL, seedSizes); err != nil {
		return row, err
	}
	row.seed = time.Since(start)

	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return row, err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := auth.New(auth.Config{Mode: auth.ModeNone}, st, log)
	if err != nil {
		return row, err
	}
	// A summary read per scrape: the cache of 10 s would hide what a scrape costs.
	m := metrics.New(st, metrics.Options{SummaryTTL: time.Nanosecond})
	srv := server.New(st, server.Options{WebhookToken: "loadgen", Auth: a, Metrics: m, Logger: log})
	get := func(path string) (time.Duration, error) {
		return medianOf(*pagesRuns, func() error {
			req := httptest.NewRequest(http.MethodGet, "http://localhost"+path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("GET %s: %d %.200s", path, rec.Code, rec.Body.String())
			}
			return nil
		})
	}
	for _, p := range []struct {
		path string
		into *time.Duration
	}{{"/", &row.overview}, {"/?days=90", &row.chart90}, {"/api/v1/summary", &row.summary}, {"/metrics", &row.metrics}} {
		if *p.into, err = get(p.path); err != nil {
			return row, err
		}
	}

	// The image list through the store: the first page, and the 100th reached by its cursor.
	list := func(cursor string) (store.ImagePage, error) {
		return st.ListImages(ctx, store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Cursor: cursor, Limit: store.DefaultPageSize})
	}
	if row.page1, err = medianOf(*pagesRuns, func() error { _, err := list(""); return err }); err != nil {
		return row, err
	}
	cursor := ""
	for range 99 {
		page, err := list(cursor)
		if err != nil {
			return row, err
		}
		if page.NextCursor == "" {
			break // fewer than 100 pages: the last one stands for it
		}
		cursor = page.NextCursor
	}
	if row.page100, err = medianOf(*pagesRuns, func() error { _, err := list(cursor); return err }); err != nil {
		return row, err
	}
	// Image 1's timeline holds events/images notifications, spread over the whole span.
	if row.timeline, err = medianOf(*pagesRuns, func() error {
		_, err := st.ListEvents(ctx, 1, store.PageRequest{Limit: store.DefaultPageSize})
		return err
	}); err != nil {
		return row, err
	}

	// The copy reads the whole database: before the prune, so that it copies every event.
	switch {
	case adminURL != "":
	case pgAdmin == "":
		row.skippedCopyBecause = "no -database-url"
	case sz.events > *pagesCopy:
		row.skippedCopyBecause = fmt.Sprintf("over -pages-copy-events %d", *pagesCopy)
	default:
		row.copyToPG, row.copyErr = copyToPostgres(ctx, st, pgAdmin)
	}

	// The oldest month of the history, as retention would prune it.
	cutoff := time.Now().AddDate(0, 0, -*pagesSpan+30)
	start = time.Now()
	if row.pruned, err = st.PruneEvents(ctx, cutoff); err != nil {
		return row, err
	}
	row.prune = time.Since(start)

	runtime.GC()
	row.rssMiB, row.peakMiB = procMemory()
	return row, nil
}

// copyToPostgres copies the SQLite store st into a fresh PostgreSQL database and times it.
func copyToPostgres(ctx context.Context, st store.Store, pgAdmin string) (time.Duration, string) {
	from, ok := st.(store.Copier)
	if !ok {
		return 0, "the store cannot copy"
	}
	pgURL, drop, err := createDatabase(ctx, pgAdmin)
	if err != nil {
		return 0, err.Error()
	}
	defer drop()
	if err := store.Migrate(ctx, pgURL); err != nil {
		return 0, err.Error()
	}
	to, err := store.Open(ctx, pgURL)
	if err != nil {
		return 0, err.Error()
	}
	defer to.Close()
	start := time.Now()
	rep, err := dbcopy.Copy(ctx, from, to.(store.Copier), dbcopy.Options{})
	took := time.Since(start)
	if err != nil {
		return took, err.Error()
	}
	if !rep.OK() {
		return took, "the copy's check failed"
	}
	return took, ""
}

// scratchURL is a migrated-to-be database that drop removes: a SQLite file in a temp dir, or a
// PostgreSQL database next to adminURL.
func scratchURL(ctx context.Context, adminURL string) (string, func(), error) {
	if adminURL != "" {
		return createDatabase(ctx, adminURL)
	}
	dir, err := os.MkdirTemp("", "loadgen-pages")
	if err != nil {
		return "", nil, err
	}
	return "sqlite:" + filepath.Join(dir, "pages.db"), func() { _ = os.RemoveAll(dir) }, nil
}

func seedURL(ctx context.Context, dbURL string, sz pageseed.Sizes) error {
	t, err := store.ParseURL(dbURL)
	if err != nil {
		return err
	}
	if t.Dialect == store.DialectSQLite {
		db, err := sql.Open("sqlite", t.SQLiteDSN(false))
		if err != nil {
			return err
		}
		defer db.Close()
		return pageseed.SQLite(ctx, db, sz)
	}
	db, err := sql.Open("pgx", t.URL)
	if err != nil {
		return err
	}
	defer db.Close()
	return pageseed.Postgres(ctx, db, sz)
}

// medianOf runs fn n times and returns the median time.
func medianOf(n int, fn func() error) (time.Duration, error) {
	times := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}

// procMemory reads this process's resident memory and its peak, in MiB (Linux).
func procMemory() (rss, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return d.Round(100 * time.Millisecond).String()
}

func (r pageRow) copyCell() string {
	switch {
	case r.dialect != "SQLite":
		return "–"
	case r.skippedCopyBecause != "":
		return "not run (" + r.skippedCopyBecause + ")"
	case r.copyErr != "":
		return "failed: " + r.copyErr
	}
	return ms(r.copyToPG)
}

func (r pageRow) line() string {
	return fmt.Sprintf("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s (%d events) | %s | %.0f / %.0f MiB |",
		r.dialect, r.size.images, r.size.events, r.seed.Round(100*time.Millisecond), ms(r.overview), ms(r.chart90), ms(r.summary), ms(r.metrics),
		ms(r.page1), ms(r.page100), ms(r.timeline), ms(r.prune), r.pruned, r.copyCell(), r.rssMiB, r.peakMiB)
}

// pagesProse says what each column costs as the history grows; the table below it measures it.
const pagesProse = `## Pages at growing history

What each page reads, and so how its cost grows (sql/*/queries; plans checked by
server/store/index_test.go):

- **Overview, /api/v1/summary, /metrics**: the counts per host and state come from
  image_counts, the tag counts from tag_counts and the chart from event_days, which triggers on
  images, image_tags and events keep in the writing transaction (O(hosts × states), O(tags),
  O(days)); the last notification and the last check are the ends of two indexes (O(1)); the
  list is one keyset page (O(page)). Nothing an overview reads grows with the events.
- **List page 1 and page 100**, **image timeline**: keyset ranges of an index (O(page)): the
  100th page costs what the first does.
- **Prune a month**: O(events pruned), in transactions of 1,000; the triggers take each deleted
  event off its day (per row on SQLite, once per statement on PostgreSQL).
- **Copy SQLite → PostgreSQL**: O(rows), necessarily; on PostgreSQL the import defers the count
  triggers and rebuilds the counts once at the end (AfterImport).
- **A live refresh that changes nothing**: 304 before the store is read (the fragment's ETag).
- **RSS**: the process after the run, and its peak, which includes seeding in bulk in the same
  process (SQLite's page cache).

`

func pagesTable(rows []pageRow) string {
	var b strings.Builder
	b.WriteString(pagesProse)
	fmt.Fprintf(&b, "Pages at growing history (`loadgen -pages`, events over %d days, median of %d requests each, in-process, %s, load average %s):\n\n",
		*pagesSpan, *pagesRuns, time.Now().UTC().Format("2006-01-02 15:04 UTC"), loadAverage())
	b.WriteString("| store | images | events | seed | overview | 90-day chart | /api/v1/summary | /metrics | list page 1 | list page 100 | image timeline | prune a month | copy → PostgreSQL | RSS / peak |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString(r.line() + "\n")
	}
	return b.String()
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

const (
	pagesBegin = "<!-- pages:begin -->"
	pagesEnd   = "<!-- pages:end -->"
)

// writeBetweenMarkers puts text between the markers of the Markdown file path, or appends
// the markers with text when the file has none.
func writeBetweenMarkers(path, text string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, pagesBegin), strings.Index(s, pagesEnd)
	block := pagesBegin + "\n" + text + pagesEnd
	if i >= 0 && j > i {
		s = s[:i] + block + s[j+len(pagesEnd):]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
