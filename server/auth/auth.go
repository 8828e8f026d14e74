// Package auth decides who a request comes from, in one of three modes chosen by
// configuration:
//
//   - builtin: one user from AUTH_USERNAME and AUTH_PASSWORD_HASH signs in with a form; the
//     browser then holds a session cookie whose random id is stored (hashed) in the Store, so
//     sessions survive restarts and work across replicas.
//   - proxy: a reverse proxy (Authelia, Authentik, oauth2-proxy…) signs people in and names
//     them in AUTH_PROXY_HEADER; the header is believed only from TRUSTED_PROXIES.
//   - none: everyone is let in; the UI shows a warning banner.
//
// In every mode, machine clients may send "Authorization: Bearer <API token>"; tokens are
// made and revoked in the UI and stored as SHA-256 hashes.
package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// Mode is how people sign in.
type Mode string

const (
	ModeBuiltin Mode = "builtin"
	ModeProxy   Mode = "proxy"
	ModeNone    Mode = "none"
)

// Config is the sign-in configuration.
type Config struct {
	Mode Mode
	// Username and PasswordHash are the one user of ModeBuiltin.
	Username     string
	PasswordHash string
	// ProxyHeader names the user in ModeProxy; it is read only from TrustedProxies, which also
	// decide whether X-Forwarded-For and X-Forwarded-Proto are believed.
	ProxyHeader    string
	TrustedProxies []netip.Prefix
	// CookieSecure is "auto" (Secure when the request came over TLS, directly or through a
	// trusted proxy), "true" or "false".
	CookieSecure string
	// SessionIdle is how long a session lasts without use; SessionMax bounds it in all.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// PublicHTTPS is true when BASE_URL is https://: the browser reaches the dashboard over
	// TLS even when a proxy that is not in TrustedProxies says nothing of it, so the
	// cookie is Secure.
	PublicHTTPS bool
	// GeneratedPassword is true when PasswordHash is the generated admin password kept in the
	// store under GeneratedPasswordSetting: Sweep then picks up a password reset made with
	// `diundashboard reset-password`.
	GeneratedPassword bool
}

// GeneratedPasswordSetting is the store setting that keeps the hash of the generated admin
// password.
const GeneratedPasswordSetting = "admin_password_hash"

// Defaults for Config.
const (
	DefaultProxyHeader = "Remote-User"
	DefaultSessionIdle = 7 * 24 * time.Hour
	DefaultSessionMax  = 30 * 24 * time.Hour
)

// ParseMode reads AUTH_MODE; "" picks proxy when a proxy header is set and builtin otherwise
// (with no AUTH_USERNAME, the binary generates an admin password on first start): running
// open must be asked for.
func ParseMode(raw, username, proxyHeader string) (Mode, error) {
	switch Mode(strings.ToLower(strings.TrimSpace(raw))) {
	case ModeBuiltin:
		return ModeBuiltin, nil
	case ModeProxy:
		return ModeProxy, nil
	case ModeNone:
		return ModeNone, nil
	case "":
		if proxyHeader != "" && username == "" {
			return ModeProxy, nil
		}
		return ModeBuiltin, nil
	}
	return "", fmt.Errorf("AUTH_MODE %q is not builtin, proxy or none", raw)
}

// ParseTrustedProxies reads a comma- or space-separated list of CIDRs and addresses.
func ParseTrustedProxies(raw string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			p = unmapPrefix(p)
			// Trusting every address lets any client name itself in the proxy's header.
			if p.Bits() == 0 {
				return nil, fmt.Errorf("TRUSTED_PROXIES: %q would trust every address, so any client could sign in as anyone through the proxy's header; name the proxy's address or network, such as 172.18.0.0/16", f)
			}
			if err := checkProxyPrefix(f, p); err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address nor a CIDR such as 172.16.0.0/12", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	// Many narrow networks can add up to a broad one (1.0.0.0/8, 2.0.0.0/8, …).
	if n := publicIPv4Addresses(out); n > 1<<(32-maxProxyPrefixV4) {
		return nil, fmt.Errorf("TRUSTED_PROXIES: %q covers %d public IPv4 addresses together, more than a /%d, so clients far beyond your proxy could sign in as anyone through the proxy's header; name the proxy's address or its network", textutil.Truncate(raw, 200), n, maxProxyPrefixV4)
	}
	return out, nil
}

// privateIPv4 are the IPv4 ranges no outside client comes from (RFC 1918, loopback,
// link-local, shared address space).
var privateIPv4 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
}

