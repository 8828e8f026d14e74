package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"diundashboard/server/api"
	"diundashboard/server/auth"
	"diundashboard/server/httpx"
)

// maxConcurrentReads bounds the page and API reads whose handlers run at once. A read may
// build a large response (500 images with their metadata) and holds a database connection:
// without a bound, a few hundred concurrent readers with a read token took the process to
// gigabytes and, on PostgreSQL, took every pooled connection, so that Diun's notifications
// failed (found by an outside review). Eight is far more than a few people and widgets need,
// and leaves most of PostgreSQL's default pool of 25 to the webhook.
const maxConcurrentReads = 8

// maxReadsPerPrincipal bounds the reads one user, API token or (with AUTH_MODE=none) client
// address has under way, the writing of the reply included: half of maxConcurrentReads, so
// that nobody alone can take every slot, and a client that reads its replies slowly only
// waits for itself.
const maxReadsPerPrincipal = maxConcurrentReads / 2

// readQueueWait is how long a read waits for a free slot before it is answered 503.
const readQueueWait = 5 * time.Second

// readLimiter bounds the GET requests of pages and the API (see boundedRead), after sign-in:
// a request that is not signed in holds no slot, since all it gets is a small page (sign-in,
// a redirect to it, a 401), and eight anonymous connections that never read their replies
// took every slot for the server's write timeout, again and again (an outside review's M1).
// A signed-in read takes one of its principal's slots, then a shared one; the handler writes
// into memory, so the shared slot is free again as soon as the handler is done, whoever reads
// the reply slowly.
type readLimiter struct {
	next http.Handler
	// identify names whose slots r takes, or reports false when r is not signed in.
	identify  func(r *http.Request) (principal string, ok bool)
	shared    chan struct{}
	perUser   int
	queueWait time.Duration

	mu    sync.Mutex
	users map[string]*userReads
}

// userReads are the slots of one principal; users counts the requests that hold or wait for
// one, so that the entry goes when the last of them is done.
type userReads struct {
	slots chan struct{}
	users int
}

func limitReads(next http.Handler, identify func(*http.Request) (string, bool), shared, perUser int, queueWait time.Duration) *readLimiter {
	return &readLimiter{next: next, identify: identify, shared: make(chan struct{}, shared), perUser: perUser,
		queueWait: queueWait, users: map[string]*userReads{}}
}

func (l *readLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !boundedRead(r) {
		l.next.ServeHTTP(w, r)
		return
	}
	who, ok := l.identify(r)
	if !ok {
		l.next.ServeHTTP(w, r)
		return
	}
	wait := time.NewTimer(l.queueWait)
	defer wait.Stop()
	mine := l.enter(who)
	defer l.leave(who, mine)
	if !l.take(w, r, mine.slots, wait.C) {
		return
	}
	defer func() { <-mine.slots }()
	if !l.take(w, r, l.shared, wait.C) {
		return
	}
	reply := &bufferedReply{w: w}
	func() {
		defer func() { <-l.shared }()
		l.next.ServeHTTP(reply, r)
	}()
	reply.send(r)
}

// take waits for a slot of slots until wait fires (then answers 503) or the client leaves.
func (l *readLimiter) take(w http.ResponseWriter, r *http.Request, slots chan struct{}, wait <-chan time.Time) bool {
	select {
	case slots <- struct{}{}:
		return true
	case <-wait:
		w.Header().Set("Retry-After", "5")
		httpx.WriteError(w, http.StatusServiceUnavailable, "too many reads at once; try again in a few seconds")
	case <-r.Context().Done():
	}
	return false
}

func (l *readLimiter) enter(who string) *userReads {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[who]
	if u == nil {
		u = &userReads{slots: make(chan struct{}, l.perUser)}
		l.users[who] = u
	}
	u.users++
	return u
}

func (l *readLimiter) leave(who string, u *userReads) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u.users--; u.users == 0 {
		delete(l.users, who)
	}
}

// boundedRead tells whether r is a read that takes a slot. The webhook, health checks,
// static files and the live stream are not reads of that kind and pass freely.
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

// readPrincipal names whose read slots r takes: the user or API token, or with
// AUTH_MODE=none, where everyone is the same "anonymous", the client address. The feed's
// ?token= counts as its bearer token, as the feed judges it.
func (s *Server) readPrincipal(r *http.Request) (string, bool) {
	if api.HasFeedToken(r) {
		if _, present := auth.BearerToken(r); !present {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+r.URL.Query().Get("token"))
		}
	}
	p, ok, err := s.auth.Identify(r)
	switch {
	case err != nil || !ok:
		return "", false
	case p.Via == "none":
		return "addr:" + s.auth.ClientIP(r).String(), true
	}
	return p.Via + ":" + p.Name, true
}

// bufferedReply keeps what a handler writes in memory, for readLimiter to send once the
// handler is done. It has no Unwrap: a flush would send the headers before the body.
type bufferedReply struct {
	w      http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (b *bufferedReply) Header() http.Header { return b.w.Header() }

func (b *bufferedReply) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedReply) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// send writes the reply to the client.
func (b *bufferedReply) send(r *http.Request) {
	if b.status == 0 {
		return // nothing written: net/http answers 200 with no body
	}
	hd := b.w.Header()
	if r.Method != http.MethodHead && hd.Get("Content-Length") == "" && b.status >= 200 && b.status != http.StatusNoContent && b.status != http.StatusNotModified {
		hd.Set("Content-Length", strconv.Itoa(b.body.Len()))
	}
	b.w.WriteHeader(b.status)
	_, _ = b.w.Write(b.body.Bytes())
}
