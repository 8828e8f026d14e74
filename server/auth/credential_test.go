package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"diundashboard/server/store"
)

// signInCookie signs in and returns a request that carries the new session's cookie.
func signInCookie(t *testing.T, a *Authenticator, password string) *http.Request {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := a.Login(rec, request("192.0.2.9:1"), testUser, password); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range rec.Result().Cookies() {
		r.AddCookie(c)
	}
	return r
}

func identified(t *testing.T, a *Authenticator, r *http.Request) bool {
	t.Helper()
	_, ok, err := a.Identify(r)
	if err != nil {
		t.Fatalf("Identify: %v", err)
	}
	return ok
}

// Finding 4: a session is bound to the credential it was made with; a new password (or a
// renamed user) ends it, on this replica and on one started with the new configuration.
func TestSessionEndsWithPasswordChange(t *testing.T) {
	st := openStore(t)
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash}, st, nil)
	r := signInCookie(t, a, testPassword)
	if !identified(t, a, r) {
		t.Fatal("a fresh session is not honoured")
	}

	otherHash := mustBcrypt(t, "another password entirely")
	// Another process started with the changed AUTH_PASSWORD_HASH, over the same database.
	restarted := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: otherHash}, st, nil)
	if identified(t, restarted, r) {
		t.Error("a session made with the old password is honoured after AUTH_PASSWORD_HASH changed")
	}
	renamed := newAuth(t, Config{Mode: ModeBuiltin, Username: "someone", PasswordHash: testHash}, st, nil)
	if identified(t, renamed, r) {
		t.Error("a session of the old user is honoured after AUTH_USERNAME changed")
	}
	// The same configuration again: the session lives on (a restart is not a sign-out).
	same := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash}, st, nil)
	if !identified(t, same, r) {
		t.Error("a restart with the same configuration ended the session")
	}
	// In place, as a reset of the generated password does.
	if err := a.SetPasswordHash(otherHash); err != nil {
		t.Fatal(err)
	}
	if identified(t, a, r) {
		t.Error("SetPasswordHash left the old session valid")
	}
	if err := a.SetPasswordHash("hunter2"); err == nil {
		t.Error("SetPasswordHash accepted something that is not a hash")
	}
	if r2 := signInCookie(t, a, "another password entirely"); !identified(t, a, r2) {
		t.Error("the new password's session is not honoured")
	}
}

// A session row from before fingerprints (the migration gives it none) is not honoured.
func TestSessionWithoutFingerprintIsRefused(t *testing.T) {
	st := openStore(t)
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash}, st, nil)
	now := time.Now()
	if err := st.CreateSession(context.Background(), store.Session{IDHash: Hash("legacy-id"), Username: testUser,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: cookiePlain, Value: "legacy-id"})
	if identified(t, a, r) {
		t.Error("a session without a credential fingerprint is honoured")
	}
}

// `diundashboard reset-password` writes a new generated hash to the store; Sweep picks it up
// and the old password's sessions end without a restart.
func TestSweepPicksUpGeneratedPasswordReset(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.PutSetting(ctx, GeneratedPasswordSetting, testHash); err != nil {
		t.Fatal(err)
	}
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash, GeneratedPassword: true}, st, nil)
	r := signInCookie(t, a, testPassword)
	if _, err := a.Sweep(ctx); err != nil || !identified(t, a, r) {
		t.Fatalf("Sweep with no reset: %v, or it ended the session", err)
	}
	newHash := mustBcrypt(t, "the reset password")
	if err := st.PutSetting(ctx, GeneratedPasswordSetting, newHash); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Sweep(ctx); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if identified(t, a, r) {
		t.Error("the session of the old password survived the reset")
	}
	if err := a.Login(httptest.NewRecorder(), request("192.0.2.10:1"), testUser, testPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("the old password after the reset: %v; want ErrBadCredentials", err)
	}
	if err := a.Login(httptest.NewRecorder(), request("192.0.2.10:1"), testUser, "the reset password"); err != nil {
		t.Errorf("the reset password: %v", err)
	}
}

func TestRevokeAllSessions(t *testing.T) {
	st := openStore(t)
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash}, st, nil)
	r1, r2 := signInCookie(t, a, testPassword), signInCookie(t, a, testPassword)
	n, err := a.RevokeAllSessions(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("RevokeAllSessions = %d, %v; want 2", n, err)
	}
	if identified(t, a, r1) || identified(t, a, r2) {
		t.Error("a session survived RevokeAllSessions")
	}
}

