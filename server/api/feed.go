package api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/auth"
	"diundashboard/server/httpx"
	"diundashboard/server/query"
	"diundashboard/server/store"
)

// FeedPath is the Atom feed: the images the API would list for the same filters (open updates
// by default; state=all for every recent change), newest activity first.
const FeedPath = "/api/v1/feed.atom"

// HasFeedToken tells whether r is a feed request that carries its API token in the URL
// (?token=): feed readers cannot send headers. Such a request is judged by that token alone,
// with no session or proxy header, so the Host check may let it through like any other
// request with a token.
func HasFeedToken(r *http.Request) bool {
	return r.URL.Path == FeedPath && r.URL.Query().Has("token")
}

// feedAuth is requireAuth for the feed, which also takes a read token as ?token=. Only this
// route does: a token in a URL ends up in access logs, browser history and reader settings,
// so it may only read, and no other route accepts one there. The dashboard's own request log
// never prints the query string.
func (h *Handler) feedAuth(next http.HandlerFunc) http.HandlerFunc {
	guarded := h.requireAuth(next)
	return func(w http.ResponseWriter, r *http.Request) {
		if !HasFeedToken(r) {
			guarded(w, r)
			return
		}
		tok := r.URL.Query().Get("token")
		if _, present := auth.BearerToken(r); present {
			httpx.WriteError(w, http.StatusBadRequest, "the request has both ?token= and an Authorization header; send the API token one way only")
			return
		}
		if !strings.HasPrefix(tok, auth.APITokenPrefix) {
			// The webhook's and METRICS_TOKEN open nothing here; say so without echoing it.
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard", error="invalid_token"`)
			httpx.WriteError(w, http.StatusUnauthorized, "?token= takes an API token of scope read (it starts with %s; make one on the Connect page); the webhook token and METRICS_TOKEN are not API tokens", auth.APITokenPrefix)
			return
		}
		// Judged by the token alone: a copy of the request with the token as its bearer.
		r2 := r.Clone(r.Context())
		r2.Header.Set("Authorization", "Bearer "+tok)
		p, ok, err := h.auth.Identify(r2)
		switch {
		case errors.Is(err, auth.ErrBadToken) || (err == nil && !ok):
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard", error="invalid_token"`)
			httpx.WriteError(w, http.StatusUnauthorized, "unknown or revoked API token in ?token=; make one of scope read on the Connect page")
			return
		case err != nil:
			httpx.StoreError(w, r, h.log, err)
			return
		case p.Scope != store.ScopeRead:
			httpx.WriteError(w, http.StatusForbidden, "this API token has the scope %s; a token in a URL must have the scope read (URLs end up in logs and reader settings): make a read token on the Connect page", p.Scope)
			return
		}
		next(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}
}

// The Atom 1.0 document (RFC 4287), written with encoding/xml, which escapes every text and
// attribute and replaces characters XML cannot carry.
type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Author    atomAuthor  `xml:"author"`
	Generator atomGen     `xml:"generator"`
	Links     []atomLink  `xml:"link"`
	Entries   []atomEntry `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomGen struct {
	Version string `xml:"version,attr,omitempty"`
	Name    string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    atomText       `xml:"summary"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// tagDate is the date of the feed's tag: URIs (RFC 4151). It never changes, so that entry ids
// stay the same from one release to the next.
const tagDate = "2026"

func (h *Handler) feed(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, err := query.ParseImages(v)
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	// A feed is newest first and has no pages: one page of limit entries (50 by default).
	page, err := h.store.ListImages(ctx, q.Filter, store.SortLastSeen, store.PageRequest{Limit: q.Page.Limit})
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	// Where each image's newest event came from, in one query: a feed reader learns that an
	// update was recovered from Diun rather than sent by its webhook.
	ids := make([]int64, len(page.Images))
	for i, img := range page.Images {
		ids[i] = img.ID
	}
	sources, err := h.store.LatestSources(ctx, ids)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	base := h.publicBase(r)
	authority := tagAuthority(base)
	filters := feedFilters(v)
	f := atomFeed{
		ID:        "tag:" + authority + "," + tagDate + ":feed" + queryPart(filters),
		Title:     feedTitle(q.Filter),
		Author:    atomAuthor{Name: "DiunDashboard"},
		Generator: atomGen{Name: "DiunDashboard", Version: h.version},
		Links: []atomLink{
			// The self link never carries the token.
			{Rel: "self", Type: "application/atom+xml", Href: base + FeedPath + queryPart(filters)},
			{Rel: "alternate", Type: "text/html", Href: base + "/" + queryPart(filters)},
		},
	}
	var newest time.Time
	for _, img := range page.Images {
		updated := img.LastSeen
		if img.StateChangedAt.After(updated) {
			updated = img.StateChangedAt
		}
		if updated.After(newest) {
			newest = updated
		}
		f.Entries = append(f.Entries, feedEntry(img, sources[img.ID], base, authority, updated))
	}
	if newest.IsZero() {
		newest = time.Now()
	}
	f.Updated = atomTime(newest)

	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	// no-store: a token in the URL, host and image names; no cache may keep them.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		h.log.Warn("cannot write the Atom feed", "err", err)
	}
}

