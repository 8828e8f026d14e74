// Package textutil holds the one text helper every layer needs for untrusted input.
package textutil

import "unicode/utf8"

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
