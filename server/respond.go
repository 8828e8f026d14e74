package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// errorBody is the shape of every error the server answers: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // served as application/json with nosniff: no HTML context
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{Error: fmt.Sprintf(format, args...)})
}

// storeError answers a Store error: the store's own sentinel errors carry a message fit for
// the client; anything else is the database failing, which is logged and answered 503 so
// that nobody mistakes it for their own mistake.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "%s", err)
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "%s", err)
	case errors.Is(err, store.ErrInvalidCursor):
		writeError(w, http.StatusBadRequest, "%s", err)
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "%s", err)
	default:
		s.log.ErrorContext(r.Context(), "database error", "method", shownMethod(r), "path", shownPath(r), "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the database is unavailable; try again shortly")
	}
}

// timeJSON renders an optional time as RFC 3339 or null.
func timeJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// logAttrsFor keeps log lines about a request short and free of secrets (no query string:
// it may carry ?token=).
func logAttrsFor(r *http.Request) []any {
	return []any{slog.String("method", shownMethod(r)), slog.String("path", shownPath(r)), slog.String("remote", r.RemoteAddr)}
}

// shownPath and shownMethod are the request's path and method as logged or echoed: capped, so
// that a client cannot make one log line or error body as long as its request line (up to
// MaxHeaderBytes).
func shownPath(r *http.Request) string   { return textutil.Truncate(r.URL.Path, 256) }
func shownMethod(r *http.Request) string { return textutil.Truncate(r.Method, 16) }
