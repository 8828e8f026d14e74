// Package web is DiunDashboard's user interface: server-rendered html/template pages whose
// templates and assets are embedded in the binary. Every page and action works as a plain
// form and link; app.js, when it runs, turns actions into fetch calls with an undo notice and
// refreshes the page's main fragment when the live stream (Server-Sent Events) says that
// something changed.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"diundashboard/server/auth"
	"diundashboard/server/httpx"
	"diundashboard/server/live"
	"diundashboard/server/reconcile"
	"diundashboard/server/store"
	"diundashboard/server/triage"
	"diundashboard/server/webhook"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// WebhookToken is the webhook token as the Connect page shows and rotates it.
type WebhookToken interface {
	Token() string
	// Configured is true when the token comes from WEBHOOK_TOKEN and cannot be rotated here.
	Configured() bool
	Rotate(ctx context.Context) (string, error)
}

// Options configure the UI.
type Options struct {
	Store store.Store
	// Triage makes every change the UI makes.
	Triage  *triage.Service
	Auth    *auth.Authenticator
	Hub     *live.Hub
	Webhook WebhookToken
	Logger  *slog.Logger
	// StoreTimeout bounds the database work of one request.
	StoreTimeout time.Duration
	// BaseURL is the dashboard's public URL (BASE_URL), for the webhook URL shown on the
	// Connect page; empty means "as the browser reached us".
	BaseURL string
	Version string
	// Rejected, when set, is the record of refused webhook requests: the Connect page shows
	// the last one.
	Rejected *webhook.Rejections
	// Notify, when set, is shown on the Notifications page (notifications.go).
	Notify Notifier
	// Diun, when set, tells how each Diun of DIUN_GRPC is (the Connect page: connect_diun.go).
	Diun func() []reconcile.Status
	// DiunEvery is DIUN_RECONCILE (0: off).
	DiunEvery time.Duration
}

// Handler serves the UI.
type Handler struct {
	opts   Options
	store  store.Store
	triage *triage.Service
	auth   *auth.Authenticator
	hub    *live.Hub
	log    *slog.Logger
	pages  map[string]*template.Template
	// assets maps a static file name to its content, gzipped copy and version hash.
	assets map[string]*asset
	now    func() time.Time
	// streams counts the live-update streams open per principal (see events.go).
	streams streamCounter
	// newTokens holds each API token just made until the page that shows it (see flash.go).
	newTokens flashes
	// rejectedSeen throttles the refreshes a refused webhook request causes.
	rejectedSeen rateGate
}

// New parses the templates and loads the assets.
func New(opts Options) (*Handler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Store == nil || opts.Triage == nil || opts.Auth == nil || opts.Webhook == nil {
		return nil, errors.New("web: Store, Triage, Auth and Webhook are required")
	}
	if opts.Hub == nil {
		opts.Hub = live.NewHub()
	}
	h := &Handler{opts: opts, store: opts.Store, triage: opts.Triage, auth: opts.Auth, hub: opts.Hub, log: opts.Logger, now: time.Now}
	if err := h.loadAssets(); err != nil {
		return nil, err
	}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	if opts.Rejected != nil {
		// A Connect page left open shows a refused request as it happens. A client sending
		// wrong tokens in a loop refreshes the pages at most once every two seconds.
		opts.Rejected.OnRecord(func(webhook.Rejection) {
			if h.rejectedSeen.allow(time.Now(), 2*time.Second) {
				h.hub.Publish(live.Event{Kind: live.KindCheck})
			}
		})
	}
	return h, nil
}

