package web

import (
	"context"
	"diundashboard/server/webhook"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"diundashboard/server/query"
	"diundashboard/server/store"
)

// UI paging. The overview shows one page of images grouped by host, sorted by host by
// default so that a host's images stay together across pages. 200 rows keep the page under
// about 60 KB gzipped and its render in a few milliseconds, even with thousands open; the
// per-host counts in each group's heading come from Summary and cover every page.
const (
	uiPageSize = 200
	uiSort     = store.SortHost
)

// imageRow is one image as the overview and the image page show it: only what they show,
// field by field. It does not embed store.Image on purpose: that struct has a field named
// Image, so "{{.Image}}" would print the whole record (metadata and all) wherever a template
// meant the reference. Metadata is not here at all; the image page lists it from imageData.
type imageRow struct {
	ID int64
	// Ref is the image reference as Diun sent it ("docker.io/library/nginx:1.29").
	Ref string
	// Repo and Version are Ref cut for display ("nginx", ":1.29", "@sha256:…").
	Repo, Version string
	// Name is the two together, as messages and titles name the image.
	Name     string
	Hostname string
	Digest   string
	Status   string
	Provider string
	Platform string
	HubLink  string
	// Created is when the new image was built; nil when it carries no date or a placeholder
	// (1970-01-01), which BuildUnset tells apart from "Diun did not say".
	Created       *time.Time
	BuildUnset    bool
	FirstSeen     time.Time
	LastSeen      time.Time
	Notifications int64
	State         store.State
	SnoozedUntil  *time.Time
	Tags          []store.Tag
	RunsAs        []string
	AgeClass      string

	// Context is the stack, namespace, container state and links the row shows.
	Context rowContext

	// Marks are what app.js may say of an open row that changed since the person last looked,
	// each with its time, oldest first (withMarks): app.js shows the first one later than the
	// last look, what happened first since then. None for a row that is not open.
	Marks []rowMark

	// HTML is the overview's rendering of the row, with its version (rowpatch.go).
	HTML template.HTML

	// ShowHost: the row names its host, as the rows of a stack group come from several.
	ShowHost bool
}

func (h *Handler) row(img store.Image) imageRow {
	ref := parseRef(img.Image)
	built := buildDate(img.Created)
	r := imageRow{
		ID: img.ID, Ref: img.Image, Repo: ref.Repo, Version: ref.Version(), Name: ref.Name(), Hostname: img.Hostname, Digest: img.Digest,
		Status: img.Status, Provider: img.Provider, Platform: img.Platform, HubLink: img.HubLink,
		Created: built, BuildUnset: img.Created != nil && built == nil,
		FirstSeen: img.FirstSeen, LastSeen: img.LastSeen, Notifications: img.Notifications,
		State: img.State, SnoozedUntil: img.SnoozedUntil, Tags: img.Tags,
		RunsAs: runsAs(img.Metadata), Context: newRowContext(img), AgeClass: ageClass(h.now(), img.Created),
	}
	r.withMarks(img)
	return r
}

// The marks of an open row that changed (withMark).
const (
	markNew         = "new"
	markNewerDigest = "newer digest since it opened"
	markReopened    = "new digest since you acknowledged"
	markBackSnooze  = "back from snooze"
)

// rowMark is one thing that happened to an open row: when, and what app.js says of it.
type rowMark struct {
	At   time.Time
	Text string
}

// withMarks lists what happened to an open row, from the store's record of it, oldest first:
// Diun first reported it; a new digest of the acknowledged image or a snooze's end reopened it
// (a person's reopening is no news to mark); another new digest came while it was open. The
// record keeps the last of each, which is enough to name the first thing since any look: an
// image first reported since is new, whatever came after; one reopened since says why, even
// if another digest followed.
func (r *imageRow) withMarks(img store.Image) {
	if img.State != store.StateOpen {
		return
	}
	r.Marks = append(r.Marks, rowMark{img.FirstSeen, markNew})
	switch img.OpenedBy {
	case store.OpenedByDigest:
		r.Marks = append(r.Marks, rowMark{img.StateChangedAt, markReopened})
	case store.OpenedBySnooze:
		r.Marks = append(r.Marks, rowMark{img.StateChangedAt, markBackSnooze})
	}
	if img.DigestChangedAt.After(img.StateChangedAt) && img.DigestChangedAt.After(img.FirstSeen) {
		r.Marks = append(r.Marks, rowMark{img.DigestChangedAt, markNewerDigest})
	}
	slices.SortStableFunc(r.Marks, func(a, b rowMark) int { return a.At.Compare(b.At) })
}

