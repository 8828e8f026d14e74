package api

import (
	"context"
	"net/http"

	"diundashboard/server/httpx"
)

func (h *Handler) listTags(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	tags, err := h.store.ListTags(ctx)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = toTag(t, true)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"tags": out})
}

type tagBody struct {
	Name string `json:"name"`
}

func (h *Handler) createTag(w http.ResponseWriter, r *http.Request) {
	var body tagBody
	if !httpx.ReadJSON(w, r, maxBody, &body) {
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	tag, err := h.triage.CreateTag(ctx, body.Name)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, toTag(tag, false))
}

func (h *Handler) renameTag(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tag id")
	if !ok {
		return
	}
	var body tagBody
	if !httpx.ReadJSON(w, r, maxBody, &body) {
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	tag, err := h.triage.RenameTag(ctx, id, body.Name)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toTag(tag, false))
}

func (h *Handler) deleteTag(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tag id")
	if !ok {
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	if err := h.triage.DeleteTag(ctx, id); err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) attachTag(w http.ResponseWriter, r *http.Request) {
	h.changeTagLink(w, r, h.triage.Tag)
}

func (h *Handler) detachTag(w http.ResponseWriter, r *http.Request) {
	h.changeTagLink(w, r, h.triage.Untag)
}

// changeTagLink tags or untags one image. Both are idempotent; an unknown image or tag is 404.
func (h *Handler) changeTagLink(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, ids []int64, tagID int64) ([]int64, error)) {
	imageID, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	tagID, ok := pathID(w, r, "tag_id", "tag id")
	if !ok {
		return
	}
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	changed, err := change(ctx, []int64{imageID}, tagID)
	if err == nil && len(changed) == 0 {
		// Nothing changed: already so, or no such image.
		_, err = h.store.GetImage(ctx, imageID)
	}
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