// Register adds the UI's routes to mux. Every POST reads its body through form, with the
// limit its largest honest form needs; require comes first, so that the body of a request
// that is not signed in is never read at all.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{file}", h.static)
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.form(loginFormLimit, h.login))
	mux.HandleFunc("POST /logout", h.form(actionFormLimit, h.logout))

	mux.HandleFunc("GET /{$}", h.requireScope(store.ScopeRead, h.overview))
	mux.HandleFunc("GET /images/{id}", h.requireScope(store.ScopeRead, h.imagePage))
	mux.HandleFunc("POST /images/{id}", h.requireScope(store.ScopeWrite, h.form(actionFormLimit, h.imageAction)))
	mux.HandleFunc("POST /images/{id}/{action}", h.requireScope(store.ScopeWrite, h.form(actionFormLimit, h.imageAction)))
	mux.HandleFunc("POST /bulk", h.requireScope(store.ScopeWrite, h.form(bulkFormLimit, h.bulkAction)))
	mux.HandleFunc("POST /restore", h.requireScope(store.ScopeWrite, h.form(restoreFormLimit, h.restore)))
	mux.HandleFunc("POST /tags", h.requireScope(store.ScopeWrite, h.form(actionFormLimit, h.createTag)))
	mux.HandleFunc("GET /tags", h.requireScope(store.ScopeRead, h.tagsPage))
	mux.HandleFunc("POST /tags/new", h.requireScope(store.ScopeWrite, h.form(actionFormLimit, h.createTagHere)))
	mux.HandleFunc("POST /tags/{id}/rename", h.requireScope(store.ScopeWrite, h.form(actionFormLimit, h.renameTag)))
	mux.HandleFunc("POST /tags/{id}/delete", h.requireScope(store.ScopeWrite, h.form(actionFormLimit, h.deleteTag)))
	mux.HandleFunc("GET /connect", h.requirePerson(h.connectPage))
	h.registerNotifications(mux)
	mux.HandleFunc("POST /connect/rotate", h.requirePerson(h.form(actionFormLimit, h.rotateToken)))
	mux.HandleFunc("POST /tokens", h.requirePerson(h.form(actionFormLimit, h.createAPIToken)))
	mux.HandleFunc("POST /tokens/{id}/revoke", h.requirePerson(h.form(actionFormLimit, h.revokeAPIToken)))
	mux.HandleFunc("POST /sessions/revoke-all", h.requirePerson(h.form(actionFormLimit, h.revokeAllSessions)))
	mux.HandleFunc("GET /events", h.requireScope(store.ScopeRead, h.events))
}

func (h *Handler) storeContext(r *http.Request) (context.Context, context.CancelFunc) {
	return httpx.StoreContext(r, h.opts.StoreTimeout)
}

// require lets signed-in requests through. Others go to the sign-in page (builtin), or get
// a page that explains what is missing (proxy); fetch calls get 401 JSON.
func (h *Handler) require(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := h.auth.Identify(r)
		switch {
		case err != nil && !errors.Is(err, auth.ErrBadToken):
			h.serverError(w, r, err)
			return
		case ok:
			next(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
			return
		}
		if wantsJSON(r) || r.URL.Path == "/events" {
			httpx.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in first", "login": "/login"})
			return
		}
		if h.auth.Mode() == auth.ModeProxy {
			h.renderStatus(w, r, http.StatusUnauthorized, "Not signed in",
				fmt.Sprintf("This dashboard expects your reverse proxy to sign you in and to name you in the %s header. This request did not come through a trusted proxy with that header: check TRUSTED_PROXIES and the proxy's configuration.", h.auth.ProxyHeader()))
			return
		}
		// A GET comes back to itself after signing in; anything else to the page it was posted
		// from. Only the Referer says which: the body of a request that is not signed in is
		// never read, so that an anonymous client cannot make the server parse megabytes.
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = refererReturn(r)
		}
		if len(next) > maxReturnPath {
			next = "/" // what an anonymous request makes the server echo stays short
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
	}
}

// Body limits of the UI's forms (the API has its own). They are the largest form each route
// takes from an honest browser, so that a client cannot make the server read more: without
// them FormValue would take 10 MiB of a urlencoded body, or 32 MiB of a multipart one in
// memory, from anyone.
const (
	// loginFormLimit holds a username, a password and the page to go to afterwards.
	loginFormLimit = 16 << 10
	// actionFormLimit holds one action's fields (action, for, until, tag_id, new_tag,
	// confirm) and the address to return to, which may carry an overview's filters.
	actionFormLimit = 8 << 10
	// bulkFormLimit holds maxBulk ids of the longest form an id takes, besides the fields of
	// an action: 5,000 × 23 bytes + 8 KiB = 123,192 bytes.
	bulkFormLimit = int64(maxBulk*len("id=9223372036854775807&")) + actionFormLimit
	// restoreFormLimit holds the undo of a bulk action: maxBulk items id:from:until:to:until,
	// the colons encoded, of the longest form each part takes.
	restoreFormLimit = int64(maxBulk*len("item=9223372036854775807%3Aacknowledged%3A-9223372036854775808%3Aacknowledged%3A-9223372036854775808&")) + actionFormLimit
)

// form reads the body of r with parseForm before next runs, so that next finds its fields in
// r.Form and r.PostForm and nothing in the UI ever parses a body without a bound.
func (h *Handler) form(limit int64, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.parseForm(w, r, limit) {
			next(w, r)
		}
	}
}

