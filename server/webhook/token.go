package webhook

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// The webhook token in the database. Only its SHA-256 is needed to check what Diun presents,
// so that is what is kept for good; the token itself is kept only until Diun first presents
// it, so that the Connect page can show it while Diun is being set up. After that a copy of
// the database (a backup, a world-readable file) no longer gives the token away.
const (
	// TokenHashSetting holds the hex SHA-256 of a generated or rotated token.
	TokenHashSetting = "webhook_token_sha256"
	// TokenSetting holds the token itself until Diun first presents it; then "".
	TokenSetting = "webhook_token"
)

// Secret is the webhook token as a server knows it: always its hash, and the token
// itself while it may still be shown.
type Secret struct {
	// Hash is the hex SHA-256 of the token.
	Hash string
	// Token is the token itself: set when configured (WEBHOOK_TOKEN), and for a stored token
	// until Diun first presents it.
	Token string
}

func SecretOf(token string) Secret {
	return Secret{Hash: hashToken(token), Token: token}
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// EnsureToken returns the token Diun must present. A configured token wins; otherwise
// the one kept in the database, generated on first start (created is then true, and the
// caller shows it once). A database from before hashing keeps its token, now hashed.
func EnsureToken(ctx context.Context, st store.Store, configured string) (secret Secret, created bool, err error) {
	if configured != "" {
		return SecretOf(configured), false, nil
	}
	kept, err := storedSetting(ctx, st, TokenSetting)
	if err != nil {
		return Secret{}, false, fmt.Errorf("cannot read the webhook token: %w", err)
	}
	hash, err := storedSetting(ctx, st, TokenHashSetting)
	if err != nil {
		return Secret{}, false, fmt.Errorf("cannot read the webhook token: %w", err)
	}
	if hash != "" {
		return Secret{Hash: hash, Token: kept}, false, nil
	}
	if kept == "" {
		// First start. Of several replicas starting at once, the first to store a token wins;
		// the others read it back.
		fresh, err := GenerateToken()
		if err != nil {
			return Secret{}, false, err
		}
		if kept, err = st.InitSetting(ctx, TokenSetting, fresh); err != nil {
			return Secret{}, false, fmt.Errorf("cannot store the webhook token: %w", err)
		}
		created = kept == fresh
	}
	if hash, err = st.InitSetting(ctx, TokenHashSetting, hashToken(kept)); err != nil {
		return Secret{}, false, fmt.Errorf("cannot store the webhook token: %w", err)
	}
	return Secret{Hash: hash, Token: kept}, created, nil
}

// storedSetting reads a setting; a missing one is "".
func storedSetting(ctx context.Context, st store.Store, key string) (string, error) {
	v, err := st.Setting(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return v, err
}

// Token is the token Diun presents, as the webhook checks it and the Connect page shows
// and rotates it. A stored token can be rotated from the Connect page; other replicas pick the
// new one up on their next background tick.
type Token struct {
	store      store.Store
	configured bool // from WEBHOOK_TOKEN: not rotatable, always shown
	mu         sync.RWMutex
	secret     Secret
	check      checker
	// presented is set when Diun presents the token: the background sweep then forgets the
	// stored copy of the token itself.
	presented atomic.Bool
	// lastReload is when MatchesFresh last read the stored token (Unix nanoseconds).
	lastReload atomic.Int64
	// forgetting is set while one request forgets the stored copy of the token.
	forgetting atomic.Bool
}

// NewToken returns the token of secret; configured is true for WEBHOOK_TOKEN.
func NewToken(st store.Store, secret Secret, configured bool) *Token {
	t := &Token{store: st, configured: configured}
	t.set(secret)
	return t
}

// MatchesFresh is Matches on the stored token as it is now: the token is read again first when
// the copy in memory is older than freshReloadEvery, so that a token rotated on the command line
// or on another replica replaces the old one at once rather than at the next background tick
// (found by an outside review: the old token was accepted for 9 s more, the new one refused).
// The first time Diun presents a stored token, the copy of the token itself is forgotten at
// once: from then on only its hash is kept.
func (t *Token) MatchesFresh(ctx context.Context, presented string) bool {
	now := time.Now()
	if last := t.lastReload.Load(); !t.configured && now.Sub(time.Unix(0, last)) >= freshReloadEvery {
		t.lastReload.Store(now.UnixNano())
		// A database that does not answer leaves the token in memory in force.
		_ = t.Reload(ctx)
	}
	if !t.Matches(presented) {
		return false
	}
	if t.Token() != "" && !t.configured && t.forgetting.CompareAndSwap(false, true) {
		defer t.forgetting.Store(false)
		// Left for the next sweep when the database does not answer now.
		_ = t.forget(ctx)
	}
	return true
}

// freshReloadEvery bounds the reads of MatchesFresh: the stored token is read at most this
// often, however many notifications arrive.
const freshReloadEvery = 2 * time.Second

// forget drops the stored copy of the token itself, once Diun has presented it; the hash stays.
// Only the copy of the token in force is dropped: a token rotated meanwhile elsewhere, which
// Diun has not presented yet, stays shown.
func (t *Token) forget(ctx context.Context) error {
	cur := t.current()
	kept, err := storedSetting(ctx, t.store, TokenSetting)
	if err != nil {
		return err
	}
	if kept != "" && hashToken(kept) == cur.Hash {
		if err := t.store.PutSetting(ctx, TokenSetting, ""); err != nil {
			return fmt.Errorf("cannot forget the webhook token Diun now uses: %w", err)
		}
	}
	if t.current() == cur {
		t.set(Secret{Hash: cur.Hash})
	}
	return nil
}

// Matches tells whether presented is the token, in constant time.
func (t *Token) Matches(presented string) bool {
	t.mu.RLock()
	ok := t.check.matches(presented)
	t.mu.RUnlock()
	if ok && !t.configured && !t.presented.Load() {
		t.presented.Store(true)
	}
	return ok
}

func (t *Token) set(secret Secret) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.secret, t.check = secret, checkerOfHash(secret.Hash)
}

func (t *Token) current() Secret {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.secret
}

// Token implements web.WebhookToken: the token while it may be shown, else "".
func (t *Token) Token() string { return t.current().Token }

// Configured implements web.WebhookToken.
func (t *Token) Configured() bool { return t.configured }

// Rotate implements web.WebhookToken: a new token, stored for every replica, shown until Diun
// presents it.
func (t *Token) Rotate(ctx context.Context) (string, error) {
	if t.configured {
		return "", errors.New("the webhook token is set by WEBHOOK_TOKEN")
	}
	secret, err := RotateToken(ctx, t.store)
	if err != nil {
		return "", err
	}
	t.presented.Store(false)
	t.set(secret)
	return secret.Token, nil
}

// TokenSourceSetting says where the last server started on this database takes its webhook
// token from: "environment" (WEBHOOK_TOKEN) or "database". The `token` command, which runs
// without the server's environment, reads it so that it never prints or rotates a stored
// token that the server does not accept (found by an outside tester).
const TokenSourceSetting = "webhook_token_source"

// RecordSource records where this server's token comes from (TokenSourceSetting) when the
// database says otherwise: at the first sweep, and again after an import or a database made
// anew replaced it. The server's background sweep calls it, off the webhook's path.
func (t *Token) RecordSource(ctx context.Context) error {
	source, err := storedSetting(ctx, t.store, TokenSourceSetting)
	if err != nil {
		return err
	}
	if source != "" && (source == "environment") == t.configured {
		return nil // already so
	}
	return NoteTokenSource(ctx, t.store, t.configured)
}

// NoteTokenSource records whether WEBHOOK_TOKEN sets the token of the server on st.
func NoteTokenSource(ctx context.Context, st store.Store, configured bool) error {
	source := "database"
	if configured {
		source = "environment"
	}
	if err := st.PutSetting(ctx, TokenSourceSetting, source); err != nil {
		return fmt.Errorf("cannot store where the webhook token comes from: %w", err)
	}
	return nil
}

// The refusals of CheckTokenSource.
var (
	// ErrTokenFromEnvironment: the server takes its token from WEBHOOK_TOKEN, not the database.
	ErrTokenFromEnvironment = errors.New("the server last started on this database takes its webhook token from WEBHOOK_TOKEN (its environment), not from the database: change it there, and in Diun's configuration, then restart the server")
	// ErrTokenFromDatabase: this command has WEBHOOK_TOKEN, the server does not.
	ErrTokenFromDatabase = errors.New("WEBHOOK_TOKEN is set here, but the server last started on this database takes its webhook token from the database: run this command without WEBHOOK_TOKEN")
)

// CheckTokenSource refuses when the token a command would show or change is not the one the
// last server started on st takes: configured tells whether the command has WEBHOOK_TOKEN.
// A database no server has started on yet refuses nothing.
func CheckTokenSource(ctx context.Context, st store.Store, configured bool) error {
	source, err := storedSetting(ctx, st, TokenSourceSetting)
	if err != nil {
		return fmt.Errorf("cannot read where the webhook token comes from: %w", err)
	}
	switch {
	case source == "environment" && !configured:
		return ErrTokenFromEnvironment
	case source == "database" && configured:
		return ErrTokenFromDatabase
	}
	return nil
}

// TokenRotatedSetting holds when the stored token was last made anew (RFC 3339, UTC).
const TokenRotatedSetting = "webhook_token_rotated_at"

// RotatedAt tells when the stored webhook token was last made anew; false when it never was
// (or the setting cannot be read: the Connect page then says what it said before).
func RotatedAt(ctx context.Context, st store.Store) (time.Time, bool) {
	v, err := st.Setting(ctx, TokenRotatedSetting)
	if err != nil || v == "" {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, v)
	return at, err == nil
}

// RotateToken makes a new stored webhook token, kept (to be shown) until Diun presents
// it. Servers pick it up on their next background tick.
func RotateToken(ctx context.Context, st store.Store) (Secret, error) {
	fresh, err := GenerateToken()
	if err != nil {
		return Secret{}, err
	}
	secret := SecretOf(fresh)
	// The token before its hash: a replica that reads between the two sees the old hash
	// with the new token, which it does not show (see reload), rather than a hash that
	// nobody can show.
	if err := st.PutSetting(ctx, TokenSetting, secret.Token); err != nil {
		return Secret{}, fmt.Errorf("cannot store the new webhook token: %w", err)
	}
	if err := st.PutSetting(ctx, TokenHashSetting, secret.Hash); err != nil {
		return Secret{}, fmt.Errorf("cannot store the new webhook token: %w", err)
	}
	// When: a test notification from before it proves nothing about the new token.
	if err := st.PutSetting(ctx, TokenRotatedSetting, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return Secret{}, fmt.Errorf("cannot store the new webhook token: %w", err)
	}
	return secret, nil
}

// Reload reads the stored token, so that a rotation on another replica reaches this one, and
// forgets the token itself once Diun has presented it.
func (t *Token) Reload(ctx context.Context) error {
	if t.configured {
		return nil
	}
	if t.presented.Load() && t.Token() != "" {
		if err := t.forget(ctx); err != nil {
			return err
		}
	}
	hash, err := storedSetting(ctx, t.store, TokenHashSetting)
	if err != nil || hash == "" {
		return err
	}
	kept, err := storedSetting(ctx, t.store, TokenSetting)
	if err != nil {
		return err
	}
	// Never show a token whose hash is not the one in force (a rotation half seen).
	if kept != "" && hashToken(kept) != hash {
		kept = ""
	}
	if cur := t.current(); cur.Hash != hash || cur.Token != kept {
		if cur.Hash != hash {
			// Another token: Diun has not presented this one yet.
			t.presented.Store(false)
		}
		t.set(Secret{Hash: hash, Token: kept})
	}
	return nil
}

// checker compares a presented token with the expected one in constant time: both are
// hashed first, so neither their contents nor their lengths show in the timing.
type checker struct {
	sum [sha256.Size]byte
	set bool
}

// checkerOfHash checks against a token known only by its hex SHA-256.
func checkerOfHash(hexSum string) checker {
	var c checker
	if b, err := hex.DecodeString(hexSum); err == nil && len(b) == len(c.sum) {
		copy(c.sum[:], b)
		c.set = true
	}
	return c
}

func (c checker) matches(presented string) bool {
	if !c.set || presented == "" {
		return false
	}
	sum := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(sum[:], c.sum[:]) == 1
}

// presentedToken reads "Authorization: Bearer <token>" or, for Diun set-ups that configure no
// headers, the "token" query parameter.
func presentedToken(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		tok, _ := auth.BearerToken(r)
		return tok
	}
	return r.URL.Query().Get("token")
}

// GenerateToken returns a new random token (256 bits, URL-safe).
func GenerateToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
