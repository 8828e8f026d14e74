package web

import (
	"errors"
	"net/http"
	"slices"

	"diundashboard/server/query"
	"diundashboard/server/store"
)

type imageData struct {
	Row       imageRow
	Events    []store.Event
	NextURL   string
	Metadata  [][2]string
	OtherTags []store.Tag
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
	d := imageData{Row: h.row(img), Events: events.Events}
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