// Argon2id takes 19 MiB a check: at most MaxConcurrentPasswordChecks run at once, whatever
// the number of addresses guessing; one that waits too long gets ErrBusy.
func TestPasswordChecksAreBounded(t *testing.T) {
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash}, openStore(t), nil)
	a.queueWait = 200 * time.Millisecond
	release := make(chan struct{})
	var mu sync.Mutex
	running, peak := 0, 0
	a.verifyPassword = func(hash, password string) bool {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
		return false
	}
	const clients = MaxConcurrentPasswordChecks + 3
	errs := make(chan error, clients)
	for i := range clients {
		go func() {
			// Each from its own address, so the per-address limit does not intervene.
			errs <- a.Login(httptest.NewRecorder(), request(fmt.Sprintf("198.51.100.%d:1", i+1)), testUser, "guess")
		}()
	}
	busy := 0
	for range clients - MaxConcurrentPasswordChecks {
		if err := <-errs; errors.Is(err, ErrBusy) {
			busy++
		} else {
			t.Errorf("a sign-in beyond the cap: %v; want ErrBusy", err)
		}
	}
	close(release)
	for range MaxConcurrentPasswordChecks {
		if err := <-errs; !errors.Is(err, ErrBadCredentials) {
			t.Errorf("a sign-in within the cap: %v; want ErrBadCredentials", err)
		}
	}
	if peak != MaxConcurrentPasswordChecks || busy != clients-MaxConcurrentPasswordChecks {
		t.Errorf("peak concurrent checks %d, busy answers %d; want %d and %d", peak, busy, MaxConcurrentPasswordChecks, clients-MaxConcurrentPasswordChecks)
	}
}

// oauth2-proxy passes "Authorization: Bearer <id_token>" with the user header: in proxy mode
// a bearer that is not one of our tokens, from a trusted proxy, must not turn the request
// into a failed API-token sign-in.
func TestProxyModeIgnoresForeignBearer(t *testing.T) {
	st := openStore(t)
	a := newAuth(t, Config{Mode: ModeProxy, ProxyHeader: "X-Forwarded-User", TrustedProxies: mustProxies(t, "10.0.0.0/8")}, st, nil)
	idToken := "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.2:4000"
	r.Header.Set("X-Forwarded-User", "alice")
	r.Header.Set("Authorization", idToken)
	p, ok, err := a.Identify(r)
	if err != nil || !ok || p.Name != "alice" || p.Via != "proxy" {
		t.Errorf("proxy user with an id_token bearer: %+v, %v, %v; want alice via proxy", p, ok, err)
	}

	// From anywhere else, the same request is nobody, and its bearer is not trusted either.
	r.RemoteAddr = "192.0.2.1:4000"
	if _, ok, err := a.Identify(r); ok || !errors.Is(err, ErrBadToken) {
		t.Errorf("untrusted peer with a foreign bearer: ok=%v err=%v; want refused as a bad token", ok, err)
	}
	// A wrong token of ours is still refused, even from the proxy.
	r.RemoteAddr = "10.0.0.2:4000"
	r.Header.Set("Authorization", "Bearer dd_not-a-real-token")
	if _, ok, err := a.Identify(r); ok || !errors.Is(err, ErrBadToken) {
		t.Errorf("a wrong dd_ token through the proxy: ok=%v err=%v; want ErrBadToken", ok, err)
	}
}

// Finding 3: a token carries its scope; people may do everything.
func TestPrincipalScopes(t *testing.T) {
	st := openStore(t)
	a := newAuth(t, Config{Mode: ModeNone}, st, nil)
	for _, scope := range []store.TokenScope{store.ScopeRead, store.ScopeWrite} {
		tok, _, err := a.NewAPIToken(context.Background(), "widget "+string(scope), scope)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/api/v1/images", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		p, ok, err := a.Identify(r)
		if err != nil || !ok {
			t.Fatalf("token of scope %s: %v %v", scope, ok, err)
		}
		if p.Person() || p.Scope != scope || !p.Allows(store.ScopeRead) || p.Allows(store.ScopeWrite) != (scope == store.ScopeWrite) {
			t.Errorf("token of scope %s: %+v; person=%v allows write=%v", scope, p, p.Person(), p.Allows(store.ScopeWrite))
		}
	}
	if _, _, err := a.NewAPIToken(context.Background(), "bad", "admin"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a token of scope admin: %v; want ErrInvalid", err)
	}
	p, ok, _ := a.Identify(httptest.NewRequest(http.MethodGet, "/", nil))
	if !ok || !p.Person() || !p.Allows(store.ScopeWrite) {
		t.Errorf("AUTH_MODE=none visitor: %+v; want a person allowed everything", p)
	}
}

