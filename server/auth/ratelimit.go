package auth

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginLimiter allows each client address a burst of sign-in attempts, then one every
// interval: enough for a person who mistypes, far too few to guess a password.
type loginLimiter struct {
	mu       sync.Mutex
	every    time.Duration
	burst    int
	clients  map[netip.Addr]*clientLimit
	lastSwep time.Time
}

type clientLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLoginLimiter(every time.Duration, burst int) *loginLimiter {
	return &loginLimiter{every: every, burst: burst, clients: map[netip.Addr]*clientLimit{}}
}

// clientKey is the bucket addr spends from. IPv6 clients usually own a whole /64: limit the
// prefix, not each address in it.
func clientKey(addr netip.Addr) netip.Addr {
	if addr.Is6() && !addr.Is4In6() {
		p, _ := addr.Prefix(64)
		return p.Addr()
	}
	return addr
}

// allow takes one attempt for addr; when it refuses, retry tells how long to wait.
func (l *loginLimiter) allow(addr netip.Addr, now time.Time) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	addr = clientKey(addr)
	c, ok := l.clients[addr]
	if !ok {
		c = &clientLimit{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.clients[addr] = c
	}
	c.seen = now
	r := c.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// wait tells, without taking anything, how long addr must wait before its next attempt would
// be allowed: 0 when it may try now. A client never seen costs no memory here.
func (l *loginLimiter) wait(addr netip.Addr, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[clientKey(addr)]
	if !ok {
		return 0
	}
	missing := 1 - c.lim.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing * float64(l.every))
}

// sweep forgets clients that have been quiet long enough to have a full bucket again.
func (l *loginLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSwep) < time.Minute {
		return
	}
	l.lastSwep = now
	idle := l.every * time.Duration(l.burst)
	for a, c := range l.clients {
		if now.Sub(c.seen) > idle {
			delete(l.clients, a)
		}
	}
}

// FailureLimiter is the sign-in limiter's mechanism for endpoints that take a token (the
// webhook, /metrics): each client address may fail a burst of times, then once every
// interval. Only failures are counted, so a client that presents the right token is never
// slowed down however many requests it sends; one that keeps failing is told to wait, which
// makes guessing a token hopeless. It is safe for concurrent use.
type FailureLimiter struct{ l *loginLimiter }

// NewFailureLimiter allows burst failures per client address, then one every interval.
func NewFailureLimiter(every time.Duration, burst int) *FailureLimiter {
	return &FailureLimiter{l: newLoginLimiter(every, burst)}
}

// Wait tells how long addr must wait before its credentials are checked again: 0 when it may
// try now. Asking costs the client nothing.
func (f *FailureLimiter) Wait(addr netip.Addr, now time.Time) time.Duration {
	return f.l.wait(addr, now)
}

// Fail counts one failure of addr. It returns how long addr must now wait (0 while it still
// has failures left), so that the caller can say once when a client starts being refused.
func (f *FailureLimiter) Fail(addr netip.Addr, now time.Time) time.Duration {
	if ok, retry := f.l.allow(addr, now); !ok {
		return retry
	}
	return f.l.wait(addr, now)
}
