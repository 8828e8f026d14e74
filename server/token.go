package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"diundashboard/server/store"
)

// WebhookTokenSetting is where a generated webhook token is kept, so that every replica and
// every restart uses the same one.
const WebhookTokenSetting = "webhook_token"

// tokenChecker compares a presented token with the expected one in constant time: both are
// hashed first, so neither their contents nor their lengths show in the timing.
type tokenChecker struct {
	sum [sha256.Size]byte
	set bool
}

func newTokenChecker(token string) tokenChecker {
	if token == "" {
		return tokenChecker{}
	}
	return tokenChecker{sum: sha256.Sum256([]byte(token)), set: true}
}

func (c tokenChecker) matches(presented string) bool {
	if !c.set || presented == "" {
		return false
	}
	sum := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(sum[:], c.sum[:]) == 1
}

// presentedToken reads "Authorization: Bearer <token>" or, for Diun set-ups that configure no
// headers, the "token" query parameter.
func presentedToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
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

// EnsureWebhookToken returns the token Diun must present. A configured token wins; otherwise
// the one kept in the database, generated on first start (created is then true, and the
// caller shows it once).
func EnsureWebhookToken(ctx context.Context, st store.Store, configured string) (token string, created bool, err error) {
	if configured != "" {
		return configured, false, nil
	}
	existing, err := st.Setting(ctx, WebhookTokenSetting)
	if err == nil {
		return existing, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", false, fmt.Errorf("cannot read the webhook token: %w", err)
	}
	fresh, err := GenerateToken()
	if err != nil {
		return "", false, err
	}
	stored, err := st.InitSetting(ctx, WebhookTokenSetting, fresh)
	if err != nil {
		return "", false, fmt.Errorf("cannot store the webhook token: %w", err)
	}
	return stored, stored == fresh, nil
}
