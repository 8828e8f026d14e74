package notify

import (
	"net/url"
	"strings"
)

// Where each shoutrrr service keeps its secrets in its URL. The user name and password of
// user:password@ are always secret (passwords, Discord's and Telegram's tokens, bark's device
// key, join's and zulip's API keys), and so are the values of secret-looking query keys. What
// differs is whether the host and which path segments are tokens too.

// pathRule says which segments of a URL's path are secret.
type pathRule int

const (
	// pathLong: a layout not known here; segments longer than 8 characters are masked.
	pathLong pathRule = iota
	// pathServer: the path is the server's own (bark's), or holds names, not secrets.
	pathServer
	// pathAll: every segment (ntfy's topic: whoever knows it reads the messages).
	pathAll
	// pathLast: the last segment (gotify's token, after the server's own path).
	pathLast
	// pathFirst: the first segment (mattermost's token; the channel follows it).
	pathFirst
	// pathFirstTwo: the first two segments (rocketchat's tokens; the channel follows them).
	pathFirstTwo
)

// layout is where a service's URL keeps its secrets beyond user:password@.
type layout struct {
	// host: the host is a token, not a server.
	host bool
	// hostWithPath: the host is a token when a path follows it (slack://token-a/token-b/
	// token-c); without one it names a channel (slack://hook:token@channel).
	hostWithPath bool
	path         pathRule
}

// layouts are shoutrrr's services (v0.13). A service missing here, and every custom form
// (generic+https://…, where the URL is the service's own webhook), is masked as unknown:
// long path segments and every query value but harmlessKeys.
var layouts = map[string]layout{
	"bark":       {path: pathServer},             // bark://:devicekey@host/path
	"discord":    {path: pathServer},             // discord://token@webhookid
	"googlechat": {path: pathLong},               // googlechat://chat.googleapis.com/v1/spaces/ID/messages?key=…&token=…
	"gotify":     {path: pathLast},               // gotify://host/path/token
	"ifttt":      {host: true, path: pathServer}, // ifttt://webhookkey/?events=…
	"join":       {path: pathServer},             // join://shoutrrr:apikey@join/?devices=…
	"lark":       {path: pathAll},                // lark://host/token?secret=…
	"logger":     {path: pathServer},             // logger://
	"matrix":     {path: pathServer},             // matrix://user:password@host/?rooms=…
	"mattermost": {path: pathFirst},              // mattermost://[user@]host/token[/channel]
	"notifiarr":  {host: true, path: pathServer}, // notifiarr://apikey
	"ntfy":       {path: pathAll},                // ntfy://[user:password@]host/topic
	"opsgenie":   {path: pathAll},                // opsgenie://host/apikey
	"pagerduty":  {path: pathAll},                // pagerduty://host/integrationkey
	"pushbullet": {host: true, path: pathServer}, // pushbullet://token/targets
	"pushover":   {host: true, path: pathServer}, // pushover://shoutrrr:apptoken@userkey/
	"rocketchat": {path: pathFirstTwo},           // rocketchat://[user@]host/token-a/token-b/channel
	"signal":     {path: pathAll},                // signal://[user:password@]host/source/recipients: phone numbers
	"slack":      {hostWithPath: true, path: pathAll},
	"smtp":       {path: pathServer},             // smtp://user:password@host:port/?from=…&to=…
	"teams":      {host: true, path: pathAll},    // teams://group@tenant/altid/groupowner/extraid?host=…
	"telegram":   {path: pathServer},             // telegram://token@telegram?chats=…
	"wecom":      {host: true, path: pathServer}, // wecom://key
	"zulip":      {path: pathServer},             // zulip://botmail:botkey@host/?stream=…
}

// secretKeys are the query keys whose values are masked: tokens, keys, passwords, and every
// header a generic webhook sends (@Header=value).
var secretKeys = []string{"token", "key", "pass", "secret", "auth", "sig", "cred", "apikey", "webhook", "hook"}

// notSecret are values of secret-looking keys that name a choice rather than hold a secret:
// smtp's auth=None|Plain|CRAMMD5|Unknown|OAuth2.
var notSecret = map[string]bool{"none": true, "plain": true, "crammd5": true, "unknown": true, "oauth2": true}

// harmlessKeys are the query keys of an unknown layout whose values are shown: shoutrrr's own
// settings of a generic webhook. Every other value (a header, an extra field, a webhook's own
// parameter) may be a secret.
var harmlessKeys = map[string]bool{"template": true, "disabletls": true, "method": true, "contenttype": true,
	"titlekey": true, "messagekey": true, "title": true, "scheme": true, "priority": true, "tags": true,
	"timeout": true, "insecureskipverify": true, "skiptlsverify": true}

