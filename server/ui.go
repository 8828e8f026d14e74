package server

import (
	"context"
	"errors"
	"net/http"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/store"
	"diundashboard/server/web"
)

// mountUI adds the web UI's routes. The templates are embedded, so failing to parse them is
// a bug in this build, not a condition to handle.
func (s *Server) mountUI() {
	ui, err := web.New(web.Options{
		Store: s.store, Auth: s.auth, Hub: s.hub, Webhook: s.token, Logger: s.log,
		StoreTimeout: s.opts.StoreTimeout, BaseURL: s.opts.BaseURL, Version: s.opts.Version,
	})
	if err != nil {
		panic(err)
	}
	ui.Register(s.mux)
}

// requireAuth guards the API: a signed-in browser session (the UI's fetch calls), an API
// token (Authorization: Bearer), a trusted proxy's user header, or anyone with AUTH_MODE=none.
// A token must have the scope the method needs (scopeFor).
func (s *Server) requireAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := s.auth.Identify(r)
		switch {
		case errors.Is(err, auth.ErrBadToken):
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unknown or revoked API token; make one on the Connect page")
			return
		case err != nil:
			s.storeError(w, r, err)
			return
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard"`)
			writeError(w, http.StatusUnauthorized, "this request needs an API token (Authorization: Bearer <token>, made on the Connect page) or a signed-in session")
			return
		}
		if want := scopeFor(r); !p.Allows(want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard", error="insufficient_scope", scope="`+string(want)+`"`)
			writeError(w, http.StatusForbidden, "this API token has the scope %s; %s %s needs %s: make a token with the scope write on the Connect page", p.Scope, shownMethod(r), shownPath(r), want)
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

// publish tells open pages that something changed.
func (s *Server) publish(kind string, imageID int64) {
	s.hub.Publish(live.Event{Kind: kind, ImageID: imageID})
}

// Hub is the live-update hub, for tests and for serving several handlers from one process.
func (s *Server) Hub() *live.Hub { return s.hub }

// sweep does the UI's housekeeping: expired sessions go, a rotated webhook token comes in.
func (s *Server) sweep(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	defer cancel()
	if _, err := s.auth.Sweep(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("cannot delete expired sessions", "err", err)
	}
	if err := s.token.reload(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("cannot read the webhook token", "err", err)
	}
}