// Finding 10: behind a TLS proxy that is not in TRUSTED_PROXIES, an https BASE_URL still
// makes the cookie Secure (and __Host- prefixed).
func TestHTTPSBaseURLMakesCookieSecure(t *testing.T) {
	for _, public := range []bool{false, true} {
		a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash, PublicHTTPS: public}, openStore(t), nil)
		rec := httptest.NewRecorder()
		r := request("192.0.2.3:1", "X-Forwarded-Proto", "https") // from an untrusted peer: not believed
		if err := a.Login(rec, r, testUser, testPassword); err != nil {
			t.Fatal(err)
		}
		c := rec.Result().Cookies()
		if len(c) != 1 || c[0].Secure != public || (c[0].Name == cookieSecure) != public {
			t.Errorf("PublicHTTPS=%v: cookie %+v; want Secure=%v", public, c, public)
		}
	}
}

func mustBcrypt(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// Found by an outside review: trusting every address lets anyone name themselves.
func TestTrustedProxiesRefuseEveryAddress(t *testing.T) {
	for _, raw := range []string{"0.0.0.0/0", "::/0", "10.0.0.1, 0.0.0.0/0"} {
		if _, err := ParseTrustedProxies(raw); err == nil || !strings.Contains(err.Error(), "every address") {
			t.Errorf("TRUSTED_PROXIES=%q: %v; want a refusal", raw, err)
		}
	}
	if p, err := ParseTrustedProxies("10.0.0.2, 172.16.0.0/12"); err != nil || len(p) != 2 {
		t.Errorf("narrower networks: %v, %v", p, err)
	}
}

// Found by a black-box test: only a literal /0 was refused, so two halves of the Internet, one
// half, or every IPv4-mapped address started, and then anyone could send Remote-User: admin.
// Networks broader than /8 (IPv4) or /32 (IPv6) are refused unless private; the error names
// the value.
func TestTrustedProxiesRefuseBroadPublicNetworks(t *testing.T) {
	for _, c := range []struct{ raw, names string }{
		{"0.0.0.0/1,128.0.0.0/1", "0.0.0.0/1"},
		{"10.0.0.0/8, 128.0.0.0/1", "128.0.0.0/1"},
		{"0.0.0.0/1", "0.0.0.0/1"},
		{"::ffff:0:0/96", "::ffff:0:0/96"},
		{"::ffff:0.0.0.0/97", "::ffff:0.0.0.0/97"},
		{"8.0.0.0/7", "8.0.0.0/7"},
		{"2000::/3", "2000::/3"},
		{"2001:db8::/31", "2001:db8::/31"},
		{"::/1", "::/1"},
	} {
		_, err := ParseTrustedProxies(c.raw)
		if err == nil || !strings.Contains(err.Error(), `"`+c.names+`"`) || !(strings.Contains(err.Error(), "broader than") || strings.Contains(err.Error(), "every address")) {
			t.Errorf("TRUSTED_PROXIES=%q: %v; want a refusal naming %q", c.raw, err, c.names)
		}
	}
	for _, raw := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10", "fc00::/7", "fd00::/8", "fe80::/10", "2001:db8::/32", "11.0.0.0/8", "::1", "::ffff:10.0.0.0/104"} {
		if p, err := ParseTrustedProxies(raw); err != nil || len(p) != 1 {
			t.Errorf("TRUSTED_PROXIES=%q: %v, %v; want it accepted", raw, p, err)
		}
	}
	// Narrow networks that add up to more than a /8 of public addresses are refused together;
	// overlaps and private ranges do not count.
	if _, err := ParseTrustedProxies("11.0.0.0/8, 12.0.0.0/9"); err == nil || !strings.Contains(err.Error(), "public IPv4 addresses together") {
		t.Errorf("a /8 and a /9 of public addresses: %v; want a refusal", err)
	}
	for _, raw := range []string{"11.0.0.0/8, 11.0.0.0/9, 11.1.2.3", "11.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8", "203.0.113.0/24, 198.51.100.0/24"} {
		if _, err := ParseTrustedProxies(raw); err != nil {
			t.Errorf("TRUSTED_PROXIES=%q: %v; want it accepted", raw, err)
		}
	}
	// An IPv4-mapped network means its IPv4 network, the form client addresses are compared in.
	a := newAuth(t, Config{Mode: ModeProxy, ProxyHeader: "Remote-User", TrustedProxies: mustProxies(t, "::ffff:10.0.0.0/104")}, openStore(t), nil)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:4000"
	r.Header.Set("Remote-User", "alice")
	if p, ok, _ := a.Identify(r); !ok || p.Name != "alice" {
		t.Errorf("a proxy in ::ffff:10.0.0.0/104: %+v, %v; want alice", p, ok)
	}
}