// marksAttr is a row's marks as app.js reads them (data-marks): "time text" pairs separated
// by ";", each time in milliseconds (msTime) rounded up, so that a change even a fraction of a
// millisecond after the page's data was read (data-rendered, rounded down) counts as after it.
func marksAttr(marks []rowMark) string {
	parts := make([]string, len(marks))
	for i, m := range marks {
		parts[i] = msTime(m.At.Add(time.Millisecond-1)) + " " + m.Text
	}
	return strings.Join(parts, ";")
}

// msTime is t in UTC to the millisecond (rounded down), as JavaScript's dates keep it: app.js
// compares the rows' times with the last look at that precision (whole seconds on one side
// and milliseconds on the other lost a change in the second of the last look).
func msTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
}

// hostGroup is the images of one host on this page, with the host's counts over all pages.
type hostGroup struct {
	Host string
	// Key is the group's element id: app.js matches groups by it when it refreshes the page,
	// so that a group that stays keeps its rows, focus and folding.
	Key    string
	Images []imageRow
	Counts store.StateCounts
	// ActionURL is where the host's buttons post: the host and the view's filters, so that
	// "Acknowledge all" acts on exactly the images of this view, on every page.
	ActionURL string
	// Actions are the buttons that fit the state viewed: no "Acknowledge all" among the
	// acknowledged, "Reopen all" there instead.
	Actions []hostAction
	// ActsOn names the state the buttons act on: the state viewed, or "open" in the view
	// of every state, where acting on all would also reopen the ignored.
	ActsOn store.State
	// Shown is how many of the images the buttons act on this page shows; InView is how many
	// the view has on all pages (the view's counts, filtered or not). When they differ the
	// server asks first.
	Shown  int
	InView int64
	// Elsewhere is how many of them are on other pages, when that is known.
	Elsewhere int64
	Filtered  bool

	// ByStack marks a group of the stack grouping (grouping.go): Stack names it, StackKind
	// says what it is ("stack", or "namespace" when it comes from one), and it has no host
	// actions.
	ByStack   bool
	Stack     string
	StackKind string
}

// hostAction is one button of a host's actions.
type hostAction struct {
	Value, Label string
}

// hostActions are the actions that make sense on a host's images in state s.
func hostActions(s store.State) []hostAction {
	switch s {
	case store.StateOpen:
		return []hostAction{{"acknowledge", "Acknowledge all"}, {"snooze-7d", "Snooze all 7 days"}, {"ignore", "Ignore all"}}
	case store.StateAcknowledged, store.StateSnoozed:
		return []hostAction{{"reopen", "Reopen all"}, {"ignore", "Ignore all"}}
	case store.StateIgnored:
		return []hostAction{{"reopen", "Reopen all"}}
	}
	return nil
}

// hostActionURL is the /bulk URL of a host's actions in the view f.
func hostActionURL(host string, f store.ImageFilter, stateArg string) string {
	v := url.Values{"host": {host}, "state": {stateArg}}
	for k, val := range map[string]string{"tag": f.Tag, "q": f.Query, "provider": f.Provider, "stack": f.Stack} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return "/bulk?" + v.Encode()
}

