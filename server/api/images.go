package api

import (
	"fmt"
	"net/http"
	"time"

	"diundashboard/server/httpx"
	"diundashboard/server/query"
	"diundashboard/server/store"
)

func (h *Handler) listImages(w http.ResponseWriter, r *http.Request) {
	q, err := query.ParseImages(r.URL.Query())
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	page, err := h.store.ListImages(ctx, q.Filter, q.Sort, q.Page)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	images := make([]Image, len(page.Images))
	for i, img := range page.Images {
		images[i] = toImage(img)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"images": images, "next_cursor": page.NextCursor})
}

func (h *Handler) getImage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	img, err := h.store.GetImage(ctx, id)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toImage(img))
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	v := r.URL.Query()
	limit, err := query.ParseLimit(v.Get("limit"))
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	page, err := h.store.ListEvents(ctx, id, store.PageRequest{Cursor: v.Get("cursor"), Limit: limit})
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	events := make([]Event, len(page.Events))
	for i, e := range page.Events {
		events[i] = toEvent(e)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"events": events, "next_cursor": page.NextCursor})
}

// listChanges is the image's audit trail: who changed its state, when, from what to what,
// about which digest; newest first (limit, default 50, at most 500).
func (h *Handler) listChanges(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	limit, err := query.ParseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	if _, err := h.store.GetImage(ctx, id); err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	changes, err := h.store.ListStateChanges(ctx, id, limit)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	out := make([]Change, len(changes))
	for i, c := range changes {
		out[i] = toChange(c)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"changes": out})
}

// transition moves one image to state.
func (h *Handler) transition(state store.State) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "id", "image id")
		if !ok {
			return
		}
		h.setState(w, r, id, store.Transition{State: state})
	}
}

// setState moves one image and answers it as it is now (404 for an unknown id).
func (h *Handler) setState(w http.ResponseWriter, r *http.Request, id int64, t store.Transition) {
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	if _, err := h.triage.SetStates(ctx, []int64{id}, t, actor(r)); err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	img, err := h.store.GetImage(ctx, id)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toImage(img))
}

func (h *Handler) snooze(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	var body struct {
		Until string `json:"until"`
		For   string `json:"for"`
	}
	if !httpx.ReadJSON(w, r, maxBody, &body) {
		return
	}
	until, err := query.ParseSnooze(body.Until, body.For, time.Now())
	if err != nil {
		httpx.WriteError(w, http.StatusUnprocessableEntity, "%s", err)
		return
	}
	h.setState(w, r, id, store.Transition{State: store.StateSnoozed, SnoozedUntil: &until})
}

// acknowledgeHost acknowledges every open image of one host ("" is the images Diun sent
// without a hostname).
func (h *Handler) acknowledgeHost(w http.ResponseWriter, r *http.Request) {
	host := r.PathValue("hostname")
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	f := store.ImageFilter{Hostname: host, ExactHost: true, State: store.StateOpen}
	changes, err := h.triage.SetStatesWhere(ctx, f, store.Transition{State: store.StateAcknowledged}, actor(r))
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"hostname": host, "acknowledged": len(changes)})
}

func (h *Handler) deleteImage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	n, err := h.triage.Delete(ctx, []int64{id})
	if err == nil && n == 0 {
		err = fmt.Errorf("image %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