// A proxy that appends its user header to the client's would send two: which one it vouches
// for is unknown, so nobody is signed in.
func TestProxyHeaderTwiceIsRefused(t *testing.T) {
	a := newAuth(t, Config{Mode: ModeProxy, ProxyHeader: "Remote-User", TrustedProxies: mustProxies(t, "10.0.0.0/8")}, openStore(t), nil)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.2:4000"
	r.Header.Add("Remote-User", "attacker")
	r.Header.Add("Remote-User", "alice")
	if p, ok, err := a.Identify(r); ok || err != nil {
		t.Errorf("two user headers: %+v, %v, %v; want nobody", p, ok, err)
	}
	r.Header.Del("Remote-User")
	r.Header.Set("Remote-User", "alice")
	if p, ok, _ := a.Identify(r); !ok || p.Name != "alice" {
		t.Errorf("one user header: %+v, %v; want alice", p, ok)
	}
}

// Found by an outside review: after `diundashboard reset-password` the old password signed in
// until the next background sweep (up to 30 s). The sign-in reads the stored hash first.
func TestResetGeneratedPasswordCountsAtOnce(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.PutSetting(ctx, GeneratedPasswordSetting, testHash); err != nil {
		t.Fatal(err)
	}
	a := newAuth(t, Config{Mode: ModeBuiltin, Username: testUser, PasswordHash: testHash, GeneratedPassword: true}, st, nil)
	if err := st.PutSetting(ctx, GeneratedPasswordSetting, mustBcrypt(t, "the new password")); err != nil {
		t.Fatal(err)
	}
	if err := a.Login(httptest.NewRecorder(), request("192.0.2.20:1"), testUser, testPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("the old password right after a reset, no sweep: %v; want ErrBadCredentials", err)
	}
	if err := a.Login(httptest.NewRecorder(), request("192.0.2.20:1"), testUser, "the new password"); err != nil {
		t.Errorf("the new password right after a reset: %v", err)
	}
}

// Found by a black-box test: "Remote-User: admin, bob" signed in a user literally named
// "admin, bob". A comma (a list of names) or a control character is no user name: nobody is
// signed in, and the log says why once, however often it comes.
func TestProxyUserNameWithCommaOrControlIsRefused(t *testing.T) {
	var logs bytes.Buffer
	a, err := New(Config{Mode: ModeProxy, ProxyHeader: "Remote-User", TrustedProxies: mustProxies(t, "10.0.0.0/8")}, openStore(t), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	identify := func(name string) (Principal, bool) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "10.0.0.2:4000"
		r.Header.Set("Remote-User", name)
		p, ok, err := a.Identify(r)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		return p, ok
	}
	for _, name := range []string{"admin, bob", "admin,bob", "admin\x1b[2J", "admin\u202e", "admin\x7f", "ad\u0085min", "ad\nmin"} {
		if p, ok := identify(name); ok {
			t.Errorf("Remote-User %q signed in %+v; want nobody", name, p)
		}
	}
	if n := strings.Count(logs.String(), "names no single user"); n != 1 || !strings.Contains(logs.String(), "comma") {
		t.Errorf("%d log lines; want one saying why (a comma):\n%s", n, logs.String())
	}
	for _, name := range []string{"alice", "Alice Smith", "jean-luc.o'neil@example.com", "zoë"} {
		if p, ok := identify(name); !ok || p.Name != name {
			t.Errorf("Remote-User %q: %+v, %v; want signed in as it", name, p, ok)
		}
	}
}

// A proxy user named "mqtt" or "snooze ended", or "token:ci", was recorded in the audit trail
// exactly like the MQTT bridge, the dashboard's own snooze wake-up or an API token (found by
// an outside review, L5): such a name signs nobody in, nor may the built-in user take one.
func TestPeopleCannotTakeTheNamesOfSystemActors(t *testing.T) {
	a, err := New(Config{Mode: ModeProxy, ProxyHeader: "Remote-User", TrustedProxies: mustProxies(t, "10.0.0.0/8")}, openStore(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mqtt", "MQTT", "snooze ended", "Snooze Ended", "token:ci", "mqtt:homeassistant/cmd", "x\u2028y"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "10.0.0.2:4000"
		r.Header.Set("Remote-User", name)
		if p, ok, err := a.Identify(r); ok || err != nil {
			t.Errorf("Remote-User %q signed in %+v (%v); want nobody", name, p, err)
		}
	}
	hash, err := HashPassword("correct horse battery staple 1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mqtt", "snooze ended", "token:admin"} {
		if _, err := New(Config{Mode: ModeBuiltin, Username: name, PasswordHash: hash}, openStore(t), nil); err == nil || !strings.Contains(err.Error(), "AUTH_USERNAME") {
			t.Errorf("AUTH_USERNAME=%q: %v; want refused, naming the setting", name, err)
		}
	}
}
