package auth

import (
	"net/netip"
	"testing"
	"time"
)

// takeAll spends attempts for addr at now until one is refused, and returns how many passed
// and the wait the refusal asked for.
func takeAll(t *testing.T, l *loginLimiter, addr string, now time.Time) (passed int, retry time.Duration) {
	t.Helper()
	a := netip.MustParseAddr(addr)
	for range 1000 {
		ok, r := l.allow(a, now)
		if !ok {
			return passed, r
		}
		if r != 0 {
			t.Fatalf("an allowed attempt came with a wait of %v", r)
		}
		passed++
	}
	t.Fatalf("%s was never refused", addr)
	return
}

func TestLoginLimiterBurstThenRefuses(t *testing.T) {
	l := newLoginLimiter(10*time.Second, 10)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	passed, retry := takeAll(t, l, "203.0.113.7", t0)
	if passed != 10 {
		t.Fatalf("%d attempts passed at once; want the burst of 10", passed)
	}
	if retry <= 0 || retry > 10*time.Second {
		t.Errorf("refused with a wait of %v; want (0, 10s]", retry)
	}
	// A refusal costs nothing: still refused, still the same wait, however often one knocks.
	for range 5 {
		if ok, r := l.allow(netip.MustParseAddr("203.0.113.7"), t0); ok || r != retry {
			t.Fatalf("knocking again: ok=%v wait=%v; want refused with %v", ok, r, retry)
		}
	}
	// Other addresses have their own bucket.
	if passed, _ := takeAll(t, l, "203.0.113.8", t0); passed != 10 {
		t.Errorf("another IPv4 address got %d attempts; want 10", passed)
	}
	// IPv4-mapped IPv6 is not grouped by /64 with every other mapped address.
	if passed, _ := takeAll(t, l, "::ffff:198.51.100.1", t0); passed != 10 {
		t.Errorf("a mapped IPv4 address got %d attempts; want 10", passed)
	}
	if passed, _ := takeAll(t, l, "::ffff:198.51.100.2", t0); passed != 10 {
		t.Errorf("a second mapped IPv4 address got %d attempts; want 10 (it must not share the first one's /64)", passed)
	}
}

func TestLoginLimiterGroupsIPv6By64(t *testing.T) {
	l := newLoginLimiter(10*time.Second, 10)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// Five attempts from each of two addresses in one /64 spend the same bucket.
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"} {
		for i := range 5 {
			if ok, _ := l.allow(netip.MustParseAddr(a), t0); !ok {
				t.Fatalf("%s refused at attempt %d", a, i+1)
			}
		}
	}
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2::abcd", "2001:db8:1:2:1:2:3:4"} {
		if ok, _ := l.allow(netip.MustParseAddr(a), t0); ok {
			t.Errorf("%s got an eleventh attempt in its /64", a)
		}
	}
	// The neighbouring /64 is someone else.
	if passed, _ := takeAll(t, l, "2001:db8:1:3::1", t0); passed != 10 {
		t.Errorf("the next /64 got %d attempts; want 10", passed)
	}
	// An IPv6 address and an IPv4 one never share a bucket.
	if passed, _ := takeAll(t, l, "32.1.13.184", t0); passed != 10 { // 0x20010db8
		t.Errorf("an IPv4 address got %d attempts; want 10", passed)
	}
}

func TestLoginLimiterRecoversOverTime(t *testing.T) {
	l := newLoginLimiter(10*time.Second, 10)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	addr := netip.MustParseAddr("192.0.2.1")
	if passed, _ := takeAll(t, l, "192.0.2.1", t0); passed != 10 {
		t.Fatalf("burst of %d; want 10", passed)
	}
	if ok, _ := l.allow(addr, t0.Add(9*time.Second)); ok {
		t.Error("allowed before the interval had passed")
	}
	// One attempt back per interval…
	if passed, retry := takeAll(t, l, "192.0.2.1", t0.Add(10*time.Second)); passed != 1 || (retry-10*time.Second).Abs() > time.Millisecond {
		t.Errorf("after 10s: %d attempts, then a wait of %v; want 1, then 10s", passed, retry)
	}
	if passed, _ := takeAll(t, l, "192.0.2.1", t0.Add(40*time.Second)); passed != 3 {
		t.Errorf("after 30s more: %d attempts; want 3", passed)
	}
	// …and a whole burst after a quiet spell long enough to fill the bucket.
	if passed, _ := takeAll(t, l, "192.0.2.1", t0.Add(10*time.Minute)); passed != 10 {
		t.Errorf("after ten quiet minutes: %d attempts; want 10", passed)
	}
}

