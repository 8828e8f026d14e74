package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"diundashboard/server/query"
	"diundashboard/server/store"
)

type imageData struct {
	Row imageRow
	// Timeline is the page's notifications and, between them, the triage changes (who
	// acknowledged, snoozed, ignored or reopened it), newest first.
	Timeline  []timelineEntry
	NextURL   string
	Metadata  [][2]string
	OtherTags []store.Tag
	// ElsewhereOn is the same image (the same reference) on other hosts.
	ElsewhereOn []store.Image
}

func (h *Handler) imagePage(w http.ResponseWriter, r *http.Request) {
	id, err := query.ParseID("image id", r.PathValue("id"))
	if err != nil {
		h.renderStatus(w, r, http.StatusNotFound, "No such image", "This address names no image of the dashboard.")
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	img, err := h.store.GetImage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		h.renderStatus(w, r, http.StatusNotFound, "No such image", "This image is not (or no longer) in the dashboard: it may have been deleted.")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cursor := r.URL.Query().Get("cursor")
	events, err := h.store.ListEvents(ctx, id, store.PageRequest{Cursor: cursor, Limit: 50})
	if err != nil {
		if isClientError(err) {
			h.renderStatus(w, r, http.StatusBadRequest, "Bad address", "This page of the image's history does not exist (the link is broken or too old). Start again from the image's page.")
			return
		}
		h.serverError(w, r, err)
		return
	}
	tags, err := h.store.ListTags(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	changes, err := h.store.ListStateChanges(ctx, id, store.MaxPageSize)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	same, err := h.sameImageElsewhere(ctx, img)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d := imageData{Row: h.row(img), Timeline: timeline(events.Events, changes, cursor != "", events.NextCursor != ""), ElsewhereOn: same}
	if events.NextCursor != "" {
		d.NextURL = r.URL.Path + "?cursor=" + events.NextCursor
	}
	keys := make([]string, 0, len(img.Metadata))
	for k := range img.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d.Metadata = append(d.Metadata, [2]string{k, img.Metadata[k]})
	}
	for _, t := range tags {
		if !slices.ContainsFunc(img.Tags, func(x store.Tag) bool { return x.ID == t.ID }) {
			d.OtherTags = append(d.OtherTags, t)
		}
	}
	p := h.newPage(r, title(d.Row.Name, img.Hostname), "overview", d)
	p.Live = true
	h.render(w, r, http.StatusOK, "image", p)
}

// sameImageElsewhere is the image with img's reference on the other hosts, in every state:
// the search finds the reference as a substring, the exact ones are kept. One page: an image
// on more than MaxPageSize hosts lists that many.
func (h *Handler) sameImageElsewhere(ctx context.Context, img store.Image) ([]store.Image, error) {
	page, err := h.store.ListImages(ctx, store.ImageFilter{Query: img.Image}, store.SortHost, store.PageRequest{Limit: store.MaxPageSize})
	if err != nil {
		return nil, err
	}
	var out []store.Image
	for _, o := range page.Images {
		if o.Image == img.Image && o.ID != img.ID {
			out = append(out, o)
		}
	}
	return out, nil
}

// timelineEntry is a notification or a triage change.
type timelineEntry struct {
	At     time.Time
	Event  *store.Event
	Change *store.StateChange
}

// timeline merges one page of notifications (newest first) with the triage changes that fall
// within it: on the first page, everything newer than its oldest notification (or everything,
// when there is no other page); on a later page, what lies between its newest and oldest.
func timeline(events []store.Event, changes []store.StateChange, laterPage, morePages bool) []timelineEntry {
	out := make([]timelineEntry, 0, len(events)+len(changes))
	for i := range events {
		out = append(out, timelineEntry{At: events[i].ReceivedAt, Event: &events[i]})
	}
	var newest, oldest time.Time
	if len(events) > 0 {
		newest, oldest = events[0].ReceivedAt, events[len(events)-1].ReceivedAt
	}
	for i := range changes {
		at := changes[i].At
		if morePages && at.Before(oldest) || laterPage && !at.Before(newest) {
			continue
		}
		out = append(out, timelineEntry{At: at, Change: &changes[i]})
	}
	slices.SortStableFunc(out, func(a, b timelineEntry) int { return b.At.Compare(a.At) })
	return out
}
