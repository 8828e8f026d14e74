// Package textutil holds the small text helpers several layers need: quoting untrusted input
// back, and counting things in words.
package textutil

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Truncate shortens s to at most n bytes plus an ellipsis, cutting on a rune boundary, for
// quoting untrusted text back in an error or a notice without making it invalid UTF-8.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Plural is "1 image", "2 images": n and noun, with an s unless n is 1.
func Plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

// LineBreaker returns the first character of s that is not plain text on one line: a control
// character (line feed, ESC, C1), an invisible formatting one (a right-to-left override) or
// Unicode's line and paragraph separators (U+2028, U+2029), which JavaScript and many chat
// apps break lines at. ok is false when s has none.
func LineBreaker(s string) (r rune, ok bool) {
	for _, r := range s {
		if r < utf8.RuneSelf {
			// ASCII, nearly every character of Diun's fields: only C0 and DEL are control
			// characters, and the table lookups below cost the webhook ~10 µs a notification.
			if r < 0x20 || r == 0x7f {
				return r, true
			}
			continue
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return r, true
		}
	}
	return 0, false
}

// ParseDays reads a number of days as the settings write it: "365" or "365d" (a sign is
// allowed, so that a caller can say why a negative count is refused). ok is false for
// anything else, such as a Go duration ("8760h").
func ParseDays(s string) (n int64, ok bool) {
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(s), "d"), 10, 64)
	return n, err == nil
}