// feedEntry is one image: its id names the host, the image and the digest, so that a new
// digest is a new entry and a change of state updates the entry. source is where its newest
// event came from ("" or webhook: Diun's webhook).
func feedEntry(img store.Image, source store.Source, base, authority string, updated time.Time) atomEntry {
	host := img.Hostname
	shownHost := host
	if shownHost == "" {
		shownHost = "(no hostname)"
	}
	kind := "update"
	if img.Status == "new" {
		kind = "new image"
	}
	e := atomEntry{
		ID:      "tag:" + authority + "," + tagDate + ":image/" + url.PathEscape(host) + "/" + url.PathEscape(img.Image) + "@" + url.PathEscape(img.Digest),
		Title:   fmt.Sprintf("%s on %s: %s (%s)", img.Image, shownHost, kind, img.State),
		Updated: atomTime(updated),
		Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: fmt.Sprintf("%s/images/%d", base, img.ID)}},
		Categories: []atomCategory{
			{Term: "state:" + string(img.State), Label: string(img.State)},
			{Term: "host:" + host, Label: shownHost},
		},
	}
	if u, err := url.Parse(img.HubLink); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		e.Links = append(e.Links, atomLink{Rel: "related", Type: "text/html", Href: img.HubLink})
	}
	if source != "" && source != store.SourceWebhook {
		e.Categories = append(e.Categories, atomCategory{Term: "source:" + string(source), Label: map[store.Source]string{
			store.SourceReconcile: "recovered from Diun", store.SourceBackfill: "known to Diun"}[source]})
	}
	for _, t := range img.Tags {
		e.Categories = append(e.Categories, atomCategory{Term: "tag:" + t.Name, Label: t.Name})
	}
	var s strings.Builder
	fmt.Fprintf(&s, "Diun saw %s of %s on %s", map[bool]string{true: "a new image", false: "an update"}[img.Status == "new"], img.Image, shownHost)
	if img.Platform != "" && img.Platform != "/" {
		fmt.Fprintf(&s, " (%s)", img.Platform)
	}
	fmt.Fprintf(&s, ". Digest %s.", img.Digest)
	switch source {
	case store.SourceReconcile:
		s.WriteString(" Recovered from Diun over gRPC: its webhook never reached the dashboard (down or unreachable then).")
	case store.SourceBackfill:
		s.WriteString(" Read from Diun over gRPC: Diun knew it when the dashboard connected (not announced).")
	}
	fmt.Fprintf(&s, " State: %s", img.State)
	if img.State == store.StateSnoozed && img.SnoozedUntil != nil {
		fmt.Fprintf(&s, " until %s", atomTime(*img.SnoozedUntil))
	}
	fmt.Fprintf(&s, ". First seen %s, last seen %s, %s.", atomTime(img.FirstSeen), atomTime(img.LastSeen), textutil.Plural(img.Notifications, "notification"))
	if img.Created != nil {
		fmt.Fprintf(&s, " Image built %s.", atomTime(*img.Created))
	}
	e.Summary = atomText{Type: "text", Text: s.String()}
	return e
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// feedTitle says what the filters select.
func feedTitle(f store.ImageFilter) string {
	what := "Updates"
	if f.State != "" {
		what = map[store.State]string{store.StateOpen: "Open updates", store.StateAcknowledged: "Acknowledged updates",
			store.StateSnoozed: "Snoozed updates", store.StateIgnored: "Ignored updates"}[f.State]
	}
	if f.Hostname != "" {
		what += " on " + f.Hostname
	}
	if f.Tag != "" {
		what += ", tag " + f.Tag
	}
	if f.Provider != "" {
		what += ", provider " + f.Provider
	}
	if f.Query != "" {
		what += ", matching " + f.Query
	}
	return "DiunDashboard: " + what
}

// feedFilters are the request's filters as a query for links and the feed id: the API's
// filter parameters only, never the token.
func feedFilters(v url.Values) url.Values {
	out := url.Values{}
	for _, name := range []string{"host", "state", "tag", "provider", "stack", "q", "limit"} {
		if s := v.Get(name); s != "" {
			out.Set(name, s)
		}
	}
	return out
}

func queryPart(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// publicBase is the dashboard's public URL for links: BASE_URL, else the request's own
// scheme and host.
func (h *Handler) publicBase(r *http.Request) string {
	if h.baseURL != "" {
		return strings.TrimRight(h.baseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// tagAuthority is the host name of base, for tag: URIs (no port, no brackets).
func tagAuthority(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "diundashboard.invalid"
	}
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		// An IPv6 address has colons, which end a tag's authority.
		return strings.ReplaceAll(host, ":", "-") + ".ipv6.invalid"
	}
	return host
}
