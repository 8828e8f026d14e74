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

// maxConcurrentReads bounds the page and API reads served at once. A read may build a large
// response (500 images with their metadata) and holds a database connection: without a bound,
// a few hundred slow or concurrent readers with a read token took the process to gigabytes and,
// on PostgreSQL, took every pooled connection, so that Diun's notifications failed (found by
// an outside review). Eight is far more than a few people and widgets need, and leaves most
// of PostgreSQL's default pool of 25 to the webhook.
const maxConcurrentReads = 8

// readQueueWait is how long a read waits for a free slot before it is answered 503.
const readQueueWait = 5 * time.Second

// limitReads makes GET requests of pages and the API wait up to queueWait for one of n slots
// (maxConcurrentReads, readQueueWait). The webhook, health checks, static files and the live
// stream are not reads of that kind and pass freely.
func limitReads(next http.Handler, n int, queueWait time.Duration) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !boundedRead(r) {
			next.ServeHTTP(w, r)
			return
		}
		wait := time.NewTimer(queueWait)
		defer wait.Stop()
		select {
		case slots <- struct{}{}:
		case <-wait.C:
			w.Header().Set("Retry-After", "5")
			httpx.WriteError(w, http.StatusServiceUnavailable, "too many reads at once; try again in a few seconds")
			return
		case <-r.Context().Done():
			return
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

func boundedRead(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	switch p := r.URL.Path; {
	case p == "/webhook", p == "/healthz", p == "/readyz", p == "/events", strings.HasPrefix(p, "/static/"):
		return false
	}
	return true
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