// masked stands for a secret while the label is built (it survives URL escaping); the label
// shows *** instead.
const masked = "MASKEDxSECRET"

// hidden is what a label shows of a secret host or path segment: its first two characters when
// it is long enough for them to give little away and they are plain letters or digits (so that
// two destinations on one server can be told apart), then ***.
func hidden(s string) string {
	if len(s) >= 8 && alnum(s[0]) && alnum(s[1]) {
		return s[:2] + masked
	}
	return masked
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// mask returns raw with its secrets masked, and what it masked: user:password@, the host or
// path segments the service keeps tokens in (layouts), long path segments that mix letters
// and digits whatever the service, and the values of secret-looking query parameters.
func mask(raw string) (string, []string) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		// Show what can be shown: the scheme, and the rest after the userinfo, masked.
		if scheme, rest, ok := strings.Cut(raw, "://"); ok && !strings.ContainsAny(scheme, "/@") {
			if at := strings.LastIndexByte(rest, '@'); at >= 0 {
				label, secrets := scheme+"://***", []string{raw, rest[:at]}
				if l, s := mask(scheme + "://" + rest[at+1:]); !strings.HasPrefix(l, "(") {
					label, secrets = strings.Replace(l, "://", "://***@", 1), append(secrets, s...)
				}
				return label, secrets
			}
		}
		return "(a value that is not a URL)", []string{raw}
	}
	service, _, custom := strings.Cut(strings.ToLower(u.Scheme), "+")
	lay, known := layouts[service]
	if custom {
		lay, known = layout{}, false
	}
	// The secrets as written in raw too: its escapes may differ from any Go writes.
	secrets := rawSecrets(raw, u)
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
			u.User = url.UserPassword(u.User.Username(), masked)
		} else if name := u.User.Username(); name != "" {
			secrets = append(secrets, name)
			u.User = url.User(masked)
		}
	}
	hasPath := strings.Trim(u.Path, "/") != ""
	if host := u.Hostname(); host != "" && (lay.host || lay.hostWithPath && hasPath) {
		secrets = append(secrets, host)
		u.Host = hidden(host)
		if port := u.Port(); port != "" {
			u.Host += ":" + port
		}
	}
	if hasPath {
		var masks []string
		u.Path, u.RawPath, masks = maskPath(u.EscapedPath(), lay.path)
		secrets = append(secrets, masks...)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vals := range q {
			lk := strings.ToLower(k)
			secret := strings.HasPrefix(k, "@") || !known && !harmlessKeys[lk]
			for _, sk := range secretKeys {
				secret = secret || strings.Contains(lk, sk)
			}
			if !secret {
				continue
			}
			for i, v := range vals {
				if v != "" && !(lk == "auth" && notSecret[strings.ToLower(v)]) {
					secrets = append(secrets, v)
					vals[i] = masked
				}
			}
			q[k] = vals
		}
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), masked, "***"), secrets
}

// maskPath masks the secret segments of an escaped path by rule; it returns the path decoded
// and escaped (for url.URL's Path and RawPath) and the segments it masked, as written. The
// path is split as written so that an encoded slash (%2F) stays inside its segment.
func maskPath(escaped string, rule pathRule) (path, rawPath string, secrets []string) {
	segs := strings.Split(escaped, "/")
	var filled []int // indexes of the non-empty segments
	for i, seg := range segs {
		if seg != "" {
			filled = append(filled, i)
		}
	}
	for n, i := range filled {
		seg := segs[i]
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		var secret bool
		switch rule {
		case pathAll:
			secret = true
		case pathLast:
			secret = n == len(filled)-1
		case pathFirst:
			secret = n == 0
		case pathFirstTwo:
			secret = n < 2
		case pathLong:
			secret = len(dec) > 8
		}
		if secret || looksSecret(dec) {
			secrets = append(secrets, seg, dec)
			segs[i] = hidden(dec)
		}
	}
	rawPath = strings.Join(segs, "/")
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		return rawPath, "", secrets
	}
	return path, rawPath, secrets
}

// rawSecrets are the user name or password of raw's user:password@, as written in raw.
func rawSecrets(raw string, u *url.URL) []string {
	if u.User == nil {
		return nil
	}
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return nil
	}
	user, pass, ok := strings.Cut(rest[:at], ":")
	if ok {
		return []string{pass}
	}
	return []string{user}
}

// looksSecret tells a path segment that is probably a token, whatever the service: 12
// characters or more, with letters and digits.
func looksSecret(seg string) bool {
	if len(seg) < 12 {
		return false
	}
	letters := strings.ContainsFunc(seg, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' })
	digits := strings.ContainsFunc(seg, func(r rune) bool { return r >= '0' && r <= '9' })
	return letters && digits
}
