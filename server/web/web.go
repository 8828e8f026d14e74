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
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/store"
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
	Store   store.Store
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
}

// Handler serves the UI.
type Handler struct {
	opts  Options
	store store.Store
	auth  *auth.Authenticator
	hub   *live.Hub
	log   *slog.Logger
	pages map[string]*template.Template
	// assets maps a static file name to its content, gzipped copy and version hash.
	assets map[string]*asset
	now    func() time.Time
}

// New parses the templates and loads the assets.
func New(opts Options) (*Handler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = 5 * time.Second
	}
	if opts.Store == nil || opts.Auth == nil || opts.Webhook == nil {
		return nil, errors.New("web: Store, Auth and Webhook are required")
	}
	if opts.Hub == nil {
		opts.Hub = live.NewHub()
	}
	h := &Handler{opts: opts, store: opts.Store, auth: opts.Auth, hub: opts.Hub, log: opts.Logger, now: time.Now}
	if err := h.loadAssets(); err != nil {
		return nil, err
	}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	return h, nil
}

// Register adds the UI's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{file}", h.static)
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)

	mux.HandleFunc("GET /{$}", h.require(h.overview))
	mux.HandleFunc("GET /images/{id}", h.require(h.imagePage))
	mux.HandleFunc("POST /images/{id}", h.require(h.imageAction))
	mux.HandleFunc("POST /images/{id}/{action}", h.require(h.imageAction))
	mux.HandleFunc("POST /bulk", h.require(h.bulkAction))
	mux.HandleFunc("POST /restore", h.require(h.restore))
	mux.HandleFunc("POST /tags", h.require(h.createTag))
	mux.HandleFunc("GET /connect", h.require(h.connectPage))
	mux.HandleFunc("POST /connect/rotate", h.require(h.rotateToken))
	mux.HandleFunc("POST /tokens", h.require(h.createAPIToken))
	mux.HandleFunc("POST /tokens/{id}/revoke", h.require(h.revokeAPIToken))
	mux.HandleFunc("GET /events", h.require(h.events))
}

// SecurityHeaders sets the headers every response of the dashboard carries: a strict CSP
// (no inline script or style at all), no sniffing, no framing, no referrer to other sites.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) storeContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.opts.StoreTimeout)
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
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in first", "login": "/login"})
			return
		}
		if h.auth.Mode() == auth.ModeProxy {
			h.renderStatus(w, r, http.StatusUnauthorized, "Not signed in",
				fmt.Sprintf("This dashboard expects your reverse proxy to sign you in and to name you in the %s header. This request did not come through a trusted proxy with that header: check TRUSTED_PROXIES and the proxy's configuration.", h.auth.ProxyHeader()))
			return
		}
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = localReturn(r)
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
	}
}

// wantsJSON tells a fetch call from app.js (which asks for JSON) from a plain form post.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// localReturn is where a plain form post goes back to: the page it came from when that is a
// page of ours, else the overview.
func localReturn(r *http.Request) string {
	if v := r.FormValue("return"); safeLocal(v) {
		return v
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && safeLocal(ref.RequestURI()) {
		return ref.RequestURI()
	}
	return "/"
}

// safeLocal accepts a path on this site only: "/x", never "//evil" or "/\evil".
func safeLocal(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") && !strings.ContainsAny(p, "\r\n")
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
