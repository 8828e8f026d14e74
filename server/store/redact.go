package store

import (
	"net/url"
	"regexp"
	"strings"
)

// mask stands in for every secret the store shows.
const mask = "xxxxx"

// hiddenURL stands in for a DATABASE_URL that did not parse: any part of it may be a password.
const hiddenURL = "(not shown: not a valid database URL)"

// Redact returns databaseURL as it may be shown in logs, errors and --help. Only a value that
// parses is shown, as a SQLite path or as a URL with a host, with its password, any
// password-like parameter and its fragment masked; anything else becomes a placeholder, since
// a malformed value (libpq's key=value form, a missing //, an unencoded character) can put the
// password anywhere.
func Redact(databaseURL string) string {
	if strings.TrimSpace(databaseURL) == "" {
		return ""
	}
	scheme, rest, ok := strings.Cut(databaseURL, ":")
	if !ok || !validScheme(scheme) {
		return hiddenURL
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		if _, err := parseSQLite(rest); err != nil {
			return hiddenURL
		}
		return maskSecrets(databaseURL)
	}
	u, err := url.Parse(databaseURL)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return hiddenURL
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), mask)
		}
	}
	u.RawQuery = maskQuery(u.RawQuery)
	u.Fragment, u.RawFragment = "", ""
	return maskSecrets(u.String())
}

// maskQuery masks the value of every password-like parameter (password, sslpassword, in any
// case) and of any other whose value holds a password=, keeping the rest as written.
func maskQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	pairs := strings.Split(rawQuery, "&")
	for i, pair := range pairs {
		k, v, hasValue := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			value = v
		}
		if hasValue && (sensitiveKey(key) || maskSecrets(value) != value) {
			pairs[i] = k + "=" + mask
		}
	}
	return strings.Join(pairs, "&")
}

func sensitiveKey(key string) bool {
	return strings.Contains(strings.ToLower(key), "password")
}

// keyValuePassword matches password=… (and sslpassword=…) as libpq's key=value form or a URL
// query writes it: any case, spaces around "=", a value in single or double quotes (with
// backslash escapes; unterminated, to the end) or up to the next space, "&", double quote or
// backquote (the ends of a query parameter, or of a quoted connection string in a message).
var keyValuePassword = regexp.MustCompile(`(?i)(password\s*=\s*)(?:'(?:\\.|[^'\\])*'?|"(?:\\.|[^"\\])*"?|[^\s&"` + "`" + `]*)`)

// maskSecrets masks, by their shape alone, the passwords a message may carry: password=… and
// the userinfo of user:password@host, wherever a driver or server put them. It may mask more
// than the password (a user name, the next parameter), never less.
func maskSecrets(s string) string {
	s = keyValuePassword.ReplaceAllString(s, "${1}"+mask)
	return maskUserinfo(s)
}

// MaskSecrets masks what is shaped like a password in s (password=…, user:…@), for a program
// that echoes a value which may be a misplaced DATABASE_URL, such as an unexpected
// command-line argument. Prefer Redact for a value known to be a DATABASE_URL.
func MaskSecrets(s string) string { return maskSecrets(s) }

// docUserinfo is the placeholder of the URL our own advice shows; it holds no secret.
const docUserinfo = "user:password"

// maskUserinfo masks from the first colon of a user:password@ to its "@" in every word (a run
// without spaces or quotes) of s. The last "@" of a word ends the userinfo, as in URL parsing,
// since a password may itself contain "@"; after "scheme://", the user name comes first.
func maskUserinfo(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexFunc(s, isWordSeparator)
		word, sep := s, ""
		if i >= 0 {
			word, sep, s = s[:i], s[i:i+1], s[i+1:]
		} else {
			s = ""
		}
		b.WriteString(maskWordUserinfo(word))
		b.WriteString(sep)
	}
	return b.String()
}

func isWordSeparator(r rune) bool {
	return r <= ' ' || r == '"' || r == '\'' || r == '`' || r == 0x7f
}

func maskWordUserinfo(word string) string {
	at := strings.LastIndexByte(word, '@')
	if at < 0 {
		return word
	}
	start := 0
	if i := strings.Index(word[:at], "://"); i >= 0 {
		start = i + 3
	}
	userinfo := word[start:at]
	colon := strings.IndexByte(userinfo, ':')
	if colon < 0 || userinfo == docUserinfo || userinfo[colon+1:] == mask {
		return word
	}
	return word[:start+colon+1] + mask + word[at:]
}

// urlSecrets lists the passwords databaseURL gives to a driver, so that they can be masked
// wherever a driver or a server repeats them, whatever the shape around them.
func urlSecrets(databaseURL string) []string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		// Never handed to a driver: ParseURL refuses it first.
		return nil
	}
	var secrets []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			secrets = append(secrets, pw)
		}
	}
	for k, vs := range u.Query() {
		if sensitiveKey(k) {
			for _, v := range vs {
				if v != "" {
					secrets = append(secrets, v)
				}
			}
		}
	}
	return secrets
}

// scrub masks in msg the passwords of databaseURL, then anything shaped like one.
func scrub(msg, databaseURL string) string {
	for _, secret := range urlSecrets(databaseURL) {
		msg = replaceSecret(msg, secret)
	}
	return maskSecrets(msg)
}

// replaceSecret masks every occurrence of secret in msg. A password shorter than four
// characters is masked only where it stands as a word of its own: masking every "a" or "db"
// would turn the explanation around it into noise.
func replaceSecret(msg, secret string) string {
	if len(secret) >= 4 {
		return strings.ReplaceAll(msg, secret, mask)
	}
	var b strings.Builder
	for {
		i := strings.Index(msg, secret)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		end := i + len(secret)
		if (i == 0 || !isWordByte(msg[i-1])) && (end == len(msg) || !isWordByte(msg[end])) {
			b.WriteString(msg[:i])
			b.WriteString(mask)
		} else {
			b.WriteString(msg[:end])
		}
		msg = msg[end:]
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// hideSecrets returns err with every password of databaseURL, and anything shaped like one,
// masked in its text. Every exported entry point that is given a DATABASE_URL passes its error
// through here, so a driver or server that quotes the connection string or the password cannot
// put it into a log. Unwrap still reaches the driver's error, for errors.Is and errors.As; its
// own text is not for showing.
func hideSecrets(err error, databaseURL string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	hidden := scrub(msg, databaseURL)
	if hidden == msg {
		return err
	}
	return &explainedError{msg: hidden, err: err}
}

// explainedError shows a message whose wording hideSecrets chose, and keeps the cause for
// errors.Is and errors.As.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }
