// Package notify sends DiunDashboard's own notifications through shoutrrr
// (github.com/nicholas-fedor/shoutrrr): one message per burst of images that became open
// (NOTIFY_NEW), grouped by host, and a scheduled digest of everything still open
// (NOTIFY_DIGEST). Database triggers queue the images in the transaction that opens them; the
// Service composes queued images into outbox rows in one transaction and sends each row once,
// with retries and exponential backoff (see server/store/notify_outbox.go).
package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// The digest runs in TZ; the container image (distroless) has no zoneinfo files.
	_ "time/tzdata"

	"github.com/nicholas-fedor/shoutrrr"
)

// Config is the notification settings, parsed. The zero Config sends nothing.
type Config struct {
	// Targets are the destinations of NOTIFY_URLS, in the order given.
	Targets []Target
	// NewAfter is NOTIFY_NEW: how long after the first image of a burst became open the
	// message about the burst goes; 0 is off.
	NewAfter time.Duration
	// Digest is NOTIFY_DIGEST; its zero value is off.
	Digest Schedule
	// Raw settings, as given, for the Notifications page.
	NewSetting, DigestSetting string
}

// Enabled reports whether anything is to be sent.
func (c Config) Enabled() bool { return len(c.Targets) > 0 }

// Defaults of the settings.
const (
	DefaultNew    = "2m"
	DefaultDigest = "off"
)

// ParseConfig reads NOTIFY_URLS, NOTIFY_NEW and NOTIFY_DIGEST. Every URL is checked by
// shoutrrr; an error names the URL with its secrets masked.
func ParseConfig(urls, newAfter, digest string) (Config, error) {
	c := Config{NewSetting: strings.TrimSpace(newAfter), DigestSetting: strings.TrimSpace(digest)}
	if c.NewSetting == "" {
		c.NewSetting = DefaultNew
	}
	if c.DigestSetting == "" {
		c.DigestSetting = DefaultDigest
	}
	targets, err := ParseTargets(urls)
	if err != nil {
		return Config{}, err
	}
	c.Targets = targets
	if c.NewAfter, err = ParseNew(c.NewSetting); err != nil {
		return Config{}, err
	}
	if c.Digest, err = ParseSchedule(c.DigestSetting); err != nil {
		return Config{}, err
	}
	return c, nil
}

// CheckTZ refuses a TZ that names no time zone: Go would quietly use UTC, and the digest would
// come at the wrong hour.
func CheckTZ(tz string) error {
	tz = strings.TrimPrefix(strings.TrimSpace(tz), ":")
	if tz == "" || strings.HasPrefix(tz, "/") { // a zoneinfo file's path: the C library's form
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("TZ %q is not a time zone name such as Europe/Paris or UTC: NOTIFY_DIGEST's time would be wrong", tz)
	}
	return nil
}

// ParseNew reads NOTIFY_NEW: "off", or a duration from 1s to 24h ("2m", "90s").
func ParseNew(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return 0, fmt.Errorf("NOTIFY_NEW %q is not off or a duration from 1s to 24h (such as 2m): how long to wait for the rest of Diun's burst before sending one message", s)
	}
	return d, nil
}

// Target is one destination of NOTIFY_URLS.
type Target struct {
	// URL is the shoutrrr URL as given: it holds secrets; never log or show it.
	URL string
	// Label is URL with its secrets masked, for logs and the Notifications page.
	Label string
	// Key identifies the target in the outbox: the hex SHA-256 of URL.
	Key string
	// secrets are the parts of URL that Label masks, to scrub from error texts.
	secrets []string
}

// schemeStart finds where a URL starts inside a comma-separated list: a comma followed by a
// scheme, so that the commas inside a URL (to=a@x,b@y; tags=a,b) stay in it.
var schemeStart = regexp.MustCompile(`,\s*([a-zA-Z][a-zA-Z0-9+.-]*://)`)

// ParseTargets splits NOTIFY_URLS (space or comma separated) and checks each URL with
// shoutrrr. Duplicates are dropped.
func ParseTargets(s string) ([]Target, error) {
	var out []Target
	for _, raw := range splitURLs(s) {
		t := NewTarget(raw)
		if slices.ContainsFunc(out, func(o Target) bool { return o.Key == t.Key }) {
			continue
		}
		if _, err := shoutrrr.CreateSender(raw); err != nil {
			// shoutrrr's error quotes the URL as given (secrets included) and drops the
			// reason: build the message from the service's own check, scrubbed.
			return nil, fmt.Errorf("NOTIFY_URLS: %s is not a URL shoutrrr can send to: %s; see %s for the URL of this service", t.Label, t.Scrub(whyRefused(raw)), docsURL(raw))
		}
		out = append(out, t)
	}
	return out, nil
}

