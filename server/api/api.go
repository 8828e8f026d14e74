// Package api is the JSON API under /api/v1: images, their events and triage, tags and the
// summary. Reads need a signed-in person or an API token of scope read; changes need a person
// or a token of scope write, and go through the triage service.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/httpx"
	"diundashboard/server/query"
	"diundashboard/server/store"
	"diundashboard/server/triage"
)

// maxBody bounds the JSON bodies of API writes (a tag name, a snooze).
const maxBody = 64 << 10

// Options configure the Handler.
type Options struct {
	Store  store.Store
	Triage *triage.Service
	Auth   *auth.Authenticator
	Logger *slog.Logger
	// StoreTimeout bounds the database work of one request.
	StoreTimeout time.Duration
	// BaseURL is the dashboard's public URL, for the feed's links; "" uses the request's.
	BaseURL string
	// Version is the feed's generator version.
	Version string
}

// Handler serves the API.
type Handler struct {
	store   store.Store
	triage  *triage.Service
	auth    *auth.Authenticator
	log     *slog.Logger
	timeout time.Duration
	baseURL string
	version string
}

// New returns the API's handler.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Handler{store: opts.Store, triage: opts.Triage, auth: opts.Auth, log: opts.Logger, timeout: opts.StoreTimeout,
		baseURL: opts.BaseURL, version: opts.Version}
}

// Register adds the API's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/images", h.requireAuth(h.listImages))
	mux.HandleFunc("GET /api/v1/images/{id}", h.requireAuth(h.getImage))
	mux.HandleFunc("DELETE /api/v1/images/{id}", h.requireAuth(h.deleteImage))
	mux.HandleFunc("GET /api/v1/images/{id}/events", h.requireAuth(h.listEvents))
	mux.HandleFunc("GET /api/v1/images/{id}/changes", h.requireAuth(h.listChanges))
	mux.HandleFunc("POST /api/v1/images/{id}/acknowledge", h.requireAuth(h.transition(store.StateAcknowledged)))
	mux.HandleFunc("POST /api/v1/images/{id}/reopen", h.requireAuth(h.transition(store.StateOpen)))
	mux.HandleFunc("POST /api/v1/images/{id}/ignore", h.requireAuth(h.transition(store.StateIgnored)))
	mux.HandleFunc("POST /api/v1/images/{id}/snooze", h.requireAuth(h.snooze))
	mux.HandleFunc("POST /api/v1/hosts/{hostname}/acknowledge", h.requireAuth(h.acknowledgeHost))
	mux.HandleFunc("PUT /api/v1/images/{id}/tags/{tag_id}", h.requireAuth(h.attachTag))
	mux.HandleFunc("DELETE /api/v1/images/{id}/tags/{tag_id}", h.requireAuth(h.detachTag))

	mux.HandleFunc("GET /api/v1/tags", h.requireAuth(h.listTags))
	mux.HandleFunc("POST /api/v1/tags", h.requireAuth(h.createTag))
	mux.HandleFunc("PATCH /api/v1/tags/{id}", h.requireAuth(h.renameTag))
	mux.HandleFunc("DELETE /api/v1/tags/{id}", h.requireAuth(h.deleteTag))

	mux.HandleFunc("GET /api/v1/summary", h.requireAuth(h.summary))
	// The only route that also takes a (read) token as ?token=: see feed.go.
	mux.HandleFunc("GET /api/v1/feed.atom", h.feedAuth(h.feed))
}

// requireAuth guards the API: a signed-in browser session (the UI's fetch calls), an API
// token (Authorization: Bearer), a trusted proxy's user header, or anyone with AUTH_MODE=none.
// A token must have the scope the method needs (scopeFor).
func (h *Handler) requireAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := h.auth.Identify(r)
		switch {
		case errors.Is(err, auth.ErrBadToken):
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard", error="invalid_token"`)
			httpx.WriteError(w, http.StatusUnauthorized, "unknown or revoked API token; make one on the Connect page")
			return
		case err != nil:
			httpx.StoreError(w, r, h.log, err)
			return
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard"`)
			httpx.WriteError(w, http.StatusUnauthorized, "this request needs an API token (Authorization: Bearer <token>, made on the Connect page) or a signed-in session")
			return
		}
		if want := scopeFor(r); !p.Allows(want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard", error="insufficient_scope", scope="`+string(want)+`"`)
			httpx.WriteError(w, http.StatusForbidden, "this API token has the scope %s; %s %s needs %s: make a token with the scope write on the Connect page", p.Scope, httpx.ShownMethod(r), httpx.ShownPath(r), want)
			return
		}
		next(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}
}

// scopeFor is the token scope a request to the API needs: reads need read, every change
// (triage, tags, delete) needs write. The API has no credential management: that is the UI's,
// for people only.
func scopeFor(r *http.Request) store.TokenScope {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return store.ScopeRead
	}
	return store.ScopeWrite
}

// actor names who makes a change, for the audit trail: the principal requireAuth found.
func actor(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.Name
}

// pathID reads the {name} path value as a row id, answering 400 when it is not one.
func pathID(w http.ResponseWriter, r *http.Request, name, what string) (int64, bool) {
	id, err := query.ParseID(what, r.PathValue(name))
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "%s", err)
		return 0, false
	}
	return id, true
}
