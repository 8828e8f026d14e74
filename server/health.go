package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"diundashboard/server/httpx"
	"diundashboard/server/store"
)

// healthz tells that the process serves HTTP; it does not touch the database, so an
// orchestrator does not restart the server while only the database is down.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.opts.Version})
}

// readyz tells whether the database answers within 2 seconds, and whether it stores
// notifications: after a batch it refused whole (a full disk), not for 15 s or until one
// is stored (store.IngestMeter).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); errors.Is(err, store.ErrNoSchema) || errors.Is(err, store.ErrFileGone) {
		// The database answers, wrongly: these errors say what happened and what to do.
		s.log.WarnContext(r.Context(), "not ready: "+err.Error())
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	} else if err != nil {
		s.log.WarnContext(r.Context(), "not ready: the database does not answer", "err", err)
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "the database does not answer"})
		return
	}
	if m, ok := s.store.(store.IngestMeter); ok {
		if err := m.IngestFailing(); err != nil {
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "notifications cannot be stored: " + store.WriteFailure(err)})
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": string(s.store.Dialect())})
}