// MaskURLs returns a NOTIFY_URLS value with every URL's secrets masked, for --help.
func MaskURLs(s string) string {
	var labels []string
	for _, raw := range splitURLs(s) {
		labels = append(labels, NewTarget(raw).Label)
	}
	return strings.Join(labels, " ")
}

// splitURLs splits NOTIFY_URLS at spaces and at commas that start another URL.
func splitURLs(s string) []string {
	var out []string
	for _, field := range strings.Fields(s) {
		field = schemeStart.ReplaceAllString(field, " $1")
		for _, raw := range strings.Fields(field) {
			if raw = strings.Trim(raw, ","); raw != "" {
				out = append(out, raw)
			}
		}
	}
	return out
}

// NewTarget describes raw without checking it.
func NewTarget(raw string) Target {
	sum := sha256.Sum256([]byte(raw))
	label, secrets := mask(raw)
	return Target{URL: raw, Label: label, Key: hex.EncodeToString(sum[:]), secrets: secretForms(secrets)}
}

// Scrub replaces every secret of the target's URL in s (an error text that may quote the URL),
// in every form it may take there: as given, decoded, and encoded again the ways a URL's parts
// are (%20 or + for a space, upper or lower case hex).
func (t Target) Scrub(s string) string {
	s = strings.ReplaceAll(s, t.URL, t.Label)
	for _, form := range t.secrets {
		s = strings.ReplaceAll(s, form, "***")
	}
	return s
}

// secretForms are the texts a secret may appear as, longest first. Secrets shorter than 3
// bytes are left out: replacing them everywhere would mangle the text, and the label never
// shows them.
func secretForms(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if len(f) >= 3 && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, sec := range secrets {
		forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec), strings.ReplaceAll(url.QueryEscape(sec), "+", "%20"),
			strings.TrimPrefix(url.UserPassword("u", sec).String(), "u:")}
		if dec, err := url.PathUnescape(sec); err == nil {
			forms = append(forms, dec)
		}
		if dec, err := url.QueryUnescape(sec); err == nil {
			forms = append(forms, dec)
		}
		for _, f := range forms {
			add(f)
			add(lowerHex(f))
		}
	}
	// Longest first, so that a form containing another is replaced whole.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// lowerHex writes the percent escapes of s in lower case (%2f rather than %2F).
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerByte(b[i+1]), lowerByte(b[i+2])
		}
	}
	return string(b)
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// Schedule is when the digest goes: every day, or one day of the week, at a time of day in
// the server's time zone (TZ). The zero Schedule is off.
type Schedule struct {
	// Weekday is -1 for every day.
	Weekday      time.Weekday
	Hour, Minute int
	on           bool
}

// On reports whether the schedule sends anything.
func (s Schedule) On() bool { return s.on }

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseSchedule reads NOTIFY_DIGEST: "off", "daily@08:00" or "weekly@mon@08:00".
func ParseSchedule(s string) (Schedule, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	bad := fmt.Errorf("NOTIFY_DIGEST %q is not off, daily@HH:MM (daily@08:00) or weekly@DAY@HH:MM (weekly@mon@08:00, days sun…sat), in the time zone TZ", s)
	if s == "off" || s == "" {
		return Schedule{}, nil
	}
	parts := strings.Split(s, "@")
	sch := Schedule{Weekday: -1, on: true}
	var clock string
	switch {
	case len(parts) == 2 && parts[0] == "daily":
		clock = parts[1]
	case len(parts) == 3 && parts[0] == "weekly":
		d, ok := weekdays[parts[1]]
		if !ok {
			return Schedule{}, bad
		}
		sch.Weekday, clock = d, parts[2]
	default:
		return Schedule{}, bad
	}
	hh, mm, ok := strings.Cut(clock, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(mm) != 2 {
		return Schedule{}, bad
	}
	sch.Hour, sch.Minute = h, m
	return sch, nil
}

// Last returns the latest time of the schedule at or before now, in loc.
func (s Schedule) Last(now time.Time, loc *time.Location) time.Time {
	now = now.In(loc)
	t := time.Date(now.Year(), now.Month(), now.Day(), s.Hour, s.Minute, 0, 0, loc)
	for t.After(now) || (s.Weekday >= 0 && t.Weekday() != s.Weekday) {
		t = time.Date(t.Year(), t.Month(), t.Day()-1, s.Hour, s.Minute, 0, 0, loc)
	}
	return t
}

// Next returns the first time of the schedule after now, in loc.
func (s Schedule) Next(now time.Time, loc *time.Location) time.Time {
	now = now.In(loc)
	t := time.Date(now.Year(), now.Month(), now.Day(), s.Hour, s.Minute, 0, 0, loc)
	for !t.After(now) || (s.Weekday >= 0 && t.Weekday() != s.Weekday) {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, s.Hour, s.Minute, 0, 0, loc)
	}
	return t
}
