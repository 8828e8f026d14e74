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

// allow takes one attempt for addr; when it refuses, retry tells how long to wait.
func (l *loginLimiter) allow(addr netip.Addr, now time.Time) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	// IPv6 clients usually own a whole /64: limit the prefix, not each address in it.
	if addr.Is6() && !addr.Is4In6() {
		p, _ := addr.Prefix(64)
		addr = p.Addr()
	}
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