func TestLoginLimiterForgetsQuietClients(t *testing.T) {
	l := newLoginLimiter(10*time.Second, 10)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, a := range []string{"192.0.2.1", "192.0.2.2", "2001:db8::1"} {
		l.allow(netip.MustParseAddr(a), t0)
	}
	l.allow(netip.MustParseAddr("192.0.2.3"), t0.Add(90*time.Second))
	if len(l.clients) != 4 {
		t.Fatalf("%d clients remembered; want 4", len(l.clients))
	}
	// Past the idle time (interval × burst = 100s) the first three are forgotten; the one
	// seen 90s in is not.
	l.allow(netip.MustParseAddr("192.0.2.4"), t0.Add(150*time.Second))
	if len(l.clients) != 2 {
		t.Errorf("%d clients remembered after the sweep; want 2", len(l.clients))
	}
	if _, ok := l.clients[netip.MustParseAddr("192.0.2.3")]; !ok {
		t.Error("a recent client was forgotten")
	}
}

func TestFailureLimiterCountsOnlyFailures(t *testing.T) {
	f := NewFailureLimiter(10*time.Second, 10)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	addr := netip.MustParseAddr("198.51.100.9")
	// Asking is free: however often a client is checked, nothing is spent and nothing is kept.
	for range 1000 {
		if d := f.Wait(addr, t0); d != 0 {
			t.Fatalf("a client that never failed must wait %v", d)
		}
	}
	if n := len(f.l.clients); n != 0 {
		t.Fatalf("%d clients remembered after only asking; want 0", n)
	}
	// Nine failures leave one to spare; the tenth uses the burst up and says so once.
	for i := range 9 {
		if d := f.Fail(addr, t0); d != 0 {
			t.Fatalf("failure %d asks for a wait of %v; the burst is 10", i+1, d)
		}
	}
	if d := f.Wait(addr, t0); d != 0 {
		t.Fatalf("after 9 failures: wait %v, want 0", d)
	}
	if d := f.Fail(addr, t0); (d - 10*time.Second).Abs() > time.Millisecond {
		t.Fatalf("the tenth failure asks for %v; want 10s", d)
	}
	if d := f.Wait(addr, t0.Add(4*time.Second)); (d - 6*time.Second).Abs() > time.Millisecond {
		t.Errorf("4s later: wait %v, want 6s", d)
	}
	// Other clients, and the same client once the interval has passed, may try again.
	if d := f.Wait(netip.MustParseAddr("198.51.100.10"), t0); d != 0 {
		t.Errorf("another address must wait %v", d)
	}
	if d := f.Wait(addr, t0.Add(10*time.Second)); d != 0 {
		t.Errorf("after the interval: wait %v, want 0", d)
	}
	if d := f.Fail(addr, t0.Add(10*time.Second)); d <= 0 {
		t.Errorf("a failure right after the interval asks for no wait; want another 10s")
	}
}

func TestFailureLimiterGroupsIPv6By64(t *testing.T) {
	f := NewFailureLimiter(10*time.Second, 3)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, a := range []string{"2001:db8:7::1", "2001:db8:7::2", "2001:db8:7:0:ffff::3"} {
		f.Fail(netip.MustParseAddr(a), t0)
	}
	if d := f.Wait(netip.MustParseAddr("2001:db8:7::99"), t0); d <= 0 {
		t.Error("an address of a /64 that failed 3 times may try again at once")
	}
	if d := f.Wait(netip.MustParseAddr("2001:db8:8::1"), t0); d != 0 {
		t.Errorf("the next /64 must wait %v", d)
	}
}