type overviewData struct {
	Filter   store.ImageFilter
	StateArg string // "open", …, or "all"
	Sort     store.Sort
	Groups   []hostGroup
	Shown    int
	Totals   store.StateCounts
	Hosts    []string
	// GoneHost is the host filtered on when it has no images any more: the filter still
	// names it rather than pretend to show all hosts.
	GoneHost string
	Tags     []store.Tag
	States   []store.State
	Sorts    []sortOption
	// Providers Diun has; the filter offers them all.
	Providers []string
	Pager     pager
	IsFirst   bool
	Chart     chart
	// ChartURL switches the chart to the other range, keeping the view; ChartOpen unfolds
	// the chart, when the address names a range.
	ChartURL  string
	ChartOpen bool
	// StateURLs switch the state viewed, keeping the other filters and the chart's range.
	StateURLs map[string]string
	// ClearURL drops the filters and keeps the chart's range.
	ClearURL string
	// LastNotification is nil until Diun sent anything.
	LastNotification *time.Time
	// LastCheck is when Diun's test notification last arrived (`diun notif test`).
	LastCheck *time.Time
	// Refused is the last refused webhook request, when no notification got through since.
	Refused *webhook.Rejection
	// Fresh is a dashboard without any image yet: the page shows how to connect Diun, and
	// that it is connected once a test notification arrived, instead of an empty list.
	Fresh    bool
	Filtered bool
	Query    string // the current query string, for bulk forms to come back to

	// ByStack: the rows are grouped by stack (?group=stack), not by host. NoStackURL is the
	// view without its stack filter.
	ByStack    bool
	NoStackURL string

	// Rendered is when the page's data was read (taken before the store is read, so a change
	// committed meanwhile counts as after it): app.js saves it as "last looked" when the page
	// is left, so that what arrived live since stays marked on the next visit.
	Rendered time.Time
}

var providers = []string{"docker", "swarm", "kubernetes", "nomad", "containerd", "file", "dockerfile"}

// parseUIQuery reads the overview's URL with the API's rules, with the UI's defaults.
func parseUIQuery(v url.Values) (query.Images, error) {
	w := url.Values{}
	for k, vs := range v {
		w[k] = vs
	}
	if w.Get("sort") == "" {
		w.Set("sort", string(uiSort))
	}
	if w.Get("limit") == "" {
		w.Set("limit", strconv.Itoa(uiPageSize))
	}
	return query.ParseImages(w)
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	if w = h.revalidate(w, r); w == nil { // unchanged since the browser's copy: 304 (etag.go)
		return
	}
	v := r.URL.Query()
	if clean, dropped := cleanView(v); dropped {
		// A form sent without a script: its empty fields and defaults leave the address.
		http.Redirect(w, r, viewAddress(clean), http.StatusFound)
		return
	}
	back, err := backCursors(v.Get("back"))
	if err != nil {
		h.renderStatus(w, r, http.StatusBadRequest, "This view's address is not valid", capitalize(err.Error())+". Start again from the overview.")
		return
	}
	q, err := parseUIQuery(v)
	if err != nil {
		h.renderStatus(w, r, http.StatusBadRequest, "This view's address is not valid", err.Error()+". Start again from the overview.")
		return
	}
	byStack, err := parseGrouping(v)
	if err != nil {
		h.renderStatus(w, r, http.StatusBadRequest, "This view's address is not valid", err.Error()+". Start again from the overview.")
		return
	}
	days := 30
	if v.Get("days") == "90" {
		days = 90
	}
	rendered := h.now()
	ctx, cancel := h.storeContext(r)
	defer cancel()
	page, err := h.store.ListImages(ctx, q.Filter, q.Sort, q.Page)
	if err != nil {
		if isClientError(err) {
			h.renderStatus(w, r, http.StatusBadRequest, "This view's address is not valid", plainError(err, store.ErrInvalid, store.ErrInvalidCursor)+". Start again from the overview.")
			return
		}
		h.serverError(w, r, err)
		return
	}
	sum, err := h.store.Summary(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	tags, err := h.store.ListTags(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	today := h.now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(days - 1))
	counts, err := h.store.CountEventsPerDay(ctx, since)
	if err != nil {
		h.serverError(w, r, err)
		return
	}

	d := overviewData{
		Filter: q.Filter, Sort: q.Sort, Tags: tags, States: store.States, Sorts: sortOptions(byStack), Providers: providers,
		Shown: len(page.Images), IsFirst: q.Page.Cursor == "", LastNotification: sum.LastNotification, LastCheck: sum.LastCheck,
		Chart:    newChart(counts, since, days),
		Filtered: q.Filter.Hostname != "" || q.Filter.Tag != "" || q.Filter.Provider != "" || q.Filter.Query != "" || q.Filter.Stack != "",
		Query:    r.URL.RawQuery,
		Rendered: rendered,
	}
	d.ByStack, d.NoStackURL = byStack, viewWithout(v, "stack")
	// Diun never resends: a refusal since the last notification that got through is worth
	// saying where people look, not only on the Connect page.
	if h.opts.Rejected != nil {
		if rej, ok := h.opts.Rejected.Last(); ok && (sum.LastNotification == nil || rej.At.After(*sum.LastNotification)) {
			d.Refused = &rej
		}
	}
	d.StateArg = string(q.Filter.State)
	if d.StateArg == "" {
		d.StateArg = "all"
	}
	hosts, totals := sum.ByHost()
	perHost := map[string]store.StateCounts{}
	for _, c := range hosts {
		perHost[c.Hostname] = c.StateCounts
		// The images without a hostname have no name to filter on: "" means all hosts.
		if c.Hostname != "" {
			d.Hosts = append(d.Hosts, c.Hostname)
		}
	}
	if _, known := perHost[q.Filter.Hostname]; !known && q.Filter.Hostname != "" {
		d.GoneHost = q.Filter.Hostname
	}
	// The tabs, the host headings and the pager count the view, not every image.
	view, err := h.viewCounts(ctx, q.Filter, perHost, totals)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Totals = view.totals
	index := map[string]int{}
	for _, img := range page.Images {
		i, ok := index[img.Hostname]
		if !ok {
			i = len(d.Groups)
			index[img.Hostname] = i
			d.Groups = append(d.Groups, hostGroup{Host: img.Hostname, Key: "host-" + url.QueryEscape(img.Hostname), Counts: view.perHost[img.Hostname]})
		}
		d.Groups[i].Images = append(d.Groups[i].Images, h.row(img))
	}
	for i := range d.Groups {
		d.Groups[i].setActions(q.Filter)
	}
	if d.ByStack {
		d.Groups = groupByStack(d.Groups)
	}
	d.Pager = newPager(v, back, q.Page.Limit, len(page.Images), page.NextCursor, viewTotal(q.Filter, view.totals))
	d.ChartURL, d.StateURLs, d.ClearURL = viewURLs(v, days)
	d.ChartOpen = v.Has("days")
	d.Fresh = totals == (store.StateCounts{}) && sum.LastNotification == nil

	// The window's title counts every open update, whatever the view: it is what waits.
	p := h.newPage(r, countedTitle(totals.Open), "overview", d)
	p.Live = true
	if err := h.renderRows(d.Groups, knownRows(r)); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "overview", p)
}

