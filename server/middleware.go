package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/httpx"
)

type requestIDKey struct{}

// RequestID returns the id logRequests gave the request in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// logRequests gives each request an id (kept from a proxy's X-Request-Id when it is sane),
// echoes it in the reply and logs one line per request. The query string is never logged: it
// may carry the webhook token.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if rec.status >= 500 {
			level = slog.LevelWarn
		} else if r.URL.Path == "/webhook" || rec.status >= 400 {
			level = slog.LevelInfo
		}
		attrs := append(httpx.LogAttrs(r),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", id))
		if rec.status == http.StatusMisdirectedRequest {
			// The name to add to ALLOWED_HOSTS, when it is the operator's own.
			attrs = append(attrs, slog.String("host", textutil.Truncate(r.Host, 260)))
		}
		s.log.Log(r.Context(), level, "request", attrs...)
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote, for the log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// securityHeaders sets the headers every response of the dashboard carries: a strict CSP
// (no inline script or style at all), no sniffing, no framing, no referrer to other sites.
func securityHeaders(next http.Handler) http.Handler {
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

// crossOriginRefused answers a state-changing request that a browser sent from another site:
// in JSON for the API and the UI's fetch calls, like every other error there.
func crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	const why = "refused: this request to change data comes from another web site (its Origin or Sec-Fetch-Site says so); send it from the dashboard's own pages, or from a client that is not a browser (curl, a script) without an Origin header"
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json") {
		httpx.WriteError(w, http.StatusForbidden, "%s", why)
		return
	}
	http.Error(w, "403 Forbidden\n\n"+why, http.StatusForbidden)
}

// maxRequestURI bounds the path and query of a request. The dashboard's own addresses are far
// shorter; a long one only made the server write it back, in a redirect to the sign-in page
// or in its form, to whoever sent it (an outside review pipelined 60 KB ones).
const maxRequestURI = 8 << 10

// refuseLongURLs answers 414 to a request whose address is longer than maxRequestURI,
// without echoing it.
func refuseLongURLs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.RequestURI) > maxRequestURI {
			w.Header().Set("Connection", "close")
			httpx.WriteError(w, http.StatusRequestURITooLong, "the address of this request is %d bytes long; the dashboard takes at most %d: shorten its query", len(r.RequestURI), maxRequestURI)
			return
		}
		next.ServeHTTP(w, r)
	})
}
