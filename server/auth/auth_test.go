package auth

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
)

const (
	testUser     = "admin"
	testPassword = "correct horse battery"
)

// testHash is bcrypt at its lowest cost, so that the many sign-ins below stay fast.
var testHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t *testing.T) store.Store {
	t.Helper()
	return storetest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"))
}

// clock is a settable time for Authenticator.now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }
func mustProxies(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseTrustedProxies(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newAuth(t *testing.T, cfg Config, st store.AuthStore, c *clock) *Authenticator {
	t.Helper()
	a, err := New(cfg, st, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	if c != nil {
		a.now = c.now
	}
	return a
}

// request is a request from remote (host:port) with header pairs.
func request(remote string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func TestParseMode(t *testing.T) {
	for _, c := range []struct {
		raw, user, header string
		want              Mode
	}{
		{"", "", "", ModeBuiltin},
		{"", "alice", "", ModeBuiltin},
		{"", "", "Remote-User", ModeProxy},
		{"", "alice", "Remote-User", ModeBuiltin}, // a user of its own wins over the header
		{"builtin", "", "Remote-User", ModeBuiltin},
		{" Builtin ", "", "", ModeBuiltin},
		{"proxy", "", "", ModeProxy},
		{"PROXY", "alice", "", ModeProxy},
		{"none", "", "", ModeNone},
		{"None", "alice", "Remote-User", ModeNone},
	} {
		got, err := ParseMode(c.raw, c.user, c.header)
		if err != nil || got != c.want {
			t.Errorf("ParseMode(%q, %q, %q) = %q, %v; want %q", c.raw, c.user, c.header, got, err, c.want)
		}
	}
	for _, raw := range []string{"open", "off", "basic", "oidc", "builtin,proxy", "nonе" /* Cyrillic e */, "0"} {
		got, err := ParseMode(raw, "", "")
		if err == nil {
			t.Errorf("ParseMode(%q) = %q; want an error", raw, got)
			continue
		}
		if got != "" || !strings.Contains(err.Error(), "AUTH_MODE") || !strings.Contains(err.Error(), raw) || !strings.Contains(err.Error(), "builtin, proxy or none") {
			t.Errorf("ParseMode(%q) = %q, %q; want no mode and an error naming the value and the choices", raw, got, err)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}}, // masked
		{"192.168.1.10", []string{"192.168.1.10/32"}},
		{"::1", []string{"::1/128"}},
		{"fd00::/8", []string{"fd00::/8"}},
		{"2001:db8::7", []string{"2001:db8::7/128"}},
		{"::ffff:10.0.0.1", []string{"10.0.0.1/32"}}, // peers are compared unmapped
		{"10.0.0.1,172.16.0.0/12,fd00::/8", []string{"10.0.0.1/32", "172.16.0.0/12", "fd00::/8"}},
		{"10.0.0.1 172.16.0.0/12", []string{"10.0.0.1/32", "172.16.0.0/12"}},
		{" 10.0.0.1, ,, 172.16.0.0/12 ,::1 ", []string{"10.0.0.1/32", "172.16.0.0/12", "::1/128"}},
	} {
		got, err := ParseTrustedProxies(c.raw)
		if err != nil {
			t.Errorf("ParseTrustedProxies(%q): %v", c.raw, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if strings.Join(s, " ") != strings.Join(c.want, " ") {
			t.Errorf("ParseTrustedProxies(%q) = %v; want %v", c.raw, s, c.want)
		}
	}
	for raw, bad := range map[string]string{
		"10.0.0.300":                 "10.0.0.300",
		"proxy.local":                "proxy.local",
		"10.0.0.0/33":                "10.0.0.0/33",
		"10.0.0.1,nope,172.16.0.0/8": "nope",
		"10.0.0.1 10.0.0.*":          "10.0.0.*",
		"fd00::/129":                 "fd00::/129",
		"10.0.0.1;10.0.0.2":          "10.0.0.1;10.0.0.2",
	} {
		got, err := ParseTrustedProxies(raw)
		if err == nil {
			t.Errorf("ParseTrustedProxies(%q) = %v; want an error", raw, got)
			continue
		}
		if got != nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("ParseTrustedProxies(%q) = %v, %q; want no prefixes and an error naming %q", raw, got, err, bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	proxies := mustProxies(t, "10.0.0.0/8")
	for name, c := range map[string]Config{
		"builtin":             {Mode: ModeBuiltin, Username: "admin", PasswordHash: testHash},
		"builtin, argon2id":   {Mode: ModeBuiltin, Username: "admin", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
		"proxy":               {Mode: ModeProxy, ProxyHeader: "Remote-User", TrustedProxies: proxies},
		"none":                {Mode: ModeNone},
		"none, cookie true":   {Mode: ModeNone, CookieSecure: "true"},
		"none, cookie false":  {Mode: ModeNone, CookieSecure: "false"},
		"none, cookie auto":   {Mode: ModeNone, CookieSecure: "auto"},
		"none, stray entries": {Mode: ModeNone, Username: "x", PasswordHash: "not a hash"},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, c := range map[string]struct {
		cfg  Config
		want string
	}{
		"builtin, no username":  {Config{Mode: ModeBuiltin, PasswordHash: testHash}, "AUTH_USERNAME"},
		"builtin, no hash":      {Config{Mode: ModeBuiltin, Username: "admin"}, "AUTH_PASSWORD_HASH"},
		"builtin, nothing":      {Config{Mode: ModeBuiltin}, "needs AUTH_USERNAME and AUTH_PASSWORD_HASH"},
		"builtin, bad hash":     {Config{Mode: ModeBuiltin, Username: "admin", PasswordHash: "hunter2"}, "AUTH_PASSWORD_HASH must be a bcrypt"},
		"proxy, no header":      {Config{Mode: ModeProxy, TrustedProxies: proxies}, "AUTH_PROXY_HEADER"},
		"proxy, no proxies":     {Config{Mode: ModeProxy, ProxyHeader: "Remote-User"}, "TRUSTED_PROXIES"},
		"proxy, nothing":        {Config{Mode: ModeProxy}, "AUTH_MODE=proxy needs"},
		"no mode":               {Config{Username: "admin", PasswordHash: testHash}, "is not builtin, proxy or none"},
		"unknown mode":          {Config{Mode: "open"}, `"open"`},
		"bad cookie setting":    {Config{Mode: ModeNone, CookieSecure: "yes"}, "COOKIE_SECURE"},
		"builtin, cookie wrong": {Config{Mode: ModeBuiltin, Username: "admin", PasswordHash: testHash, CookieSecure: "TRUE"}, "COOKIE_SECURE"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v; want an error saying %q", name, err, c.want)
		}
		if c.cfg.CookieSecure == "" { // New fills in CookieSecure; the rest must still be refused
			if a, err := New(c.cfg, nil, quietLog); err == nil || a != nil {
				t.Errorf("%s: New accepted the configuration", name)
			}
		}
	}
}

func TestClientIP(t *testing.T) {
	a := newAuth(t, Config{Mode: ModeNone, TrustedProxies: mustProxies(t, "10.0.0.0/8, ::1")}, nil, nil)
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "203.0.113.5:1234", nil, "203.0.113.5"},
		{"untrusted peer's header is ignored", "203.0.113.5:1234", []string{"1.2.3.4"}, "203.0.113.5"},
		{"untrusted peer claiming a trusted hop", "203.0.113.5:1234", []string{"10.0.0.9"}, "203.0.113.5"},
		{"trusted proxy", "10.0.0.2:5555", []string{"198.51.100.7"}, "198.51.100.7"},
		{"trusted proxy, chain: nearest untrusted hop wins", "10.0.0.2:5555", []string{"6.6.6.6, 198.51.100.7, 10.0.0.9"}, "198.51.100.7"},
		{"trusted proxy, no header", "10.0.0.2:5555", nil, "10.0.0.2"},
		{"trusted proxy, garbage header", "10.0.0.2:5555", []string{"unknown"}, "10.0.0.2"},
		{"trusted proxy, garbage after trusted hops", "10.0.0.2:5555", []string{"junk, 10.0.0.3"}, "10.0.0.3"},
		{"trusted proxy, all hops trusted", "10.0.0.2:5555", []string{"10.0.0.4, 10.0.0.3"}, "10.0.0.4"},
		{"trusted proxy, mapped hop", "10.0.0.2:5555", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"trusted IPv6 proxy", "[::1]:80", []string{"2001:db8::42"}, "2001:db8::42"},
		{"mapped peer", "[::ffff:203.0.113.5]:1234", nil, "203.0.113.5"},
		{"mapped trusted peer", "[::ffff:10.0.0.2]:1234", []string{"198.51.100.7"}, "198.51.100.7"},
		// The client sends its own line; a proxy such as HAProxy adds another after it.
		{"trusted proxy, header on two lines", "10.0.0.2:5555", []string{"6.6.6.6", "198.51.100.7"}, "198.51.100.7"},
	} {
		r := request(c.remote)
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := a.ClientIP(r); got.String() != c.want {
			t.Errorf("%s: ClientIP = %v; want %s", c.name, got, c.want)
		}
	}
	if got := a.ClientIP(request("not an address")); got.IsValid() {
		t.Errorf("a malformed RemoteAddr gave %v", got)
	}
}

func TestProxyHeaderOnlyFromTrustedProxy(t *testing.T) {
	a := newAuth(t, Config{Mode: ModeProxy, ProxyHeader: "Remote-User", TrustedProxies: mustProxies(t, "10.0.0.0/8")}, openStore(t), nil)
	for _, c := range []struct {
		name, remote string
		header       []string
		want         string // "" for anonymous
	}{
		{"trusted proxy names the user", "10.1.2.3:4000", []string{"Remote-User", "alice"}, "alice"},
		{"header name is case-insensitive", "10.1.2.3:4000", []string{"remote-user", " bob "}, "bob"},
		{"untrusted peer", "203.0.113.5:4000", []string{"Remote-User", "alice"}, ""},
		{"untrusted peer behind a forged X-Forwarded-For", "203.0.113.5:4000", []string{"Remote-User", "alice", "X-Forwarded-For", "10.1.2.3"}, ""},
		{"trusted proxy, no header", "10.1.2.3:4000", nil, ""},
		{"trusted proxy, blank header", "10.1.2.3:4000", []string{"Remote-User", "  "}, ""},
		{"trusted proxy, other header", "10.1.2.3:4000", []string{"X-Remote-User", "alice"}, ""},
	} {
		p, ok, err := a.Identify(request(c.remote, c.header...))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if c.want == "" && ok {
			t.Errorf("%s: let in as %+v", c.name, p)
		}
		if c.want != "" && (!ok || p.Name != c.want || p.Via != "proxy") {
			t.Errorf("%s: %+v, %v; want %q via proxy", c.name, p, ok, c.want)
		}
	}
	if !a.TrustsProxy(request("10.1.2.3:4000")) || a.TrustsProxy(request("203.0.113.5:4000", "X-Forwarded-For", "10.1.2.3")) {
		t.Error("TrustsProxy does not follow TRUSTED_PROXIES")
	}
	// No password sign-in in proxy mode.
	if err := a.Login(httptest.NewRecorder(), request("10.1.2.3:4000"), testUser, testPassword); err == nil {
		t.Error("Login succeeded in proxy mode")
	}
}

func sessionCookieOf(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("%d cookies set; want 1", len(cs))
	}
	return cs[0]
}

func TestLoginAndSessions(t *testing.T) {
	st := openStore(t)
	c := newClock()
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash}, st, c)
	const peer = "192.0.2.10:5000"

	for _, cred := range [][2]string{
		{testUser, "wrong"},
		{testUser, ""},
		{testUser, testPassword + " "},
		{"root", testPassword},
		{"admi", testPassword},
		{"admin ", testPassword},
		{"ADMIN", testPassword},
		{"", testPassword},
	} {
		w := httptest.NewRecorder()
		if err := a.Login(w, request(peer), cred[0], cred[1]); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Login(%q, %q) = %v; want ErrBadCredentials", cred[0], cred[1], err)
		}
		if len(w.Result().Cookies()) != 0 {
			t.Errorf("Login(%q, %q) set a cookie", cred[0], cred[1])
		}
	}

	w := httptest.NewRecorder()
	if err := a.Login(w, request(peer), testUser, testPassword); err != nil {
		t.Fatalf("Login with the right password: %v", err)
	}
	ck := sessionCookieOf(t, w)
	if ck.Name != cookiePlain || ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.SameSite != http.SameSiteLaxMode || len(ck.Value) < 40 {
		t.Errorf("session cookie %+v", ck)
	}
	if !ck.Expires.Equal(c.t.Add(DefaultSessionIdle)) {
		t.Errorf("cookie expires %v; want %v", ck.Expires, c.t.Add(DefaultSessionIdle))
	}
	// The store holds the hash of the id, never the id.
	if _, err := st.GetSession(context.Background(), ck.Value); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the raw session id is a key in the store: %v", err)
	}
	if s, err := st.GetSession(context.Background(), Hash(ck.Value)); err != nil || s.Username != testUser {
		t.Errorf("stored session %+v, %v", s, err)
	}

	withCookie := func(ck *http.Cookie) *http.Request {
		r := request(peer)
		r.AddCookie(ck)
		return r
	}
	p, ok, err := a.Identify(withCookie(ck))
	if err != nil || !ok || p.Name != testUser || p.Via != "session" || p.SessionHash != Hash(ck.Value) {
		t.Fatalf("Identify with the cookie: %+v, %v, %v", p, ok, err)
	}
	for _, bad := range []string{"", "x", ck.Value[:len(ck.Value)-1], strings.Repeat("a", 200)} {
		if _, ok, err := a.Identify(withCookie(&http.Cookie{Name: cookiePlain, Value: bad})); ok || err != nil {
			t.Errorf("cookie %.20q: ok=%v err=%v; want anonymous", bad, ok, err)
		}
	}
	if _, ok, _ := a.Identify(request(peer)); ok {
		t.Error("a request without a cookie was let in")
	}

	// A session slides with use, within SessionIdle of the last use, up to SessionMax in all.
	for day := 6; day <= 24; day += 6 {
		c.t = ck.Expires.Add(-DefaultSessionIdle).Add(time.Duration(day) * 24 * time.Hour)
		if _, ok, err := a.Identify(withCookie(ck)); !ok || err != nil {
			t.Fatalf("day %d: the session in use ended: %v", day, err)
		}
	}
	c.t = ck.Expires.Add(-DefaultSessionIdle).Add(DefaultSessionMax)
	if _, ok, _ := a.Identify(withCookie(ck)); ok {
		t.Error("a session outlived SessionMax")
	}

	// An unused session ends after SessionIdle.
	w = httptest.NewRecorder()
	if err := a.Login(w, request(peer), testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	idle := sessionCookieOf(t, w)
	c.advance(DefaultSessionIdle - time.Second)
	if _, ok, _ := a.Identify(withCookie(idle)); !ok {
		t.Error("a session ended before SessionIdle")
	}
	c.advance(DefaultSessionIdle)
	if _, ok, _ := a.Identify(withCookie(idle)); ok {
		t.Error("an unused session outlived SessionIdle")
	}
	if n, err := a.Sweep(context.Background()); err != nil || n != 2 {
		t.Errorf("Sweep removed %d sessions, %v; want the 2 expired ones", n, err)
	}

	// Logout ends the session and clears the cookie.
	w = httptest.NewRecorder()
	if err := a.Login(w, request(peer), testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	live := sessionCookieOf(t, w)
	// A renamed user's sessions end with the rename.
	renamed := newAuth(t, Config{Mode: ModeBuiltin, Username: "root", PasswordHash: testHash}, st, c)
	if _, ok, _ := renamed.Identify(withCookie(live)); ok {
		t.Error("a session of admin is accepted once the user is root")
	}
	w = httptest.NewRecorder()
	if err := a.Logout(w, withCookie(live)); err != nil {
		t.Fatal(err)
	}
	if cleared := sessionCookieOf(t, w); cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Errorf("Logout left the cookie %+v", cleared)
	}
	if _, ok, _ := a.Identify(withCookie(live)); ok {
		t.Error("the session outlived Logout")
	}
}

func TestSessionCookieSecure(t *testing.T) {
	st := openStore(t)
	proxies := mustProxies(t, "10.0.0.0/8")
	for _, c := range []struct {
		name, setting string
		req           *http.Request
		secure        bool
	}{
		{"auto, plain HTTP", "auto", request("192.0.2.1:1"), false},
		{"auto, HTTPS by a trusted proxy", "auto", request("10.0.0.2:1", "X-Forwarded-Proto", "https"), true},
		{"auto, X-Forwarded-Proto from anyone else", "auto", request("192.0.2.1:1", "X-Forwarded-Proto", "https"), false},
		{"true", "true", request("192.0.2.1:1"), true},
		{"false", "false", request("10.0.0.2:1", "X-Forwarded-Proto", "https"), false},
	} {
		a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash, TrustedProxies: proxies, CookieSecure: c.setting}, st, nil)
		w := httptest.NewRecorder()
		if err := a.Login(w, c.req, testUser, testPassword); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ck := sessionCookieOf(t, w)
		if ck.Secure != c.secure || (ck.Name == cookieSecure) != c.secure {
			t.Errorf("%s: cookie %s Secure=%v; want Secure=%v", c.name, ck.Name, ck.Secure, c.secure)
		}
		r := request("192.0.2.1:1")
		r.AddCookie(ck)
		if _, ok, err := a.Identify(r); !ok || err != nil {
			t.Errorf("%s: the cookie does not sign in: %v", c.name, err)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	st := openStore(t)
	c := newClock()
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash, TrustedProxies: mustProxies(t, "10.0.0.0/8")}, st, c)
	login := func(r *http.Request, password string) error {
		return a.Login(httptest.NewRecorder(), r, testUser, password)
	}
	const guesser = "198.51.100.9:7000"
	for i := range 10 {
		if err := login(request(guesser), "guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v; want ErrBadCredentials", i+1, err)
		}
	}
	// Once refused, even the right password waits: the limit does not tell a guesser anything.
	err := login(request(guesser), testPassword)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !errors.Is(err, ErrRateLimited) || rl.RetryAfter <= 0 || rl.RetryAfter > 10*time.Second {
		t.Fatalf("eleventh attempt: %v; want a RateLimitError with a wait up to 10s", err)
	}
	// Changing port or forging X-Forwarded-For from an untrusted address does not help.
	for _, r := range []*http.Request{request("198.51.100.9:7001"), request(guesser, "X-Forwarded-For", "192.0.2.77")} {
		if err := login(r, testPassword); !errors.Is(err, ErrRateLimited) {
			t.Errorf("a request from the limited address got through: %v", err)
		}
	}
	// Another address is not limited.
	if err := login(request("198.51.100.10:7000"), testPassword); err != nil {
		t.Errorf("another address: %v", err)
	}
	// Behind a trusted proxy, clients are told apart by X-Forwarded-For, not by the proxy.
	for i := range 10 {
		if err := login(request("10.0.0.2:80", "X-Forwarded-For", "192.0.2.50"), "guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("through the proxy, attempt %d: %v", i+1, err)
		}
	}
	if err := login(request("10.0.0.3:80", "X-Forwarded-For", "192.0.2.50"), testPassword); !errors.Is(err, ErrRateLimited) {
		t.Errorf("the limited client through another proxy: %v; want ErrRateLimited", err)
	}
	if err := login(request("10.0.0.2:80", "X-Forwarded-For", "192.0.2.51"), testPassword); err != nil {
		t.Errorf("another client through the same proxy: %v", err)
	}
	// IPv6 neighbours in one /64 share the limit.
	for i := range 10 {
		if err := login(request(net6("2001:db8:5:6::1")), "guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("IPv6 attempt %d: %v", i+1, err)
		}
	}
	if err := login(request(net6("2001:db8:5:6::99")), testPassword); !errors.Is(err, ErrRateLimited) {
		t.Errorf("a neighbour in the /64: %v; want ErrRateLimited", err)
	}
	if err := login(request(net6("2001:db8:5:7::1")), testPassword); err != nil {
		t.Errorf("the next /64: %v", err)
	}
	// The limit lifts with time.
	c.advance(rl.RetryAfter)
	if err := login(request(guesser), testPassword); err != nil {
		t.Errorf("after waiting RetryAfter: %v", err)
	}
	if err := login(request(guesser), testPassword); !errors.Is(err, ErrRateLimited) {
		t.Errorf("a second attempt right after: %v; want ErrRateLimited", err)
	}
}

