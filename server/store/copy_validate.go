package store

import (
	"encoding/json"
	"fmt"
	"time"

	"diundashboard/internal/textutil"
)

// An imported row is checked as the webhook and the API check what they store: an export is a
// file anyone may have written, and a crafted one restored control characters, 500 KB of
// metadata and ids that made every later notification fail (an outside review).

// MaxImportID bounds the ids of imported rows. Far above any real database's, it leaves room
// for ids to grow (an id at the top of int64 made every later insert fail, "database or disk
// is full"): 2^52 more rows before ids pass 2^53, the largest integer JavaScript reads exactly
// (at 2^53-1 itself, the next rows got ids that clients confused and a later import refused:
// an outside review).
const MaxImportID = 1 << 52

// Limits of the columns no notification carries.
const (
	maxSettingKeyLen   = 256
	maxSettingValueLen = 64 << 10
	maxActorLen        = MaxFieldLen
	maxCredentialLen   = 256
)

func invalidRow(table, format string, args ...any) error {
	return fmt.Errorf("%w: table %s: %s; the dashboard never writes such a row (was the file edited?)", ErrInvalid, table, fmt.Sprintf(format, args...))
}

func checkID(table, column string, id int64) error {
	if id < 1 || id > MaxImportID {
		return invalidRow(table, "%s %d is not between 1 and %d", column, id, int64(MaxImportID))
	}
	return nil
}

// checkLine is checkText for a one-line field: no control, formatting or line-separating
// character either.
func checkLine(table, column, v string, max int) error {
	if err := checkText(column, v, max); err != nil {
		return fmt.Errorf("table %s: %w", table, err)
	}
	if r, bad := textutil.LineBreaker(v); bad {
		return invalidRow(table, "%s contains the control character %U", column, r)
	}
	return nil
}

func checkHex64(table, column, v string) error {
	if len(v) != 64 {
		return invalidRow(table, "%s is not a hex SHA-256", column)
	}
	for _, r := range v {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return invalidRow(table, "%s is not a hex SHA-256", column)
		}
	}
	return nil
}

// checkNotification checks the columns a notification fills as the webhook does.
func checkNotification(table string, n Notification, metadata []byte) error {
	if metadata != nil {
		if err := json.Unmarshal(metadata, &n.Metadata); err != nil {
			return invalidRow(table, "metadata is not an object of strings: %v", err)
		}
	}
	if err := n.Validate(); err != nil {
		return fmt.Errorf("table %s: %w", table, err)
	}
	for _, f := range []struct{ name, value string }{
		{"hostname", n.Hostname}, {"image", n.Image}, {"digest", n.Digest}, {"platform", n.Platform},
		{"provider", n.Provider}, {"status", n.Status}, {"mime_type", n.MimeType},
		{"diun_version", n.DiunVersion}, {"hub_link", n.HubLink},
	} {
		if err := checkLine(table, f.name, f.value, MaxFieldLen); err != nil {
			return err
		}
	}
	return nil
}

func checkState(table, column, s string) error {
	if !State(s).Valid() {
		return invalidRow(table, "%s %q is not one of %v", column, textutil.Truncate(s, 40), States)
	}
	return nil
}

func (r *imageRecord) validate() error {
	if err := checkID("images", "id", r.ID); err != nil {
		return err
	}
	if r.Notifications < 0 {
		return invalidRow("images", "notifications is negative")
	}
	if err := checkState("images", "state", r.State); err != nil {
		return err
	}
	if !OpenedBy(r.OpenedBy).Valid() {
		return invalidRow("images", "opened_by %q is not one of \"\", %q, %q, %q", textutil.Truncate(r.OpenedBy, 40), OpenedByDigest, OpenedBySnooze, OpenedByPerson)
	}
	// The store sets it from the notifications that fill first_seen and last_seen.
	if r.DigestChangedAt.Before(r.FirstSeen) || r.DigestChangedAt.After(r.LastSeen) {
		return invalidRow("images", "digest_changed_at %s is not between first_seen %s and last_seen %s",
			r.DigestChangedAt.Format(time.RFC3339Nano), r.FirstSeen.Format(time.RFC3339Nano), r.LastSeen.Format(time.RFC3339Nano))
	}
	return checkNotification("images", Notification{Hostname: r.Hostname, Image: r.Image, Digest: r.Digest, Status: r.Status,
		Provider: r.Provider, HubLink: r.HubLink, MimeType: r.MimeType, Platform: r.Platform}, r.Metadata)
}