// viewCounted is what the view holds per host and state, and over all its hosts.
type viewCounted struct {
	perHost map[string]store.StateCounts
	totals  store.StateCounts
}

// viewCounts counts the view f per host and state (every state: they are the tabs). A view
// filtered on host and state alone reads the counts that triggers keep (the summary's,
// perHost and totals); one filtered on tag, text, provider or stack counts its images.
func (h *Handler) viewCounts(ctx context.Context, f store.ImageFilter, perHost map[string]store.StateCounts, totals store.StateCounts) (viewCounted, error) {
	if !filtersRows(f) {
		if f.Hostname == "" && !f.ExactHost {
			return viewCounted{perHost: perHost, totals: totals}, nil
		}
		c := perHost[f.Hostname]
		return viewCounted{perHost: map[string]store.StateCounts{f.Hostname: c}, totals: c}, nil
	}
	rows, err := h.store.CountImagesMatching(ctx, f)
	if err != nil {
		return viewCounted{}, err
	}
	v := viewCounted{perHost: map[string]store.StateCounts{}}
	for _, c := range rows {
		hc := v.perHost[c.Hostname]
		hc.Add(c.State, c.Images)
		v.perHost[c.Hostname] = hc
		v.totals.Add(c.State, c.Images)
	}
	return v, nil
}

// filtersRows tells whether f filters on more than host and state: on what the maintained
// counts (image_counts) do not count by.
func filtersRows(f store.ImageFilter) bool {
	return f.Tag != "" || f.Query != "" || f.Provider != "" || f.Stack != ""
}

// viewTotal is how many images the view f has on all pages: the view's counts in its state,
// or in every state.
func viewTotal(f store.ImageFilter, c store.StateCounts) int64 {
	if f.State == "" {
		return c.Open + c.Acknowledged + c.Snoozed + c.Ignored
	}
	return stateCount(c, f.State)
}

