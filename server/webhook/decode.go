package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"diundashboard/internal/textutil"
	"diundashboard/server/httpx"
	"diundashboard/server/store"
)

// MaxBody is the largest webhook body accepted. Diun's bodies are a few hundred bytes;
// a Kubernetes pod status in the metadata can reach a few kilobytes.
const MaxBody = 1 << 20

// diunPayload is what Diun's webhook notifier sends (see shared/notes/diun-webhook.md).
// Pointers tell a missing or null field from an empty one; unknown fields are ignored.
type diunPayload struct {
	DiunVersion *string            `json:"diun_version"`
	Hostname    *string            `json:"hostname"`
	Status      *string            `json:"status"`
	Provider    *string            `json:"provider"`
	Image       *string            `json:"image"`
	HubLink     *string            `json:"hub_link"`
	MimeType    *string            `json:"mime_type"`
	Digest      *string            `json:"digest"`
	Created     *string            `json:"created"`
	Platform    *string            `json:"platform"`
	Metadata    *map[string]string `json:"metadata"`
}

// known is the body as kept with its event: Diun's fields only, as Diun sent them. A field
// Diun never sends is not kept: each notification stored up to 64 KiB of them, shown on every
// page of its history (found by an outside review, L4).
func (p diunPayload) known() []byte {
	type kept struct {
		DiunVersion *string            `json:"diun_version,omitempty"`
		Hostname    *string            `json:"hostname,omitempty"`
		Status      *string            `json:"status,omitempty"`
		Provider    *string            `json:"provider,omitempty"`
		Image       *string            `json:"image,omitempty"`
		HubLink     *string            `json:"hub_link,omitempty"`
		MimeType    *string            `json:"mime_type,omitempty"`
		Digest      *string            `json:"digest,omitempty"`
		Created     *string            `json:"created,omitempty"`
		Platform    *string            `json:"platform,omitempty"`
		Metadata    *map[string]string `json:"metadata,omitempty"`
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // kept as sent; every page escapes it where it shows it
	_ = enc.Encode(kept(p))  // strings and a map of strings always encode
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// decodeError is a webhook body that cannot be stored; Status is 400 for a body that is not
// one JSON object and 422 for an object whose fields are wrong.
type decodeError struct {
	Status int
	Msg    string
}

func (e *decodeError) Error() string { return e.Msg }

func badRequest(format string, args ...any) *decodeError {
	return &decodeError{Status: 400, Msg: fmt.Sprintf(format, args...)}
}

func unprocessable(format string, args ...any) *decodeError {
	return &decodeError{Status: 422, Msg: fmt.Sprintf(format, args...)}
}

// The first bytes of a body that is not JSON text but could be mistaken for it by a sender.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	utf8BOM   = []byte("\ufeff")
)

// Decode turns a webhook body into a Notification, or explains what is wrong
// with it. It accepts exactly what any Diun v4.x sends: no Content-Type, null or missing
// created and metadata, empty hub_link, any status.
func Decode(body []byte) (store.Notification, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return store.Notification{}, badRequest("the body is empty: Diun sends one JSON object per image")
	}
	if bytes.HasPrefix(trimmed, gzipMagic) {
		return store.Notification{}, badRequest("the body is gzip-compressed: send the JSON uncompressed, as Diun does (no Content-Encoding)")
	}
	if !utf8.Valid(body) {
		return store.Notification{}, badRequest("the body is not valid UTF-8")
	}
	if bytes.HasPrefix(trimmed, utf8BOM) {
		return store.Notification{}, badRequest("the body starts with a byte order mark (U+FEFF): send the JSON object without it, as Diun does")
	}
	if trimmed[0] != '{' {
		return store.Notification{}, badRequest("the body must be one JSON object, like Diun's webhook sends")
	}
	var p diunPayload
	// Unmarshal reads the body in place (a Decoder copies it into a buffer of its own first,
	// a tenth of a request's allocations); a body it refuses goes through the Decoder again
	// to say what is wrong, in the terms of a stream.
	if err := json.Unmarshal(trimmed, &p); err != nil {
		return store.Notification{}, explainJSON(trimmed)
	}
	n := store.Notification{
		DiunVersion: deref(p.DiunVersion),
		Hostname:    deref(p.Hostname),
		Status:      deref(p.Status),
		Provider:    deref(p.Provider),
		Image:       strings.TrimSpace(deref(p.Image)),
		HubLink:     deref(p.HubLink),
		MimeType:    deref(p.MimeType),
		Digest:      strings.TrimSpace(deref(p.Digest)),
		Platform:    deref(p.Platform),
		RawBody:     p.known(),
	}
	if p.Metadata != nil {
		n.Metadata = *p.Metadata
		if n.Metadata == nil { // "metadata": null decodes to a nil map behind a non-nil pointer
			n.Metadata = nil
		}
	}
	if p.Created != nil && *p.Created != "" {
		t, err := time.Parse(time.RFC3339Nano, *p.Created)
		if err != nil {
			return store.Notification{}, unprocessable("created %q is not an RFC 3339 time (e.g. 2026-06-27T13:20:19Z)", textutil.Truncate(*p.Created, 64))
		}
		n.Created = &t
	}
	if err := n.Validate(); err != nil {
		return store.Notification{}, unprocessable("%s", strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "))
	}
	if err := checkPlainFields(n); err != nil {
		return store.Notification{}, err
	}
	if err := checkDigest(n.Digest); err != nil {
		return store.Notification{}, err
	}
	return n, nil
}

// checkPlainFields refuses control and invisible formatting characters (a line break, ESC,
// a right-to-left override) in the one-line fields, which outgoing notifications and logs
// print as they are: with them, a token holder could forge extra lines in a message. Diun
// never sends any: these are host names, image references, digests and short words.
// Metadata values keep theirs (a pod status may span lines); they are shown escaped.
func checkPlainFields(n store.Notification) error {
	for _, f := range []struct{ name, value string }{
		{"hostname", n.Hostname}, {"image", n.Image}, {"digest", n.Digest}, {"platform", n.Platform},
		{"provider", n.Provider}, {"status", n.Status}, {"mime_type", n.MimeType},
		{"diun_version", n.DiunVersion}, {"hub_link", n.HubLink},
	} {
		if r, bad := textutil.LineBreaker(f.value); bad {
			return unprocessable("%s contains the control character %U: Diun never sends one there; send the %s on one line of printable text", f.name, r, f.name)
		}
	}
	return nil
}

// Digest lengths, in hex digits, of the algorithms the OCI image spec registers. Diun sends
// sha256 only; sha512 is accepted because the spec allows it.
var digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// checkDigest accepts what the README promises: an OCI digest "algorithm:hex". A registered
// algorithm needs its exact length of lower-case hex; another one (the spec allows new ones)
// lower-case hex of 32 to 128 digits, the lengths of real hash functions.
func checkDigest(d string) error {
	algo, enc, _ := strings.Cut(d, ":")
	shown := textutil.Truncate(d, 80)
	if !validDigestAlgorithm(algo) {
		return unprocessable("digest %q does not start with an algorithm such as sha256: send an OCI digest, sha256:<64 hex digits>, as Diun does", shown)
	}
	for _, r := range enc {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return unprocessable("digest %q is not algorithm:hex: after %q:, only lower-case hex digits (0-9, a-f) are accepted, as Diun sends (sha256:<64 hex digits>)", shown, algo)
		}
	}
	if want, ok := digestHexLen[algo]; ok && len(enc) != want {
		return unprocessable("digest %q has %d hex digits; a %s digest has %d (Diun sends sha256:<64 hex digits>)", shown, len(enc), algo, want)
	}
	if len(enc) < 32 || len(enc) > 128 {
		return unprocessable("digest %q has %d hex digits; a digest has 32 to 128 (Diun sends sha256:<64 hex digits>)", shown, len(enc))
	}
	return nil
}

// validDigestAlgorithm follows the OCI grammar: lower-case letters and digits, in components
// separated by one of + . _ -
func validDigestAlgorithm(a string) bool {
	if a == "" || len(a) > 32 {
		return false
	}
	prevSep := true
	for _, r := range a {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			prevSep = false
		case strings.ContainsRune("+._-", r) && !prevSep:
			prevSep = true
		default:
			return false
		}
	}
	return !prevSep
}

// explainJSON says why body, which json.Unmarshal refused, is not one JSON object.
func explainJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var p diunPayload
	if err := dec.Decode(&p); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body must be one JSON object, but more follows it")
	}
	return badRequest("the body is not valid JSON")
}

func jsonError(err error) *decodeError {
	status, msg := httpx.JSONError(err)
	return &decodeError{Status: status, Msg: msg}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
