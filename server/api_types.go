package server

import (
	"time"

	"diundashboard/server/store"
)

// The JSON shapes of the API. Times are RFC 3339 in UTC; absent values are null, never "".

type imageJSON struct {
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
	Tags          []tagJSON         `json:"tags"`
	SnoozedUntil  *string           `json:"snoozed_until"`
	StateChanged  string            `json:"state_changed_at"`
}

type eventJSON struct {
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
}

type tagJSON struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Images *int64 `json:"images,omitempty"`
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func toImageJSON(img store.Image) imageJSON {
	tags := make([]tagJSON, len(img.Tags))
	for i, t := range img.Tags {
		tags[i] = tagJSON{ID: t.ID, Name: t.Name}
	}
	return imageJSON{
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
		Created:       timeJSON(img.Created),
		Metadata:      img.Metadata,
		FirstSeen:     formatTime(img.FirstSeen),
		LastSeen:      formatTime(img.LastSeen),
		Notifications: img.Notifications,
		Tags:          tags,
		SnoozedUntil:  timeJSON(img.SnoozedUntil),
		StateChanged:  formatTime(img.StateChangedAt),
	}
}

func toEventJSON(e store.Event) eventJSON {
	out := eventJSON{
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
		Created:     timeJSON(e.Created),
		Platform:    e.Platform,
		Metadata:    e.Metadata,
	}
	if e.ImageID != 0 {
		id := e.ImageID
		out.ImageID = &id
	}
	return out
}

func toTagJSON(t store.Tag, withCount bool) tagJSON {
	out := tagJSON{ID: t.ID, Name: t.Name}
	if withCount {
		n := t.Images
		out.Images = &n
	}
	return out
}