// parseForm parses the body of r as application/x-www-form-urlencoded, at most limit bytes,
// into r.Form and r.PostForm. Every form of the UI, and app.js's URLSearchParams, is sent so:
// anything else (multipart above all, which Go would spool to memory and disk) is refused
// with 415 before a byte is read; a body over the limit with 413. Either way it answers r
// itself and returns false. A POST without a body (a lone button) needs no content type.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request, limit int64) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" || r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			// The body stays unread: closing the connection spares the server from draining it.
			w.Header().Set("Connection", "close")
			h.renderStatus(w, r, http.StatusUnsupportedMediaType, "Unsupported form encoding",
				"This form must be sent as application/x-www-form-urlencoded, the way a browser sends a plain form. Multipart and other encodings are not accepted.")
			return false
		}
	}
	if r.ContentLength > limit {
		h.formTooLarge(w, r, limit)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			h.formTooLarge(w, r, limit)
			return false
		}
		h.renderStatus(w, r, http.StatusBadRequest, "Bad request", "This form could not be read: "+err.Error()+".")
		return false
	}
	return true
}

func (h *Handler) formTooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	// What is left of the body is not worth reading.
	w.Header().Set("Connection", "close")
	h.renderStatus(w, r, http.StatusRequestEntityTooLarge, "Form too large",
		fmt.Sprintf("This form is larger than the dashboard accepts here (at most %s). Nothing was changed.", byteSize(limit)))
}

// byteSize says a size limit the way a person reads it.
func byteSize(n int64) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// wantsJSON tells a fetch call from app.js (which asks for JSON) from a plain form post.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// localReturn is where a plain form post goes back to: its "return" field (the confirmation
// page sets one), else the page it came from, else the overview. It reads r.Form, never
// r.FormValue, which would parse a body that form has not bounded.
func localReturn(r *http.Request) string {
	if p, ok := localPath(r.Form.Get("return")); ok {
		return p
	}
	return refererReturn(r)
}

// refererReturn is the page of ours that r came from, or the overview.
func refererReturn(r *http.Request) string {
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host != "" && ref.Host == r.Host {
		if p, ok := localPath(ref.RequestURI()); ok {
			return p
		}
	}
	return "/"
}

// maxReturnPath bounds an address to return to (a sign-in's next, an action's return): the
// dashboard's own are far shorter, and the sign-in page and its redirect echo it to anyone.
const maxReturnPath = 2 << 10

// localPath returns p rebuilt as a path and query on this site ("/x?y"), and false when p is
// anything else. Browsers forgive a lot in a Location: they drop tabs and newlines anywhere
// ("/<TAB>/evil" becomes "//evil", another host) and read a backslash as a slash ("/\evil"),
// so any such character refuses the whole value rather than being cleaned away. The raw
// string is never what a redirect sends: it sends the URL as parsed and encoded again, so
// what passed these checks is exactly what the browser gets.
func localPath(p string) (string, bool) {
	if len(p) > maxReturnPath || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || !plainText(p) {
		return "", false
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	// The decoded path obeys the same rules: "/%2F/evil" or "/%09/evil" is not a page of
	// ours, and whatever later decodes it must not find a host in it either.
	if !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || !plainText(u.Path) {
		return "", false
	}
	out := u.RequestURI()
	return out, len(out) <= maxReturnPath
}

// plainText refuses what a URL parser may drop or reinterpret: invalid UTF-8, spaces and
// control characters (ASCII or not), invisible formatting characters and the backslash.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f || c == '\\' || unicode.IsControl(c) || unicode.IsSpace(c) || unicode.Is(unicode.Cf, c) {
			return false
		}
	}
	return true
}

// asset is one embedded static file.
type asset struct {
	body, gz    []byte
	contentType string
	version     string
}

func (h *Handler) loadAssets() error {
	h.assets = map[string]*asset{}
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a := &asset{body: body, version: hex.EncodeToString(sum[:6]), contentType: contentTypes[path.Ext(p)]}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		a.gz = buf.Bytes()
		h.assets[path.Base(p)] = a
		return nil
	})
}

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// assetURL names a static file with its content hash, so that it can be cached for good.
func (h *Handler) assetURL(name string) string {
	a, ok := h.assets[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + a.version
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	if r.URL.Query().Get("v") == a.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	hd.Set("ETag", `"`+a.version+`"`)
	hd.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == `"`+a.version+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	_, _ = w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// gzipPool recycles compressors: a gzip.Writer allocates about 800 KB. BestSpeed: pages are
// repetitive markup that even level 1 shrinks about tenfold, at a third of the CPU.
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// writeHTML sends a rendered page, gzipped when the client accepts it and it is worth it.
func writeHTML(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Accept-Encoding")
	if len(body) < 1024 || !acceptsGzip(r) {
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	hd.Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(w)
	_, _ = zw.Write(body)
	_ = zw.Close()
	gzipPool.Put(zw)
}
