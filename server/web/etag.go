package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"

	"diundashboard/server/auth"
)

// A live refresh of a page that would render what the browser already has should cost almost
// nothing: during a burst of notifications every open overview fetches itself again. The
// refresh's fragment (X-Fragment) carries an ETag built from what it is made of, and a request
// whose If-None-Match still matches is answered 304 before the store is read; the browser's
// fetch sends it by itself, since the answer is kept as no-cache.
//
// What a page is made of: the stored data, which the live hub's Version stands for (every
// change publishes an event once it is committed, and the version is read before the store, so
// a change committed after it moves it); the address; who asks and their cookies (the session,
// its CSRF token, a flash message, the theme); the fragment header and the rows the browser
// already shows (rowpatch.go); and the minute, since the page says "3 minutes ago" and the
// chart's days move, and so that a change that publishes no event (retention's prune, another
// replica while the bridge is down) shows within a minute.
// bootID keeps a restarted server, whose version starts again at 0, from matching old tags.

// bootID tells this process's page versions from any earlier process's.
var bootID = func() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// pageTag is the ETag of the page r asks for, as it would be rendered now.
func (h *Handler) pageTag(r *http.Request) string {
	d := sha256.New()
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], h.hub.Version())
	binary.BigEndian.PutUint64(n[8:], uint64(h.now().Unix()/60))
	d.Write(n[:])
	p, _ := auth.FromContext(r.Context())
	for _, s := range []string{bootID, r.URL.RequestURI(), r.Header.Get("X-Fragment"), r.Header.Get(rowsHeader), r.Header.Get("Cookie"), p.Via, p.Name, p.SessionHash} {
		d.Write([]byte(s))
		d.Write([]byte{0})
	}
	// Weak: the same page may go out gzipped or not.
	return `W/"` + hex.EncodeToString(d.Sum(nil)[:12]) + `"`
}

// revalidate answers 304 Not Modified when r's If-None-Match holds the page's tag as it would
// be rendered now, and returns nil: the handler is done. Otherwise it returns the writer to
// render into, which tags a 200 answer and lets the browser keep it, to revalidate each time.
func (h *Handler) revalidate(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if r.Header.Get("X-Fragment") == "" {
		// A navigation keeps no-store: a page the browser may store goes into its back/forward
		// cache with its live stream still open, and a few such pages used up the browser's six
		// connections to the server (found by the browser tests: each navigation then waited
		// seconds). The live refresh, which multiplies, asks for the fragment.
		return w
	}
	tag := h.pageTag(r)
	if etagMatches(r.Header.Get("If-None-Match"), tag) {
		setRevalidation(w.Header(), tag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return &taggedWriter{ResponseWriter: w, tag: tag}
}

// setRevalidation marks an answer as one the browser may keep but must revalidate before each
// use (no-cache, not no-store: a stored copy is what lets it send If-None-Match), for this
// person only.
func setRevalidation(hd http.Header, tag string) {
	hd.Set("ETag", tag)
	hd.Set("Cache-Control", "private, no-cache")
	// The full page and the live refresh's fragment share the address.
	hd.Add("Vary", "X-Fragment")
	hd.Add("Vary", rowsHeader)
	hd.Add("Vary", "Cookie")
}

// etagMatches applies If-None-Match's weak comparison.
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// taggedWriter adds the page's tag to a 200 answer; other answers (errors, redirects) keep
// the headers the handler gave them.
type taggedWriter struct {
	http.ResponseWriter
	tag         string
	wroteHeader bool
}

func (t *taggedWriter) WriteHeader(code int) {
	if !t.wroteHeader && code == http.StatusOK {
		setRevalidation(t.Header(), t.tag)
	}
	t.wroteHeader = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *taggedWriter) Write(b []byte) (int, error) {
	if !t.wroteHeader {
		t.WriteHeader(http.StatusOK)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (t *taggedWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
