// Package textutil holds the small text helpers several layers need: quoting untrusted input
// back, and counting things in words.
package textutil

import (
	"strconv"
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
