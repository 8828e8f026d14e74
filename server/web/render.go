package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"diundashboard/internal/textutil"
	"diundashboard/server/auth"
	"diundashboard/server/httpx"
)

// pageNames are the templates in templates/ that are whole pages; layout.html and
// parts.html are shared by all of them.
var pageNames = []string{"overview", "image", "connect", "login", "status", "confirm", "tags", "notifications"}

func (h *Handler) parseTemplates() error {
	base, err := template.New("layout.html").Funcs(h.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		// A page may keep self-contained parts in files of their own (connect_diun.html).
		files := []string{"templates/" + name + ".html"}
		parts, _ := fs.Glob(templateFS, "templates/"+name+"_*.html")
		t, err := template.Must(base.Clone()).ParseFS(templateFS, append(files, parts...)...)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	return nil
}

// page is what every page template gets: its own data in Data, and what the layout needs.
type page struct {
	Title string
	// Nav marks the current section in the header: "overview", "tags" or "connect".
	Nav  string
	User string
	// CanLogout is true for a built-in sign-in session.
	CanLogout bool
	// Open warns that AUTH_MODE=none lets anyone in.
	Open bool
	// Live turns on the live stream for this page.
	Live bool
	// Notice is the outcome of a plain form post, shown once; Undo is its undo, a form.
	Notice  string
	Undo    *undo
	Version string
	Data    any
}

func (h *Handler) newPage(r *http.Request, title, nav string, data any) page {
	p := page{Title: title, Nav: nav, Version: h.opts.Version, Data: data, Open: h.auth.Mode() == auth.ModeNone}
	var undoAt string
	p.Notice, undoAt = signedNotice(r.URL.Query())
	p.Undo = undoForm(undoAt)
	if pr, ok := auth.FromContext(r.Context()); ok {
		p.User = pr.Name
		p.CanLogout = pr.Via == "session"
	}
	return p
}

// render executes a page into memory first, so that a template error becomes a clean 500
// instead of half a page. A request with "X-Fragment: main" (app.js refreshing a page) gets
// only the page's main element.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := h.pages[name]
	if !ok {
		h.serverError(w, r, fmt.Errorf("no template %q", name))
		return
	}
	entry := "layout.html"
	if r.Header.Get("X-Fragment") == "main" {
		entry = "main"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, entry, p); err != nil {
		h.serverError(w, r, fmt.Errorf("template %s: %w", name, err))
		return
	}
	w.Header().Add("Vary", "X-Fragment")
	writeHTML(w, r, status, buf.Bytes())
}

type statusData struct {
	Status  int
	Heading string
	Message string
}

// renderStatus answers with a short page that explains a refusal or an error.
func (h *Handler) renderStatus(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	if wantsJSON(r) {
		httpx.WriteJSON(w, status, map[string]string{"error": msg})
		return
	}
	h.render(w, r, status, "status", h.newPage(r, heading, "", statusData{Status: status, Heading: heading, Message: msg}))
}

// NotFound is the page a browser gets for an address that is no page of the dashboard.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.renderStatus(w, r, http.StatusNotFound, "Page not found", "This address is not a page of the dashboard.")
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "ui error", "method", textutil.Truncate(r.Method, 16), "path", textutil.Truncate(r.URL.Path, 256), "err", err)
	w.Header().Set("Retry-After", "5")
	msg := "The database did not answer in time, or something went wrong on the server. Try again in a moment; the server log has details."
	if wantsJSON(r) {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": msg})
		return
	}
	// No template here: the error may be the templates'.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "<!doctype html><title>Unavailable</title><h1>Unavailable</h1><p>%s</p><p><a href=\"/\">Back to the overview</a></p>", template.HTMLEscapeString(msg))
}

// title joins the parts of a page title, leaving out empty ones (an image without a host).
func title(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(append(kept, "DiunDashboard"), " · ")
}
