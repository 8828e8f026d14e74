package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// A new API token is shown once, on the page after the form that made it. The form is
// answered with a redirect (post/redirect/get: reloading that page must not make another
// token), and the token must not travel in the URL, which the history, the logs and the
// Referer keep. So it waits here, in memory, under a random id that a short-lived cookie
// carries to the next GET of /connect, which takes it: it is shown once, to the person who
// made it, within flashTTL. A redirect that reaches another replica finds nothing, and the
// page says so (the token can then be revoked and made again).
const (
	flashCookie = "dd_new_token"
	flashTTL    = 2 * time.Minute
	// maxFlashes bounds what is held: only people signed in make tokens, a few at a time.
	maxFlashes = 64
)

type flash struct {
	token   string
	made    store.APIToken
	owner   string
	expires time.Time
}

// flashes holds the tokens waiting for their page.
type flashes struct {
	mu sync.Mutex
	m  map[string]flash
}

// put keeps a token for owner and returns the id that finds it.
func (f *flashes) put(owner, token string, made store.APIToken, now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]flash{}
	}
	for k, v := range f.m {
		if now.After(v.expires) || len(f.m) >= maxFlashes {
			delete(f.m, k)
		}
	}
	f.m[id] = flash{token: token, made: made, owner: owner, expires: now.Add(flashTTL)}
	return id
}

// take returns the token kept under id for owner, once.
func (f *flashes) take(id, owner string, now time.Time) (flash, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.m[id]
	if !ok || fl.owner != owner {
		return flash{}, false
	}
	delete(f.m, id)
	return fl, now.Before(fl.expires)
}

// flashOwner is who may see a token: the principal that made it.
func flashOwner(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.Via + ":" + p.Name
}

func (h *Handler) setFlashCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: id, Path: "/connect", MaxAge: int(flashTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: auth.IsHTTPS(r, h.auth.TrustsProxy(r))})
}

// takeFlash returns the token the request's cookie names, and clears the cookie. missed is
// true when the cookie named a token that is no longer here.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) (fl flash, ok, missed bool) {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return flash{}, false, false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/connect", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: auth.IsHTTPS(r, h.auth.TrustsProxy(r))})
	fl, ok = h.newTokens.take(c.Value, flashOwner(r), h.now())
	return fl, ok, !ok
}

// rateGate lets one thing through at most once per interval.
type rateGate struct {
	mu   sync.Mutex
	last time.Time
}

func (g *rateGate) allow(now time.Time, every time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.last) < every {
		return false
	}
	g.last = now
	return true
}