func net6(addr string) string { return "[" + addr + "]:443" }

func TestAPITokens(t *testing.T) {
	st := openStore(t)
	c := newClock()
	for _, mode := range []Mode{ModeBuiltin, ModeProxy, ModeNone} {
		a := newAuth(t, Config{Mode: mode, Username: testUser, PasswordHash: testHash, ProxyHeader: "Remote-User", TrustedProxies: mustProxies(t, "10.0.0.0/8")}, st, c)
		tok, rec, err := a.NewAPIToken(context.Background(), "ci-"+string(mode), store.ScopeWrite)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "dd_") || len(tok) < 40 || rec.Prefix != tok[:8] || rec.TokenHash != Hash(tok) || strings.Contains(rec.TokenHash, tok) {
			t.Errorf("%s: token %q stored as %+v", mode, tok, rec)
		}
		p, ok, err := a.Identify(request("203.0.113.1:1", "Authorization", "Bearer "+tok))
		if err != nil || !ok || p.Name != "token:ci-"+string(mode) || p.Via != "token" {
			t.Errorf("%s: Identify with the token: %+v, %v, %v", mode, p, ok, err)
		}
		if _, _, err := a.Identify(request("203.0.113.1:1", "Authorization", "bearer  "+tok+" ")); err != nil {
			t.Errorf("%s: a lower-case scheme and extra spaces: %v", mode, err)
		}
		for _, h := range []string{"Bearer " + tok + "x", "Bearer ", "Bearer", "Bearer " + rec.TokenHash} {
			p, ok, err := a.Identify(request("10.0.0.2:1", "Authorization", h, "Remote-User", "alice"))
			switch {
			case h == "Bearer":
			case mode == ModeProxy && !strings.HasPrefix(strings.TrimPrefix(h, "Bearer "), APITokenPrefix):
				// A bearer that is not ours, passed on by the trusted proxy (oauth2-proxy's
				// id_token): the proxy's user header decides.
				if err != nil || !ok || p.Via != "proxy" {
					t.Errorf("%s: Authorization %.20q from the proxy: %+v, %v, %v; want alice via proxy", mode, h, p, ok, err)
				}
			case !errors.Is(err, ErrBadToken) || ok:
				t.Errorf("%s: Authorization %.20q: %+v, %v, %v; want ErrBadToken", mode, h, p, ok, err)
			}
		}
		if err := st.RevokeAPIToken(context.Background(), rec.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := a.Identify(request("203.0.113.1:1", "Authorization", "Bearer "+tok)); ok || !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: a revoked token: %v, %v", mode, ok, err)
		}
	}
	// Basic credentials (from a proxy in front) are not a token: ModeNone still lets the request in.
	a := newAuth(t, Config{Mode: ModeNone}, st, c)
	if p, ok, err := a.Identify(request("203.0.113.1:1", "Authorization", "Basic YTpi")); err != nil || !ok || p.Via != "none" {
		t.Errorf("Basic in ModeNone: %+v, %v, %v", p, ok, err)
	}
	if err := a.Login(httptest.NewRecorder(), request("203.0.113.1:1"), testUser, testPassword); err == nil {
		t.Error("Login succeeded in ModeNone")
	}
}

