package notify

import (
	"net/url"
	"strings"

	"diundashboard/internal/textutil"
)

// serviceLimits are the most bytes a message (title and body) may have per service: ntfy and
// Telegram take 4096, Discord 2000 characters, Pushover 1024, Slack about 40000 (counted
// here in bytes, which are never fewer than characters). Services missing here (Gotify,
// email, webhooks, …) take far more: they get defaultLimit.
var serviceLimits = map[string]int{
	"ntfy":     4096,
	"telegram": 4096,
	"discord":  2000,
	"pushover": 1024,
	"slack":    40000,
}

// defaultLimit bounds the messages of services without a known limit, so that a message
// stays readable.
const defaultLimit = 64 << 10

// Limit is the most bytes of title and body the target's service takes.
func (t Target) Limit() int {
	u, err := url.Parse(t.URL)
	if err != nil {
		return defaultLimit
	}
	service, _, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	if n, ok := serviceLimits[service]; ok {
		return n
	}
	return defaultLimit
}

// MessageLimit is the most bytes of title and body a message may have to reach every target:
// one message goes to all of them.
func (c Config) MessageLimit() int {
	limit := defaultLimit
	for _, t := range c.Targets {
		limit = min(limit, t.Limit())
	}
	return limit
}

// bodyLimit is what is left of limit for a body after title: the title may travel in the
// same text (Telegram, Discord), with a line break.
func bodyLimit(limit int, title string) int {
	return max(limit-len(title)-2, 0)
}

// fitBody cuts body to at most n bytes on a rune boundary: the last guard, for a body that
// was composed for a larger limit.
func fitBody(body string, n int) string {
	if len(body) <= n {
		return body
	}
	if n <= len("…") {
		return ""
	}
	return textutil.Truncate(body, n-len("…"))
}
