package store

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"diundashboard/internal/textutil"
)

// Limits on what a notification may carry. PostgreSQL cannot index a key over about 2.7 kB,
// and no real image reference or hostname comes close to these.
const (
	MaxImageLen    = 1024
	MaxHostnameLen = 255
	MaxFieldLen    = 2048
	MaxTagLen      = 64
	// MaxMetadataBytes bounds the keys and values of one notification's metadata together.
	// Diun's metadata is a few hundred bytes (docker labels, a pod's names); every page and
	// API list that shows an image carries it, 500 at a time.
	MaxMetadataBytes = 16 << 10
)

// Validate checks a notification before anything is stored. Its error wraps ErrInvalid and
// names the field.
func (n Notification) Validate() error {
	if strings.TrimSpace(n.Image) == "" {
		return fmt.Errorf("%w: image is missing or empty", ErrInvalid)
	}
	if !slices.Contains(Sources, n.sourceOf()) {
		return fmt.Errorf("%w: source %q is not one of webhook, reconcile, backfill", ErrInvalid, textutil.Truncate(string(n.Source), 40))
	}
	if strings.TrimSpace(n.Digest) == "" {
		return fmt.Errorf("%w: digest is missing or empty", ErrInvalid)
	}
	if !validDigest(n.Digest) {
		return fmt.Errorf("%w: digest %q is not of the form algorithm:hex (e.g. sha256:…)", ErrInvalid, textutil.Truncate(n.Digest, 80))
	}
	fields := []struct {
		name, value string
		max         int
	}{
		{"image", n.Image, MaxImageLen},
		{"hostname", n.Hostname, MaxHostnameLen},
		{"diun_version", n.DiunVersion, MaxFieldLen},
		{"status", n.Status, MaxFieldLen},
		{"provider", n.Provider, MaxFieldLen},
		{"hub_link", n.HubLink, MaxFieldLen},
		{"mime_type", n.MimeType, MaxFieldLen},
		{"platform", n.Platform, MaxFieldLen},
	}
	for _, f := range fields {
		if err := checkText(f.name, f.value, f.max); err != nil {
			return err
		}
	}
	total := 0
	for k, v := range n.Metadata {
		total += len(k) + len(v)
		if err := checkText("metadata key", k, MaxFieldLen); err != nil {
			return err
		}
		if err := checkText("metadata."+textutil.Truncate(k, 40), v, MaxRawBody); err != nil {
			return err
		}
	}
	// Every page that shows the image carries its metadata: bound what one notification can
	// make every later page load.
	if total > MaxMetadataBytes {
		return fmt.Errorf("%w: metadata is %d bytes in all; at most %d are kept (Diun's is a few kilobytes)", ErrInvalid, total, MaxMetadataBytes)
	}
	return nil
}

// checkText refuses what either database would refuse or mangle: invalid UTF-8 and NUL.
func checkText(name, v string, max int) error {
	switch {
	case len(v) > max:
		return fmt.Errorf("%w: %s is %d bytes long; the most accepted is %d", ErrInvalid, name, len(v), max)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, name)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%w: %s contains a NUL character", ErrInvalid, name)
	}
	return nil
}

// validDigest accepts OCI digests: algorithm ([a-z0-9+._-]) ':' encoded ([a-zA-Z0-9=_-]).
func validDigest(d string) bool {
	algo, enc, ok := strings.Cut(d, ":")
	if !ok || algo == "" || enc == "" || len(d) > 256 {
		return false
	}
	for _, r := range algo {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("+._-", r)) {
			return false
		}
	}
	for _, r := range enc {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '=' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func validTagName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("%w: a tag needs a name", ErrInvalid)
	}
	if err := checkText("tag name", name, MaxTagLen); err != nil {
		return "", err
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%w: a tag name cannot contain control characters", ErrInvalid)
		}
	}
	return name, nil
}

// validate checks a filter's text the way notifications are checked: PostgreSQL refuses NUL
// and invalid UTF-8 in a parameter as a database error, which a client must not be able to
// cause (it would read as "the database is unavailable").
func (f ImageFilter) validate() error {
	if f.State != "" && !f.State.Valid() {
		return fmt.Errorf("%w: state %q is not one of open, acknowledged, snoozed, ignored", ErrInvalid, textutil.Truncate(string(f.State), 40))
	}
	for _, c := range []struct {
		name, value string
		max         int
	}{
		{"host", f.Hostname, MaxHostnameLen},
		{"provider", f.Provider, MaxFieldLen},
		{"tag", f.Tag, MaxFieldLen},
		{"q", f.Query, MaxFieldLen},
		{"stack", f.Stack, MaxFieldLen},
	} {
		if err := checkText(c.name, c.value, c.max); err != nil {
			return err
		}
	}
	return nil
}
