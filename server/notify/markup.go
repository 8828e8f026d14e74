package notify

import (
	"html"
	"net/url"
	"strings"

	"diundashboard/internal/textutil"
)

// flavour is the markup a destination renders a message in. Diun's fields (image names,
// hostnames) are untrusted text: whoever holds the webhook token chooses them, so each
// flavour escapes them, and only the dashboard's own links (BASE_URL, and the registry and
// source pages it infers itself) may be links.
type flavour int

const (
	// plain: shown as sent (ntfy, Gotify, Pushover, e-mail as text, generic webhooks…).
	plain flavour = iota
	// markdown: Discord, Mattermost, Rocket.Chat, Teams, Zulip: backslash escapes.
	markdown
	// slack: Slack's and Google Chat's mrkdwn: &, < and > as entities, no escape character.
	slack
	// htmlText: e-mail with usehtml=yes (shoutrrr wraps the message in <pre>) and Telegram's
	// HTML parse mode.
	htmlText
	// telegramMarkdown and telegramMarkdownV2: Telegram's parse modes of those names.
	telegramMarkdown
	telegramMarkdownV2
)

// chatServices are the services that render Markdown and ping on @mentions.
var chatServices = map[string]flavour{
	"discord": markdown, "mattermost": markdown, "rocketchat": markdown, "teams": markdown, "zulip": markdown,
	"slack": slack, "googlechat": slack,
}

// flavourOf is the markup of a destination's service, as its URL configures it.
func flavourOf(rawURL string) flavour {
	u, err := url.Parse(rawURL)
	if err != nil {
		return plain
	}
	service, _, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	q := url.Values{}
	for k, v := range u.Query() {
		q[strings.ToLower(k)] = v
	}
	switch service {
	case "smtp":
		if yes(q.Get("usehtml")) {
			return htmlText
		}
	case "telegram":
		switch strings.ToLower(q.Get("parsemode")) {
		case "html":
			return htmlText
		case "markdown":
			return telegramMarkdown
		case "markdownv2":
			return telegramMarkdownV2
		}
	}
	if f, ok := chatServices[service]; ok {
		return f
	}
	return plain
}

func yes(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true", "1", "on":
		return true
	}
	return false
}

// Zero-width space: breaks a mention or an address without showing.
const zwsp = "\u200b"

// untrusted writes Diun's text s for f: never a link, a mention, a line break or markup.
func untrusted(f flavour, s string) string {
	if f == markdown {
		return textutil.MarkdownText(s)
	}
	s = textutil.NoBreaks(s)
	// No image name holds an address: "https://evil" stays text in every client.
	s = strings.ReplaceAll(s, "://", ":"+zwsp+"//")
	if f != plain {
		// @channel, @here, @all, @everyone, @someone: no mention, no ping.
		s = strings.ReplaceAll(s, "@", "@"+zwsp)
		s = strings.ReplaceAll(s, "www.", "www"+zwsp+".")
	}
	switch f {
	case telegramMarkdown:
		return textutil.EscapeWith(s, "\\`*_[")
	case telegramMarkdownV2:
		return textutil.EscapeWith(s, "\\_*[]()~`>#+-=|{}.!")
	case slack:
		s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
		// mrkdwn has no escape character: a zero-width space keeps *, _, ~ and ` literal.
		return strings.NewReplacer("*", zwsp+"*", "_", zwsp+"_", "~", zwsp+"~", "`", zwsp+"`").Replace(s)
	case htmlText:
		return html.EscapeString(s)
	}
	return s
}

// words writes the dashboard's own text: escaped only where a flavour reserves its ordinary
// characters (Telegram's MarkdownV2 reserves . - ( ) and more; HTML &, < and >).
func words(f flavour, s string) string {
	switch f {
	case telegramMarkdownV2:
		return textutil.EscapeWith(s, "\\_*[]()~`>#+-=|{}.!")
	case htmlText:
		return html.EscapeString(s)
	}
	return s
}
