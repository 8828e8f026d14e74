package textutil

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestLineBreakerEveryRune: the ASCII fast path refuses exactly what the Unicode tables do, for
// every code point, alone and after plain text.
func TestLineBreakerEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		want := unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
		s := "docker.io/acme/app:1" + string(r) + "x"
		got, bad := LineBreaker(s)
		if bad != want || (bad && got != r) {
			t.Fatalf("LineBreaker(%q) = %U, %v; want %v", s, got, bad, want)
		}
	}
	if r, bad := LineBreaker("host-01 ghcr.io/acme/app:1.2 sha256:ab"); bad {
		t.Errorf("plain text refused at %U", r)
	}
}