func (r *eventRecord) validate() error {
	if err := checkID("events", "id", r.ID); err != nil {
		return err
	}
	if r.ImageID != nil {
		if err := checkID("events", "image_id", *r.ImageID); err != nil {
			return err
		}
	}
	if err := checkText("raw_body", r.RawBody, MaxRawBody); err != nil {
		return fmt.Errorf("table events: %w", err)
	}
	switch Source(r.Source) {
	case SourceWebhook, SourceReconcile, SourceBackfill:
	default:
		return invalidRow("events", "source %q is not webhook, reconcile or backfill", textutil.Truncate(r.Source, 40))
	}
	return checkNotification("events", Notification{DiunVersion: r.DiunVersion, Hostname: r.Hostname, Image: r.Image, Digest: r.Digest,
		Status: r.Status, Provider: r.Provider, HubLink: r.HubLink, MimeType: r.MimeType, Platform: r.Platform}, r.Metadata)
}

func (r *tagRecord) validate() error {
	if err := checkID("tags", "id", r.ID); err != nil {
		return err
	}
	if name, err := validTagName(r.Name); err != nil || name != r.Name {
		return invalidRow("tags", "name %q is not a tag name the dashboard accepts (1 to %d bytes of text on one line)", textutil.Truncate(r.Name, 40), MaxTagLen)
	}
	return nil
}

func (r *imageTagRecord) validate() error {
	if err := checkID("image_tags", "image_id", r.ImageID); err != nil {
		return err
	}
	return checkID("image_tags", "tag_id", r.TagID)
}

func (r *stateChangeRecord) validate() error {
	for _, c := range []struct {
		name string
		id   int64
	}{{"id", r.ID}, {"image_id", r.ImageID}} {
		if err := checkID("state_changes", c.name, c.id); err != nil {
			return err
		}
	}
	if err := checkLine("state_changes", "actor", r.Actor, maxActorLen); err != nil {
		return err
	}
	if err := checkLine("state_changes", "digest", r.Digest, 256); err != nil {
		return err
	}
	if err := checkState("state_changes", "from_state", r.FromState); err != nil {
		return err
	}
	switch r.Cause {
	case "", CauseUndo, CauseNewDigest:
	default:
		return invalidRow("state_changes", "cause %q is not %q or %q", textutil.Truncate(r.Cause, 40), CauseUndo, CauseNewDigest)
	}
	return checkState("state_changes", "to_state", r.ToState)
}

func (r *settingRecord) validate() error {
	if r.Key == "" {
		return invalidRow("settings", "a setting has no key")
	}
	if err := checkLine("settings", "key", r.Key, maxSettingKeyLen); err != nil {
		return err
	}
	if err := checkText("value", r.Value, maxSettingValueLen); err != nil {
		return fmt.Errorf("table settings: %w", err)
	}
	return nil
}

func (r *sessionRecord) validate() error {
	if err := checkHex64("sessions", "id_hash", r.IDHash); err != nil {
		return err
	}
	if err := checkLine("sessions", "username", r.Username, MaxFieldLen); err != nil {
		return err
	}
	return checkLine("sessions", "credential", r.Credential, maxCredentialLen)
}

func (r *apiTokenRecord) validate() error {
	if err := checkID("api_tokens", "id", r.ID); err != nil {
		return err
	}
	if err := checkLine("api_tokens", "name", r.Name, MaxTokenNameLen); err != nil {
		return err
	}
	if err := checkHex64("api_tokens", "token_hash", r.TokenHash); err != nil {
		return err
	}
	if err := checkLine("api_tokens", "prefix", r.Prefix, 16); err != nil {
		return err
	}
	if !TokenScope(r.Scope).Valid() {
		return invalidRow("api_tokens", "scope %q is not read or write", textutil.Truncate(r.Scope, 20))
	}
	return nil
}
