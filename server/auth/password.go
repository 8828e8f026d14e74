package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// argon2id parameters for new hashes: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane),
// about 30 ms on a small server: slow for a guesser, unnoticed by a person signing in.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), which AUTH_PASSWORD_HASH accepts.
func HashPassword(password string) (string, error) {
	return hashArgon2idWith(password, argonMemory, argonTime, argonThreads)
}

// hashArgon2idWith hashes with the given memory (KiB), passes and lanes.
func hashArgon2idWith(password string, memory, passes uint32, threads uint8) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, passes, memory, threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckHash tells whether hash is a password hash this package can verify: bcrypt ($2a$, $2b$,
// $2y$) or argon2id in the PHC format.
func CheckHash(hash string) error {
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("AUTH_PASSWORD_HASH is not a valid bcrypt hash: %v", err)
		}
		return nil
	case strings.HasPrefix(hash, "$argon2id$"):
		_, err := parseArgon2id(hash)
		return err
	}
	return errors.New("AUTH_PASSWORD_HASH must be a bcrypt ($2b$…) or argon2id ($argon2id$…) hash: run `diundashboard hash-password` to make one (in a compose file, write each $ as $$)")
}

// VerifyPassword reports whether password matches hash, in time that does not depend on how
// much of it matches.
func VerifyPassword(hash, password string) bool {
	if strings.HasPrefix(hash, "$argon2id$") {
		p, err := parseArgon2id(hash)
		if err != nil {
			return false
		}
		key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
		return subtle.ConstantTimeCompare(key, p.key) == 1
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

type argonParams struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parseArgon2id(hash string) (argonParams, error) {
	bad := errors.New("AUTH_PASSWORD_HASH is not a valid argon2id hash ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return argonParams{}, bad
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return argonParams{}, bad
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return argonParams{}, bad
	}
	// Bounds keep a hostile hash from making each sign-in allocate gigabytes.
	if p.memory < 1024 || p.memory > 1<<20 || p.time < 1 || p.time > 20 || p.threads < 1 {
		return argonParams{}, fmt.Errorf("AUTH_PASSWORD_HASH has argon2id parameters out of range (m 1024–1048576 KiB, t 1–20, p ≥ 1)")
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return argonParams{}, bad
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(p.key) < 16 {
		return argonParams{}, bad
	}
	return p, nil
}
