package store

import (
	"encoding/json"
	"time"

	"diundashboard/gen/sqlitedb"
	"diundashboard/internal/dbtype"
)

// now is the store's clock: UTC, at the microsecond precision both databases keep, so a time
// read back compares equal to the one written.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// encodeMetadata keeps nil (Diun sent null or nothing) apart from an empty object.
func encodeMetadata(m map[string]string) dbtype.JSON {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return b
}

// decodeMetadata reads what encodeMetadata wrote; a value that is not an object of strings
// (written by hand, say) reads as absent rather than failing the whole page.
func decodeMetadata(raw dbtype.JSON) map[string]string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	return m
}

func imageFromRow(r sqlitedb.Image) Image {
	return Image{
		ID:              r.ID,
		Hostname:        r.Hostname,
		Image:           r.Image,
		Digest:          r.Digest,
		Status:          r.Status,
		Provider:        r.Provider,
		HubLink:         r.HubLink,
		MimeType:        r.MimeType,
		Platform:        r.Platform,
		Created:         utcPtr(r.Created),
		Metadata:        decodeMetadata(r.Metadata),
		FirstSeen:       r.FirstSeen.UTC(),
		LastSeen:        r.LastSeen.UTC(),
		Notifications:   r.Notifications,
		State:           State(r.State),
		StateChangedAt:  r.StateChangedAt.UTC(),
		SnoozedUntil:    utcPtr(r.SnoozedUntil),
		DigestChangedAt: r.DigestChangedAt.UTC(),
		OpenedBy:        OpenedBy(r.OpenedBy),
	}
}

func eventFromRow(r sqlitedb.Event) Event {
	e := Event{
		ID:          r.ID,
		ReceivedAt:  r.ReceivedAt.UTC(),
		DiunVersion: r.DiunVersion,
		Hostname:    r.Hostname,
		Status:      r.Status,
		Provider:    r.Provider,
		Image:       r.Image,
		HubLink:     r.HubLink,
		MimeType:    r.MimeType,
		Digest:      r.Digest,
		Created:     utcPtr(r.Created),
		Platform:    r.Platform,
		Metadata:    decodeMetadata(r.Metadata),
		RawBody:     r.RawBody,
		Source:      Source(r.Source),
	}
	if r.ImageID != nil {
		e.ImageID = *r.ImageID
	}
	return e
}

func tagFromRow(r sqlitedb.Tag) Tag {
	return Tag{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC()}
}