func TestTokensOnly(t *testing.T) {
	st := openStore(t)
	a := TokensOnly(st, quietLog)
	tok, _, err := a.NewAPIToken(context.Background(), "ci", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Identify(request("203.0.113.1:1", "Authorization", "Bearer "+tok)); !ok || err != nil {
		t.Errorf("a token is refused: %v", err)
	}
	if _, ok, err := a.Identify(request("203.0.113.1:1", "Remote-User", "admin")); ok || err != nil {
		t.Errorf("an anonymous request: %v, %v; want refused", ok, err)
	}
	for _, cred := range [][2]string{{"", ""}, {"admin", ""}, {"", "x"}} {
		if err := a.Login(httptest.NewRecorder(), request("203.0.113.1:1"), cred[0], cred[1]); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Login(%q, %q) = %v; want ErrBadCredentials", cred[0], cred[1], err)
		}
	}
}

func TestUsernameComparison(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"admin", "admin", true},
		{"", "", true},
		{"admin", "admin2", false},
		{"admin", "admi", false},
		{"admin", "Admin", false},
		{"admin", "", false},
		{"ädmin", "admin", false},
		{strings.Repeat("a", 1000), strings.Repeat("a", 1000), true},
		{strings.Repeat("a", 1000), strings.Repeat("a", 999) + "b", false},
	} {
		if got := subtleEqual(c.a, c.b); got != c.want {
			t.Errorf("subtleEqual(%.10q, %.10q) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
	// A wrong username still costs a password check against the configured hash itself, so
	// its parameters (argon2id memory and passes, bcrypt cost) are whatever the configuration
	// chose: a dummy of fixed parameters answered a wrong username 15x faster.
	argon, err := hashArgon2idWith(testPassword, 8192, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: argon}, openStore(t), nil)
	var asked []string
	a.verifyPassword = func(hash, password string) bool {
		asked = append(asked, hash)
		return VerifyPassword(hash, password)
	}
	for _, user := range []string{"root", testUser + "x", "", testUser} {
		asked = nil
		_ = a.Login(httptest.NewRecorder(), request("192.0.2.1:1"), user, "wrong "+testPassword)
		if len(asked) != 1 || asked[0] != argon {
			t.Errorf("sign-in as %q checked the password against %q; want one check against the configured hash (m=8192,t=3)", user, asked)
		}
	}
	if err := a.Login(httptest.NewRecorder(), request("192.0.2.1:1"), "root", testPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("a wrong username with the right password: %v", err)
	}
	if err := a.Login(httptest.NewRecorder(), request("192.0.2.1:1"), testUser, testPassword); err != nil {
		t.Errorf("the right username and argon2id password: %v", err)
	}

	// The source: Login compares the username only through subtleEqual, which compares
	// fixed-length digests with crypto/subtle; no == on the username anywhere in it.
	f, err := parser.ParseFile(token.NewFileSet(), "auth.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	funcs := map[string]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			funcs[fd.Name.Name] = fd
		}
	}
	login, eq := funcs["Login"], funcs["subtleEqual"]
	if login == nil || eq == nil {
		t.Fatal("Login or subtleEqual is gone from auth.go")
	}
	var callsSubtleEqual bool
	ast.Inspect(login.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "subtleEqual" && len(n.Args) == 2 {
				if a, ok := n.Args[0].(*ast.Ident); ok && a.Name == "username" {
					callsSubtleEqual = true
				}
			}
		case *ast.BinaryExpr:
			for _, side := range []ast.Expr{n.X, n.Y} {
				if id, ok := side.(*ast.Ident); ok && id.Name == "username" {
					t.Errorf("Login compares the username with %s", n.Op)
				}
			}
		}
		return true
	})
	if !callsSubtleEqual {
		t.Error("Login does not compare the username with subtleEqual")
	}
	var constantTime, digests bool
	ast.Inspect(eq.Body, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok {
				constantTime = constantTime || pkg.Name == "subtle" && sel.Sel.Name == "ConstantTimeCompare"
				digests = digests || pkg.Name == "sha256" && sel.Sel.Name == "Sum256"
			}
		}
		return true
	})
	if !constantTime || !digests {
		t.Errorf("subtleEqual: subtle.ConstantTimeCompare %v, over sha256 digests %v; want both", constantTime, digests)
	}
}
