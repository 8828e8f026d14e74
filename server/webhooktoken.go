package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"diundashboard/server/store"
)

// The webhook token in the database. Only its SHA-256 is needed to check what Diun presents,
// so that is what is kept for good; the token itself is kept only until Diun first presents
// it, so that the Connect page can show it while Diun is being set up. After that a copy of
// the database (a backup, a world-readable file) no longer gives the token away.
const (
	// WebhookTokenHashSetting holds the hex SHA-256 of a generated or rotated token.
	WebhookTokenHashSetting = "webhook_token_sha256"
	// WebhookTokenSetting holds the token itself until Diun first presents it; then "".
	WebhookTokenSetting = "webhook_token"
)

// WebhookSecret is the webhook token as a server knows it: always its hash, and the token
// itself while it may still be shown.
type WebhookSecret struct {
	// Hash is the hex SHA-256 of the token.
	Hash string
	// Token is the token itself: set when configured (WEBHOOK_TOKEN), and for a stored token
	// until Diun first presents it.
	Token string
}

func secretOf(token string) WebhookSecret {
	return WebhookSecret{Hash: hashToken(token), Token: token}
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// EnsureWebhookToken returns the token Diun must present. A configured token wins; otherwise
// the one kept in the database, generated on first start (created is then true, and the
// caller shows it once). A database from before hashing keeps its token, now hashed.
func EnsureWebhookToken(ctx context.Context, st store.Store, configured string) (secret WebhookSecret, created bool, err error) {
	if configured != "" {
		return secretOf(configured), false, nil
	}
	kept, err := storedSetting(ctx, st, WebhookTokenSetting)
	if err != nil {
		return WebhookSecret{}, false, fmt.Errorf("cannot read the webhook token: %w", err)
	}
	hash, err := storedSetting(ctx, st, WebhookTokenHashSetting)
	if err != nil {
		return WebhookSecret{}, false, fmt.Errorf("cannot read the webhook token: %w", err)
	}
	if hash != "" {
		return WebhookSecret{Hash: hash, Token: kept}, false, nil
	}
	if kept == "" {
		// First start. Of several replicas starting at once, the first to store a token wins;
		// the others read it back.
		fresh, err := GenerateToken()
		if err != nil {
			return WebhookSecret{}, false, err
		}
		if kept, err = st.InitSetting(ctx, WebhookTokenSetting, fresh); err != nil {
			return WebhookSecret{}, false, fmt.Errorf("cannot store the webhook token: %w", err)
		}
		created = kept == fresh
	}
	if hash, err = st.InitSetting(ctx, WebhookTokenHashSetting, hashToken(kept)); err != nil {
		return WebhookSecret{}, false, fmt.Errorf("cannot store the webhook token: %w", err)
	}
	return WebhookSecret{Hash: hash, Token: kept}, created, nil
}

// storedSetting reads a setting; a missing one is "".
func storedSetting(ctx context.Context, st store.Store, key string) (string, error) {
	v, err := st.Setting(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return v, err
}

// webhookToken is the token Diun presents, as the webhook checks it and the Connect page shows
// and rotates it. A stored token can be rotated from the Connect page; other replicas pick the
// new one up on their next background tick.
type webhookToken struct {
	store      store.Store
	configured bool // from WEBHOOK_TOKEN: not rotatable, always shown
	mu         sync.RWMutex
	secret     WebhookSecret
	check      tokenChecker
	// presented is set when Diun presents the token: the background sweep then forgets the
	// stored copy of the token itself.
	presented atomic.Bool
}

func newWebhookToken(st store.Store, secret WebhookSecret, configured bool) *webhookToken {
	t := &webhookToken{store: st, configured: configured}
	t.set(secret)
	return t
}

func (t *webhookToken) matches(presented string) bool {
	t.mu.RLock()
	ok := t.check.matches(presented)
	t.mu.RUnlock()
	if ok && !t.configured && !t.presented.Load() {
		t.presented.Store(true)
	}
	return ok
}

func (t *webhookToken) set(secret WebhookSecret) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.secret, t.check = secret, checkerOfHash(secret.Hash)
}

func (t *webhookToken) current() WebhookSecret {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.secret
}

// Token implements web.WebhookToken: the token while it may be shown, else "".
func (t *webhookToken) Token() string { return t.current().Token }

// Configured implements web.WebhookToken.
func (t *webhookToken) Configured() bool { return t.configured }

// Rotate implements web.WebhookToken: a new token, stored for every replica, shown until Diun
// presents it.
func (t *webhookToken) Rotate(ctx context.Context) (string, error) {
	if t.configured {
		return "", errors.New("the webhook token is set by WEBHOOK_TOKEN")
	}
	secret, err := RotateWebhookToken(ctx, t.store)
	if err != nil {
		return "", err
	}
	t.presented.Store(false)
	t.set(secret)
	return secret.Token, nil
}

// RotateWebhookToken makes a new stored webhook token, kept (to be shown) until Diun presents
// it. Servers pick it up on their next background tick.
func RotateWebhookToken(ctx context.Context, st store.Store) (WebhookSecret, error) {
	fresh, err := GenerateToken()
	if err != nil {
		return WebhookSecret{}, err
	}
	secret := secretOf(fresh)
	// The token before its hash: a replica that reads between the two sees the old hash
	// with the new token, which it does not show (see reload), rather than a hash that
	// nobody can show.
	if err := st.PutSetting(ctx, WebhookTokenSetting, secret.Token); err != nil {
		return WebhookSecret{}, fmt.Errorf("cannot store the new webhook token: %w", err)
	}
	if err := st.PutSetting(ctx, WebhookTokenHashSetting, secret.Hash); err != nil {
		return WebhookSecret{}, fmt.Errorf("cannot store the new webhook token: %w", err)
	}
	return secret, nil
}

// reload reads the stored token, so that a rotation on another replica reaches this one, and
// forgets the token itself once Diun has presented it.
func (t *webhookToken) reload(ctx context.Context) error {
	if t.configured {
		return nil
	}
	if t.presented.Load() && t.Token() != "" {
		if err := t.store.PutSetting(ctx, WebhookTokenSetting, ""); err != nil {
			return fmt.Errorf("cannot forget the webhook token Diun now uses: %w", err)
		}
	}
	hash, err := storedSetting(ctx, t.store, WebhookTokenHashSetting)
	if err != nil || hash == "" {
		return err
	}
	kept, err := storedSetting(ctx, t.store, WebhookTokenSetting)
	if err != nil {
		return err
	}
	// Never show a token whose hash is not the one in force (a rotation half seen).
	if kept != "" && hashToken(kept) != hash {
		kept = ""
	}
	if cur := t.current(); cur.Hash != hash || cur.Token != kept {
		t.set(WebhookSecret{Hash: hash, Token: kept})
	}
	return nil
}

// webhookSecret is the webhook token of the options.
func (o Options) webhookSecret() WebhookSecret {
	if o.WebhookToken != "" {
		return secretOf(o.WebhookToken)
	}
	return WebhookSecret{Hash: o.WebhookTokenHash}
}
