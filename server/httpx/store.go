package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// DefaultStoreTimeout bounds the database work of one request when none is configured: a
// database that stopped answering costs a client a few seconds, not a hang.
const DefaultStoreTimeout = 5 * time.Second

// StoreContext bounds one request's database work by timeout (DefaultStoreTimeout when 0).
func StoreContext(r *http.Request, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = DefaultStoreTimeout
	}
	return context.WithTimeout(r.Context(), timeout)
}

// StoreStatus is the HTTP status of a store error: the store's own sentinel errors carry a
// message fit for the client; anything else is the database failing (503), which nobody
// should mistake for their own mistake.
func StoreStatus(err error) int {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, store.ErrInvalidCursor):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrInvalid):
		return http.StatusUnprocessableEntity
	}
	return http.StatusServiceUnavailable
}

// StoreError answers a store error in JSON; a failing database is logged and answered 503
// with Retry-After, without its details.
func StoreError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := StoreStatus(err)
	if status != http.StatusServiceUnavailable {
		WriteError(w, status, "%s", err)
		return
	}
	log.ErrorContext(r.Context(), "database error", append(LogAttrs(r), "err", err)...)
	w.Header().Set("Retry-After", "5")
	WriteError(w, http.StatusServiceUnavailable, "the database is unavailable; try again shortly")
}

// LogAttrs are a request's method, path and peer for a log line: short, and free of secrets
// (no query string: it may carry ?token=). Path and method are capped, so that a client cannot
// make one line as long as its request line (up to the header limit).
func LogAttrs(r *http.Request) []any {
	return []any{slog.String("method", ShownMethod(r)), slog.String("path", ShownPath(r)), slog.String("remote", r.RemoteAddr)}
}

// ShownPath is the request's path as logged or echoed: capped at 256 characters.
func ShownPath(r *http.Request) string { return textutil.Truncate(r.URL.Path, 256) }

// ShownMethod is the request's method as logged or echoed: capped at 16 characters.
func ShownMethod(r *http.Request) string { return textutil.Truncate(r.Method, 16) }

// TimeJSON renders an optional time as RFC 3339 in UTC, or null.
func TimeJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}