// publicIPv4Addresses counts the IPv4 addresses the prefixes cover together, each counted
// once, leaving out networks inside private ranges.
func publicIPv4Addresses(prefixes []netip.Prefix) uint64 {
	type span struct{ lo, hi uint64 }
	var spans []span
	for _, p := range prefixes {
		if !p.Addr().Is4() || slices.ContainsFunc(privateIPv4, func(priv netip.Prefix) bool { return priv.Bits() <= p.Bits() && priv.Contains(p.Addr()) }) {
			continue
		}
		b := p.Masked().Addr().As4()
		lo := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		spans = append(spans, span{lo, lo + 1<<(32-p.Bits()) - 1})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var total, end uint64
	started := false
	for _, sp := range spans {
		switch {
		case !started || sp.lo > end:
			total += sp.hi - sp.lo + 1
			end, started = sp.hi, true
		case sp.hi > end:
			total += sp.hi - end
			end = sp.hi
		}
	}
	return total
}

// Broadest TRUSTED_PROXIES networks accepted outside private address space: a proxy lives
// on a host or a network, and a wider prefix (0.0.0.0/1 and 128.0.0.0/1 together trust the
// whole Internet) would let any client name itself in the proxy's user header.
const (
	maxProxyPrefixV4 = 8
	maxProxyPrefixV6 = 32
)

// privateNetworks are the ranges no outside client comes from, trusted at any width:
// IPv6 unique local (fc00::/7) and link-local addresses. The IPv4 ones (10/8, 172.16/12,
// 192.168/16, 127/8) are no wider than /8 and pass the width check as they are.
var privateNetworks = []netip.Prefix{netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("fe80::/10")}

// unmapPrefix turns an IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) into the IPv4 network
// it means, which is how client addresses are compared (they are unmapped too).
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// checkProxyPrefix refuses a network broader than /8 (IPv4) or /32 (IPv6) that is not
// private address space; raw is the value as written, for the message.
func checkProxyPrefix(raw string, p netip.Prefix) error {
	limit := maxProxyPrefixV6
	if p.Addr().Is4() {
		limit = maxProxyPrefixV4
	}
	if p.Bits() >= limit {
		return nil
	}
	for _, private := range privateNetworks {
		if private.Bits() <= p.Bits() && private.Contains(p.Addr()) {
			return nil
		}
	}
	return fmt.Errorf("TRUSTED_PROXIES: %q is a network of public addresses broader than /%d, so clients far beyond your proxy could sign in as anyone through the proxy's header; name the proxy's address or its network, such as 172.18.0.0/16 (private ranges such as 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and fc00::/7 are accepted)", raw, limit)
}

// Validate checks that the configuration of the chosen mode is complete.
func (c Config) Validate() error {
	switch c.Mode {
	case ModeBuiltin:
		if c.Username == "" || c.PasswordHash == "" {
			return errors.New("AUTH_MODE=builtin needs AUTH_USERNAME and AUTH_PASSWORD_HASH (make the hash with `diundashboard hash-password`)")
		}
		if _, bad := textutil.LineBreaker(c.Username); bad || store.ReservedActor(c.Username) {
			return fmt.Errorf("AUTH_USERNAME %q is a name the audit trail keeps for the dashboard itself, its MQTT bridge or API tokens (snooze ended, mqtt, token:…), or holds a control character; choose another, such as admin", textutil.Truncate(c.Username, 40))
		}
		if err := CheckHash(c.PasswordHash); err != nil {
			return err
		}
	case ModeProxy:
		if c.ProxyHeader == "" {
			return errors.New("AUTH_MODE=proxy needs AUTH_PROXY_HEADER, such as Remote-User")
		}
		if len(c.TrustedProxies) == 0 {
			return errors.New("AUTH_MODE=proxy needs TRUSTED_PROXIES: the addresses of the reverse proxy, so that nobody else can send the header")
		}
	case ModeNone:
	default:
		return fmt.Errorf("AUTH_MODE %q is not builtin, proxy or none", c.Mode)
	}
	switch c.CookieSecure {
	case "", "auto", "true", "false":
	default:
		return fmt.Errorf("COOKIE_SECURE %q is not auto, true or false", c.CookieSecure)
	}
	return nil
}

// Principal is who a request comes from.
type Principal struct {
	Name string
	// Via is "session", "token", "proxy" or "none".
	Via string
	// SessionHash identifies the session of a Via "session" principal.
	SessionHash string
	// Scope is what a Via "token" principal may do; people may do everything.
	Scope store.TokenScope
}

// Person reports whether p is a person (a session, a proxy's user, or anyone in ModeNone)
// rather than an API token. Managing credentials needs a person.
func (p Principal) Person() bool { return p.Via != "token" }

// Allows reports whether p may do what needs scope want.
func (p Principal) Allows(want store.TokenScope) bool { return p.Person() || p.Scope.Allows(want) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal Require put in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Errors of Login and Identify.
var (
	ErrBadCredentials = errors.New("wrong username or password")
	ErrRateLimited    = errors.New("too many sign-in attempts")
	ErrBadToken       = errors.New("unknown or revoked API token")
	// ErrBusy: too many passwords are being checked at once; try again in a few seconds.
	ErrBusy = errors.New("too many sign-ins at once")
)

// MaxConcurrentPasswordChecks bounds the password hashes verified at once: an argon2id check
// takes 19 MiB and a core for about 30 ms, so a crowd of guessers from many addresses (which
// the per-address limit does not stop) could otherwise exhaust memory.
const MaxConcurrentPasswordChecks = 4

// passwordQueueWait is how long a sign-in waits for a free check before ErrBusy.
const passwordQueueWait = 5 * time.Second

// RateLimitError tells how long to wait before the next sign-in attempt.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string { return ErrRateLimited.Error() }
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// Authenticator identifies requests. It is safe for concurrent use.
type Authenticator struct {
	cfg     Config
	store   store.AuthStore
	log     *slog.Logger
	limiter *loginLimiter
	now     func() time.Time
	// cred is the builtin user's credential; it changes when the generated password is reset.
	cred atomic.Pointer[credential]
	// checks holds a slot for each password check under way (MaxConcurrentPasswordChecks).
	checks chan struct{}
	// queueWait is how long a sign-in waits for a slot (passwordQueueWait; tests shorten it).
	queueWait time.Duration
	// verifyPassword is VerifyPassword; tests watch what it is asked.
	verifyPassword func(hash, password string) bool
	// badProxyNameLogged is set once a refused proxy user name has been logged: a
	// misconfigured proxy would otherwise log it on every request.
	badProxyNameLogged atomic.Bool
}

// credential is the one builtin user, with the fingerprint its sessions carry.
type credential struct {
	username, hash string
	// fingerprint changes with the username or the password hash, so a session made with an
	// old password is not honoured after a change.
	fingerprint string
}

func newCredential(username, hash string) *credential {
	return &credential{username: username, hash: hash,
		fingerprint: Hash("diundashboard session credential v1\x00" + username + "\x00" + hash)}
}

// New returns an Authenticator for cfg, which must be valid.
func New(cfg Config, st store.AuthStore, log *slog.Logger) (*Authenticator, error) {
	if cfg.CookieSecure == "" {
		cfg.CookieSecure = "auto"
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = DefaultSessionMax
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return newAuthenticator(cfg, st, log), nil
}

func newAuthenticator(cfg Config, st store.AuthStore, log *slog.Logger) *Authenticator {
	a := &Authenticator{cfg: cfg, store: st, log: log, limiter: newLoginLimiter(10*time.Second, 10), now: time.Now,
		checks: make(chan struct{}, MaxConcurrentPasswordChecks), queueWait: passwordQueueWait, verifyPassword: VerifyPassword}
	a.cred.Store(newCredential(cfg.Username, cfg.PasswordHash))
	return a
}

// Mode is the configured sign-in mode.
func (a *Authenticator) Mode() Mode { return a.cfg.Mode }

// GeneratedPassword reports whether the builtin user is the generated admin, whose password
// `diundashboard reset-password` replaces.
func (a *Authenticator) GeneratedPassword() bool { return a.cfg.GeneratedPassword }

// IsUser reports whether name is the builtin user's name (in constant time).
func (a *Authenticator) IsUser(name string) bool { return subtleEqual(name, a.cred.Load().username) }

// ProxyHeader is the header ModeProxy reads.
func (a *Authenticator) ProxyHeader() string { return a.cfg.ProxyHeader }

// Identify tells who sent r: an API token, a trusted proxy's header, a session cookie, or
// anyone in ModeNone. ok is false for an anonymous request; err is ErrBadToken for a wrong
// bearer token, or a store failure.
func (a *Authenticator) Identify(r *http.Request) (p Principal, ok bool, err error) {
	if a.ByTokenOnly(r) {
		tok, _ := BearerToken(r)
		return a.identifyToken(r.Context(), tok)
	}
	switch a.cfg.Mode {
	case ModeNone:
		return Principal{Name: "anonymous", Via: "none"}, true, nil
	case ModeProxy:
		if !a.fromTrustedProxy(r) {
			return Principal{}, false, nil
		}
		// A proxy sets its header once; a second value means it appended to one the client
		// sent, and which of them the proxy vouches for is unknown: nobody is signed in.
		values := r.Header.Values(a.cfg.ProxyHeader)
		if len(values) > 1 {
			a.log.WarnContext(r.Context(), "the proxy's user header came twice: the proxy must set it, not append to the client's; request refused", "header", a.cfg.ProxyHeader)
			return Principal{}, false, nil
		}
		name := ""
		if len(values) == 1 {
			name = strings.TrimSpace(values[0])
		}
		if name == "" {
			return Principal{}, false, nil
		}
		if why := badProxyUserName(name); why != "" {
			if a.badProxyNameLogged.CompareAndSwap(false, true) {
				a.log.WarnContext(r.Context(), "the proxy's user header names no single user: nobody is signed in (logged once)",
					"header", a.cfg.ProxyHeader, "why", why, "value", fmt.Sprintf("%q", textutil.Truncate(name, 80)))
			}
			return Principal{}, false, nil
		}
		return Principal{Name: name, Via: "proxy"}, true, nil
	}
	return a.identifySession(r)
}

// badProxyUserName tells why name, from the proxy's user header, is no user name, or "".
// A comma means a list ("admin, bob": a proxy or client joined two values, and which one the
// proxy vouches for is unknown); a control or formatting character is no part of a name and
// would forge lines in logs and the audit trail.
func badProxyUserName(name string) string {
	for _, r := range name {
		switch {
		case r == ',':
			return "it holds a comma, as a list of names does"
		case unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return fmt.Sprintf("it holds the control character %U", r)
		}
	}
	if store.ReservedActor(name) {
		return "the audit trail keeps this name for the dashboard itself, its MQTT bridge or an API token"
	}
	return ""
}

// ByTokenOnly tells whether Identify judges r by its bearer token alone, with no session,
// proxy header or ModeNone: so it does for every "Authorization: Bearer", except one that a
// trusted proxy in ModeProxy passes on with its user header and that is not one of ours
// (oauth2-proxy sends the user's "Authorization: Bearer <id_token>" along with the header). A request judged by
// its token alone carries no ambient authority, so the Host check may let it through.
func (a *Authenticator) ByTokenOnly(r *http.Request) bool {
	tok, present := BearerToken(r)
	if !present {
		return false
	}
	proxyUser := a.cfg.Mode == ModeProxy && a.fromTrustedProxy(r) && strings.TrimSpace(r.Header.Get(a.cfg.ProxyHeader)) != ""
	return !proxyUser || strings.HasPrefix(tok, APITokenPrefix)
}

// APITokenPrefix starts every API token, so that a token is recognised in logs and scanners.
const APITokenPrefix = "dd_"

func (a *Authenticator) identifyToken(ctx context.Context, tok string) (Principal, bool, error) {
	if tok == "" {
		return Principal{}, false, ErrBadToken
	}
	t, err := a.store.APITokenByHash(ctx, Hash(tok))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, false, ErrBadToken
	}
	if err != nil {
		return Principal{}, false, err
	}
	// Recording every use would make every API read a write; a minute's precision is plenty.
	if now := a.now(); t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := a.store.TouchAPIToken(ctx, t.ID, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			a.log.WarnContext(ctx, "cannot record the use of an API token", "token", t.Name, "err", err)
		}
	}
	scope := t.Scope
	if !scope.Valid() {
		scope = store.ScopeRead
	}
	return Principal{Name: "token:" + t.Name, Via: "token", Scope: scope}, true, nil
}

// Session cookie names. A Secure cookie takes the __Host- prefix, which browsers accept only
// with Secure, Path=/ and no Domain: no other site or subdomain can set or shadow it.
const (
	cookieSecure = "__Host-dd_session"
	cookiePlain  = "dd_session"
)

func (a *Authenticator) sessionCookie(r *http.Request) string {
	for _, name := range []string{cookieSecure, cookiePlain} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

func (a *Authenticator) identifySession(r *http.Request) (Principal, bool, error) {
	id := a.sessionCookie(r)
	if id == "" || len(id) > 128 {
		return Principal{}, false, nil
	}
	ctx := r.Context()
	h := Hash(id)
	s, err := a.store.GetSession(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, false, err
	}
	now := a.now()
	// A session ends with a change of the user or password it was signed in with: its
	// fingerprint is of the credential of its time.
	cred := a.cred.Load()
	if !now.Before(s.ExpiresAt) || s.Username != cred.username || !subtleEqual(s.Credential, cred.fingerprint) {
		return Principal{}, false, nil
	}
	// Slide the expiry, at most once an hour so that reading pages is not writing.
	if now.Sub(s.LastSeenAt) > time.Hour {
		if err := a.store.TouchSession(ctx, h, now, a.expiry(s.CreatedAt, now)); err != nil && !errors.Is(err, store.ErrNotFound) {
			a.log.WarnContext(ctx, "cannot extend a session", "err", err)
		}
	}
	return Principal{Name: s.Username, Via: "session", SessionHash: h}, true, nil
}

func (a *Authenticator) expiry(created, now time.Time) time.Time {
	return minTime(now.Add(a.cfg.SessionIdle), created.Add(a.cfg.SessionMax))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Login checks a username and password (ModeBuiltin), and on success starts a session and
// sets its cookie on w. Attempts are rate-limited per client address.
func (a *Authenticator) Login(w http.ResponseWriter, r *http.Request, username, password string) error {
	if a.cfg.Mode != ModeBuiltin {
		return fmt.Errorf("sign-in with a password is off (AUTH_MODE=%s)", a.cfg.Mode)
	}
	now := a.now()
	if ok, retry := a.limiter.allow(a.ClientIP(r), now); !ok {
		return &RateLimitError{RetryAfter: retry}
	}
	// A reset of the generated password (on the command line, or another replica) counts at
	// once: without this read the old password would sign in until the next Sweep.
	if err := a.reloadGeneratedPassword(r.Context()); err != nil {
		return err
	}
	cred := a.cred.Load()
	// The password is checked against the real hash whether or not the username is right,
	// so that a wrong username costs exactly what a wrong password does and timing tells
	// nothing about which was wrong.
	userOK := subtleEqual(username, cred.username)
	passOK, err := a.verify(r.Context(), cred.hash, password)
	if err != nil {
		return err
	}
	if !passOK || !userOK {
		return ErrBadCredentials
	}
	id, err := randomToken(32)
	if err != nil {
		return err
	}
	s := store.Session{IDHash: Hash(id), Username: cred.username, Credential: cred.fingerprint, CreatedAt: now, LastSeenAt: now, ExpiresAt: a.expiry(now, now)}
	if err := a.store.CreateSession(r.Context(), s); err != nil {
		return fmt.Errorf("cannot store the session: %w", err)
	}
	a.setCookie(w, r, id, s.ExpiresAt)
	return nil
}

// verify checks a password once a slot among MaxConcurrentPasswordChecks is free; it gives
// ErrBusy when none frees up within passwordQueueWait.
func (a *Authenticator) verify(ctx context.Context, hash, password string) (bool, error) {
	wait := time.NewTimer(a.queueWait)
	defer wait.Stop()
	select {
	case a.checks <- struct{}{}:
	case <-wait.C:
		return false, ErrBusy
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-a.checks }()
	return a.verifyPassword(hash, password), nil
}

// SetPasswordHash replaces the builtin user's password hash (a reset of the generated
// password); sessions signed in with the old one end.
func (a *Authenticator) SetPasswordHash(hash string) error {
	if err := CheckHash(hash); err != nil {
		return err
	}
	old := a.cred.Load()
	a.cred.Store(newCredential(old.username, hash))
	return nil
}

// RevokeAllSessions signs everybody out everywhere and returns how many sessions ended.
func (a *Authenticator) RevokeAllSessions(ctx context.Context) (int64, error) {
	return a.store.DeleteAllSessions(ctx)
}

// Logout ends the session of r, if any, and clears its cookie.
func (a *Authenticator) Logout(w http.ResponseWriter, r *http.Request) error {
	var err error
	if id := a.sessionCookie(r); id != "" {
		err = a.store.DeleteSession(r.Context(), Hash(id))
	}
	a.setCookie(w, r, "", time.Time{})
	return err
}

func (a *Authenticator) setCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	secure := a.secure(r)
	name := cookiePlain
	if secure {
		name = cookieSecure
	}
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

// secure decides the cookie's Secure attribute.
func (a *Authenticator) secure(r *http.Request) bool {
	switch a.cfg.CookieSecure {
	case "true":
		return true
	case "false":
		return false
	}
	return a.cfg.PublicHTTPS || IsHTTPS(r, a.fromTrustedProxy(r))
}

// IsHTTPS tells whether the browser reached us over TLS: directly, or (when the proxy is
// trusted) as the proxy's X-Forwarded-Proto says.
func IsHTTPS(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	return trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// TrustsProxy reports whether r came straight from one of TRUSTED_PROXIES.
func (a *Authenticator) TrustsProxy(r *http.Request) bool { return a.fromTrustedProxy(r) }

func (a *Authenticator) fromTrustedProxy(r *http.Request) bool {
	return a.trusted(remoteAddr(r))
}

func (a *Authenticator) trusted(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientIP is the address of the browser: the peer, or, when the peer is a trusted proxy, the
// nearest untrusted address in X-Forwarded-For.
func (a *Authenticator) ClientIP(r *http.Request) netip.Addr {
	addr := remoteAddr(r)
	if !a.trusted(addr) {
		return addr
	}
	// A proxy may add its own X-Forwarded-For line after the client's (HAProxy does): read
	// every line, or the first, which the client wrote, would be believed.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		hop = hop.Unmap()
		if !a.trusted(hop) {
			return hop
		}
		addr = hop
	}
	return addr
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// NewAPIToken makes a token, stores its hash under name and returns the token, which is
// shown once and never again.
func (a *Authenticator) NewAPIToken(ctx context.Context, name string, scope store.TokenScope) (string, store.APIToken, error) {
	raw, err := randomToken(32)
	if err != nil {
		return "", store.APIToken{}, err
	}
	tok := APITokenPrefix + raw
	t, err := a.store.CreateAPIToken(ctx, name, Hash(tok), tok[:8], scope)
	return tok, t, err
}

// Sweep deletes expired sessions and, for a generated password, picks up a reset made by
// `diundashboard reset-password` (or on another replica); the server calls it now and then.
func (a *Authenticator) Sweep(ctx context.Context) (int64, error) {
	if err := a.reloadGeneratedPassword(ctx); err != nil {
		return 0, err
	}
	return a.store.DeleteExpiredSessions(ctx, a.now())
}

// settingStore reads server-wide settings; the Store the server passes has it.
type settingStore interface {
	Setting(ctx context.Context, key string) (string, error)
}

func (a *Authenticator) reloadGeneratedPassword(ctx context.Context) error {
	st, ok := a.store.(settingStore)
	if !a.cfg.GeneratedPassword || !ok {
		return nil
	}
	hash, err := st.Setting(ctx, GeneratedPasswordSetting)
	if err != nil {
		return fmt.Errorf("cannot read the generated admin password: %w", err)
	}
	if hash == a.cred.Load().hash {
		return nil
	}
	if err := a.SetPasswordHash(hash); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "the admin password was reset: sessions signed in with the old one have ended")
	return nil
}

// Hash is the SHA-256, in hex, under which secrets are stored. Tokens and session ids are 256
// random bits, so a fast hash is enough: there is nothing to guess.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func subtleEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// BearerToken reads "Authorization: Bearer <token>"; present is true whenever a Bearer
// header is sent, so that an empty one is refused rather than ignored. Other schemes (Basic
// from a proxy in front) are left alone. Several Authorization headers of which one is Bearer
// are refused (present, no token): which one counts would be a guess, and a proxy and its
// backend could guess differently.
func BearerToken(r *http.Request) (tok string, present bool) {
	if vs := r.Header.Values("Authorization"); len(vs) > 1 {
		for _, v := range vs {
			if scheme, _, _ := strings.Cut(v, " "); strings.EqualFold(scheme, "Bearer") {
				return "", true
			}
		}
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// TokensOnly returns an Authenticator that lets in API tokens and nothing else: no sign-in
// form, no proxy, no open mode. A server built without sign-in configuration uses it, so
// that forgetting the configuration never opens the dashboard.
func TokensOnly(st store.AuthStore, log *slog.Logger) *Authenticator {
	if log == nil {
		log = slog.Default()
	}
	return newAuthenticator(Config{Mode: ModeBuiltin, CookieSecure: "auto", SessionIdle: DefaultSessionIdle, SessionMax: DefaultSessionMax}, st, log)
}
