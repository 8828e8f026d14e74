package textutil

import (
	"strings"
	"unicode"
)

const zwsp = "\u200b"

// MarkdownText writes untrusted text (Diun's image names, host names, metadata) so that a
// Markdown renderer shows it as it is: no link, no mention, no line break, no markup. Line and
// paragraph separators and other controls become spaces; "://" and "www." are broken with a
// zero-width space so that no client auto-links them; "@" is followed by one so that @channel or
// @everyone pings nobody; every character Markdown gives a meaning gets a backslash.
func MarkdownText(s string) string {
	s = NoBreaks(s)
	s = strings.ReplaceAll(s, "://", ":"+zwsp+"//")
	s = strings.ReplaceAll(s, "@", "@"+zwsp)
	s = strings.ReplaceAll(s, "www.", "www"+zwsp+".")
	return EscapeWith(s, "\\`*_{}[]()#+-.!|<>~&")
}

// NoBreaks replaces controls and the line and paragraph separators with spaces, so that
// untrusted text cannot start a line of its own.
func NoBreaks(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// EscapeWith puts a backslash before every ASCII character of s that is in special.
func EscapeWith(s, special string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && strings.ContainsRune(special, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
