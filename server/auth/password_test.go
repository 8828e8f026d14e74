package auth

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPasswordArgon2id(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", argonMemory, argonTime, argonThreads); !strings.HasPrefix(h, want) {
		t.Fatalf("hash %q does not start with %q", h, want)
	}
	if strings.Contains(h, pw) {
		t.Fatal("the hash contains the password")
	}
	if err := CheckHash(h); err != nil {
		t.Fatalf("CheckHash refuses its own hash: %v", err)
	}
	p, err := parseArgon2id(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.salt) != argonSaltLen || len(p.key) != argonKeyLen {
		t.Errorf("salt %d bytes, key %d bytes; want %d and %d", len(p.salt), len(p.key), argonSaltLen, argonKeyLen)
	}
	if !VerifyPassword(h, pw) {
		t.Error("the right password is refused")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "correct horse battery staple ", "Correct horse battery staple"} {
		if VerifyPassword(h, wrong) {
			t.Errorf("the wrong password %q is accepted", wrong)
		}
	}
	// A fresh salt each time: the same password never gives the same hash.
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !VerifyPassword(h2, pw) {
		t.Error("the second hash refuses the password")
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("HashPassword accepted an empty password")
	}
}

func TestVerifyPasswordRefusesTamperedArgon2id(t *testing.T) {
	h, err := HashPassword("s3cret-password")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	key, _ := base64.RawStdEncoding.DecodeString(parts[5])
	key[0] ^= 1
	parts[5] = base64.RawStdEncoding.EncodeToString(key)
	if VerifyPassword(strings.Join(parts, "$"), "s3cret-password") {
		t.Error("a hash with a flipped key bit accepts the password")
	}
	salt, _ := base64.RawStdEncoding.DecodeString(strings.Split(h, "$")[4])
	salt[0] ^= 1
	parts = strings.Split(h, "$")
	parts[4] = base64.RawStdEncoding.EncodeToString(salt)
	if VerifyPassword(strings.Join(parts, "$"), "s3cret-password") {
		t.Error("a hash with a changed salt accepts the password")
	}
}

func TestBcryptHashAccepted(t *testing.T) {
	const pw = "hunter2-but-longer"
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	// $2a$ from x/crypto; htpasswd writes $2y$ and other tools $2b$, which are the same scheme.
	for _, variant := range []string{h, "$2b$" + h[4:], "$2y$" + h[4:]} {
		if err := CheckHash(variant); err != nil {
			t.Errorf("CheckHash(%.7s…): %v", variant, err)
		}
		if !VerifyPassword(variant, pw) {
			t.Errorf("%.4s: the right password is refused", variant)
		}
		if VerifyPassword(variant, pw+"x") || VerifyPassword(variant, "") {
			t.Errorf("%.4s: a wrong password is accepted", variant)
		}
	}
}

func TestCheckHashRefusesGarbage(t *testing.T) {
	good, err := HashPassword("password1")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=…, salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	shortB64 := base64.RawStdEncoding.EncodeToString([]byte("1234567"))
	for _, c := range []struct {
		name, hash, want string
	}{
		{"empty", "", "must be a bcrypt"},
		{"plain password", "password1", "must be a bcrypt"},
		{"md5-crypt", "$1$abcdefgh$abcdefghijklmnopqrstuv", "must be a bcrypt"},
		{"argon2i", strings.Replace(good, "$argon2id$", "$argon2i$", 1), "must be a bcrypt"},
		{"compose ate the dollars", strings.ReplaceAll(good, "$", ""), "hash-password"},
		{"bcrypt truncated", "$2b$10$abc", "not a valid bcrypt hash"},
		{"bcrypt cost too high", "$2b$99$" + strings.Repeat("a", 53), "not a valid bcrypt hash"},
		{"argon2id missing part", strings.Join(parts[:5], "$"), "not a valid argon2id hash"},
		{"argon2id extra part", good + "$x", "not a valid argon2id hash"},
		{"argon2id old version", with(2, "v=16"), "not a valid argon2id hash"},
		{"argon2id bad version", with(2, "version"), "not a valid argon2id hash"},
		{"argon2id bad params", with(3, "m=a,t=b,p=c"), "not a valid argon2id hash"},
		{"argon2id huge memory", with(3, "m=4194304,t=2,p=1"), "out of range"},
		{"argon2id tiny memory", with(3, "m=8,t=2,p=1"), "out of range"},
		{"argon2id zero time", with(3, "m=19456,t=0,p=1"), "out of range"},
		{"argon2id many passes", with(3, "m=19456,t=1000,p=1"), "out of range"},
		{"argon2id zero threads", with(3, "m=19456,t=2,p=0"), "out of range"},
		{"argon2id salt not base64", with(4, "!!!!"), "not a valid argon2id hash"},
		{"argon2id short salt", with(4, shortB64), "not a valid argon2id hash"},
		{"argon2id short key", with(5, shortB64), "not a valid argon2id hash"},
		{"argon2id padded key", with(5, parts[5]+"="), "not a valid argon2id hash"},
	} {
		err := CheckHash(c.hash)
		if err == nil {
			t.Errorf("%s: CheckHash(%q) accepted it", c.name, c.hash)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "AUTH_PASSWORD_HASH") {
			t.Errorf("%s: CheckHash says %q; want it to name AUTH_PASSWORD_HASH and say %q", c.name, err, c.want)
		}
		// Whatever CheckHash refuses never lets anyone in.
		if VerifyPassword(c.hash, "password1") || VerifyPassword(c.hash, "") {
			t.Errorf("%s: VerifyPassword accepted a password against a refused hash", c.name)
		}
	}
}