// countedTitle is the overview's title, with the open updates first, as "(5) Updates": a
// browser tab says how many wait without being looked at. app.js keeps it current.
func countedTitle(open int64) string {
	if open == 0 {
		return title("Updates")
	}
	return fmt.Sprintf("(%d) %s", open, title("Updates"))
}

// setActions picks the group's actions for the view f and counts what they act on.
func (g *hostGroup) setActions(f store.ImageFilter) {
	g.ActsOn = f.State
	if g.ActsOn == "" {
		g.ActsOn = store.StateOpen
	}
	g.Actions = hostActions(g.ActsOn)
	if f.State == "" {
		for i := range g.Actions {
			g.Actions[i].Label = strings.Replace(g.Actions[i].Label, " all", " all open", 1)
		}
	}
	g.ActionURL = hostActionURL(g.Host, f, string(g.ActsOn))
	for _, img := range g.Images {
		if img.State == g.ActsOn {
			g.Shown++
		}
	}
	// The group's counts are the view's (viewCounts), filtered or not.
	g.InView = stateCount(g.Counts, g.ActsOn)
	if g.InView == 0 {
		g.Actions = nil
	}
	g.Elsewhere = max(0, g.InView-int64(g.Shown))
	g.Filtered = filtersRows(f)
}

func stateCount(c store.StateCounts, s store.State) int64 {
	switch s {
	case store.StateAcknowledged:
		return c.Acknowledged
	case store.StateSnoozed:
		return c.Snoozed
	case store.StateIgnored:
		return c.Ignored
	}
	return c.Open
}

// viewURLs are the overview's links that change one thing of the view v and keep the rest:
// the chart's range, the state viewed, and clearing the filters (which keeps the range).
// None keeps the page (cursor) or a notice already shown.
func viewURLs(v url.Values, days int) (chartURL string, states map[string]string, clear string) {
	base := cloneValues(v)
	for _, k := range []string{"cursor", "back", "notice", "ns", "undo"} {
		base.Del(k)
	}
	enc := func(v url.Values) string {
		if len(v) == 0 {
			return "/"
		}
		return "/?" + v.Encode()
	}
	c := cloneValues(base)
	if days == 90 {
		c.Del("days")
	} else {
		c.Set("days", "90")
	}
	states = map[string]string{}
	for _, s := range append(store.States, "all") {
		sv := cloneValues(base)
		sv.Set("state", string(s))
		if s == store.StateOpen {
			sv.Del("state") // the default
		}
		states[string(s)] = enc(sv)
	}
	cl := url.Values{}
	if days == 90 {
		cl.Set("days", "90")
	}
	return enc(c), states, enc(cl)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// chart is the overview's bar chart of notifications per day, drawn as SVG on the server.
type chart struct {
	Days   int
	Total  int64
	Max    int64
	Bars   []bar
	Width  int
	Height int
	// Summary says in words what the chart shows, for screen readers.
	Summary string
}

type bar struct {
	X, Y, W, H int
	Day        string
	Events     int64
}

const (
	chartWidth  = 600
	chartHeight = 80
)

func newChart(counts []store.DayCount, since time.Time, days int) chart {
	byDay := map[string]int64{}
	c := chart{Days: days, Width: chartWidth, Height: chartHeight}
	for _, dc := range counts {
		byDay[dc.Day.Format(time.DateOnly)] = dc.Events
		c.Total += dc.Events
		c.Max = max(c.Max, dc.Events)
	}
	slot := chartWidth / days
	var busiest string
	var busiestN int64
	for i := range days {
		day := since.AddDate(0, 0, i).Format(time.DateOnly)
		n := byDay[day]
		hgt := 0
		if c.Max > 0 && n > 0 {
			hgt = max(2, int(n*int64(chartHeight-4)/c.Max))
		}
		c.Bars = append(c.Bars, bar{X: i * slot, Y: chartHeight - hgt, W: max(1, slot-1), H: hgt, Day: day, Events: n})
		if n > busiestN {
			busiest, busiestN = day, n
		}
	}
	c.Summary = fmt.Sprintf("%s in the last %d days.", plural(c.Total, "notification"), days)
	if busiestN > 0 {
		c.Summary += fmt.Sprintf(" The busiest day was %s with %d.", busiest, busiestN)
	}
	return c
}
