package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"

	"diundashboard/server/auth"
)

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

// checkerOfHash checks against a token known only by its hex SHA-256.
func checkerOfHash(hexSum string) tokenChecker {
	var c tokenChecker
	if b, err := hex.DecodeString(hexSum); err == nil && len(b) == len(c.sum) {
		copy(c.sum[:], b)
		c.set = true
	}
	return c
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
