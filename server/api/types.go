package api

import (
	"time"

	"diundashboard/server/httpx"
	"diundashboard/server/store"
)

// The JSON shapes of the API. Times are RFC 3339 in UTC; absent values are null, never "".

// Image is an image as the API shows it.
type Image struct {
	ID            int64             `json:"id"`
	Hostname      string            `json:"hostname"`
	Image         string            `json:"image"`
	Digest        string            `json:"digest"`
	Status        string            `json:"status"`
	State         string            `json:"state"`
	Provider      string            `json:"provider"`
	HubLink       string            `json:"hub_link"`
	MimeType      string            `json:"mime_type"`
	Platform      string            `json:"platform"`
	Created       *string           `json:"created"`
	Metadata      map[string]string `json:"metadata"`
	FirstSeen     string            `json:"first_seen"`
	LastSeen      string            `json:"last_seen"`
	Notifications int64             `json:"notifications"`
	Tags          []Tag             `json:"tags"`
	SnoozedUntil  *string           `json:"snoozed_until"`
	StateChanged  string            `json:"state_changed_at"`
}

// Event is one notification as the API shows it.
type Event struct {
	ID          int64             `json:"id"`
	ImageID     *int64            `json:"image_id"`
	ReceivedAt  string            `json:"received_at"`
	DiunVersion string            `json:"diun_version"`
	Hostname    string            `json:"hostname"`
	Status      string            `json:"status"`
	Provider    string            `json:"provider"`
	Image       string            `json:"image"`
	HubLink     string            `json:"hub_link"`
	MimeType    string            `json:"mime_type"`
	Digest      string            `json:"digest"`
	Created     *string           `json:"created"`
	Platform    string            `json:"platform"`
	Metadata    map[string]string `json:"metadata"`
	// Source: webhook (Diun sent it), reconcile (read from Diun's gRPC API: the webhook was
	// missed) or backfill (what Diun knew when the dashboard first connected).
	Source string `json:"source"`
}

// Tag is a tag as the API shows it; Images is set by the tag list only.
type Tag struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Images *int64 `json:"images,omitempty"`
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func toImage(img store.Image) Image {
	tags := make([]Tag, len(img.Tags))
	for i, t := range img.Tags {
		tags[i] = Tag{ID: t.ID, Name: t.Name}
	}
	return Image{
		ID:            img.ID,
		Hostname:      img.Hostname,
		Image:         img.Image,
		Digest:        img.Digest,
		Status:        img.Status,
		State:         string(img.State),
		Provider:      img.Provider,
		HubLink:       img.HubLink,
		MimeType:      img.MimeType,
		Platform:      img.Platform,
		Created:       httpx.TimeJSON(img.Created),
		Metadata:      img.Metadata,
		FirstSeen:     formatTime(img.FirstSeen),
		LastSeen:      formatTime(img.LastSeen),
		Notifications: img.Notifications,
		Tags:          tags,
		SnoozedUntil:  httpx.TimeJSON(img.SnoozedUntil),
		StateChanged:  formatTime(img.StateChangedAt),
	}
}

func toEvent(e store.Event) Event {
	out := Event{
		ID:          e.ID,
		ReceivedAt:  formatTime(e.ReceivedAt),
		DiunVersion: e.DiunVersion,
		Hostname:    e.Hostname,
		Status:      e.Status,
		Provider:    e.Provider,
		Image:       e.Image,
		HubLink:     e.HubLink,
		MimeType:    e.MimeType,
		Digest:      e.Digest,
		Created:     httpx.TimeJSON(e.Created),
		Platform:    e.Platform,
		Metadata:    e.Metadata,
		Source:      string(e.Source),
	}
	if e.ImageID != 0 {
		id := e.ImageID
		out.ImageID = &id
	}
	return out
}

func toTag(t store.Tag, withCount bool) Tag {
	out := Tag{ID: t.ID, Name: t.Name}
	if withCount {
		n := t.Images
		out.Images = &n
	}
	return out
}

// Change is one entry of an image's audit trail.
type Change struct {
	At        string  `json:"at"`
	Actor     string  `json:"actor"`
	Digest    string  `json:"digest"`
	From      string  `json:"from"`
	FromUntil *string `json:"from_snoozed_until"`
	To        string  `json:"to"`
	ToUntil   *string `json:"to_snoozed_until"`
	// Cause says why, when it was not Actor's own decision: "undo" or "new digest".
	Cause string `json:"cause"`
}

func toChange(c store.StateChange) Change {
	return Change{At: formatTime(c.At), Actor: c.Actor, Digest: c.Digest, From: string(c.From), FromUntil: httpx.TimeJSON(c.FromUntil),
		To: string(c.To), ToUntil: httpx.TimeJSON(c.ToUntil), Cause: c.Cause}
}
