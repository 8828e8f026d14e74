package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"diundashboard/server/query"
	"diundashboard/server/store"
)

// The tags page (/tags): every tag with how many images carry it, to rename or delete. Tags
// are made where they are used (an image's page, the bulk bar) and here. The forms post like
// every other form of the UI (app.js sends them and refreshes the page; without a script the
// answer is a redirect back here, post/redirect/get). A name that is taken or not valid is
// refused with the form shown again, the typed name kept and the reason beside it.

// tagsData is the tags page. Error says why a form was refused and Value is what was typed
// in it: the new tag's form when NewFailed, else the row whose Failed is set.
type tagsData struct {
	Tags      []tagRow
	NewFailed bool
	Error     string
	Value     string
}

// tagRow is one tag of the page, with the question its delete button asks.
type tagRow struct {
	store.Tag
	Confirm string
	Failed  bool
}

// noForm marks a page where no form was refused.
const noForm = -1

// deleteQuestion asks before deleting a tag that images carries: how many keep everything
// but the tag.
func deleteQuestion(name string, images int64) (heading, text string) {
	heading = fmt.Sprintf("Delete the tag %s?", name)
	switch {
	case images < 0:
		text = "The images that carry it stay in the dashboard, without this tag."
	case images == 0:
		text = "No image carries it."
	case images == 1:
		text = "1 image carries it; it stays in the dashboard, without this tag."
	default:
		text = fmt.Sprintf("%d images carry it; they stay in the dashboard, without this tag.", images)
	}
	return heading, text
}

func (h *Handler) tagsPage(w http.ResponseWriter, r *http.Request) {
	h.renderTags(w, r, http.StatusOK, noForm, tagsData{})
}

// renderTags renders the page; failed is the id of the tag whose form was refused, 0 the new
// tag's form, noForm none.
func (h *Handler) renderTags(w http.ResponseWriter, r *http.Request, status int, failed int64, d tagsData) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	tags, err := h.store.ListTags(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.NewFailed = failed == 0
	for _, t := range tags {
		heading, text := deleteQuestion(t.Name, t.Images)
		d.Tags = append(d.Tags, tagRow{Tag: t, Confirm: heading + " " + text, Failed: t.ID == failed})
	}
	h.render(w, r, status, "tags", h.newPage(r, title("Tags"), "tags", d))
}

// refuseTag answers a refused form: JSON for app.js, the page with the reason otherwise.
func (h *Handler) refuseTag(w http.ResponseWriter, r *http.Request, status int, formID int64, typed, reason string) {
	if wantsJSON(r) {
		h.renderStatus(w, r, status, "", reason)
		return
	}
	h.renderTags(w, r, status, formID, tagsData{Error: reason, Value: typed})
}

// tagError turns what the store refused into words for the person.
func (h *Handler) tagError(w http.ResponseWriter, r *http.Request, formID int64, typed string, err error) {
	name := strings.TrimSpace(typed)
	switch {
	case errors.Is(err, store.ErrConflict):
		h.refuseTag(w, r, http.StatusConflict, formID, typed, fmt.Sprintf("There is a tag named %q already. Choose another name, or delete one of the two.", name))
	case errors.Is(err, store.ErrNotFound):
		h.renderStatus(w, r, http.StatusNotFound, "No such tag", "This tag is no longer there: someone may have deleted it meanwhile. Reload the tags page.")
	case isClientError(err):
		h.refuseTag(w, r, http.StatusUnprocessableEntity, formID, typed, plainError(err, store.ErrInvalid)+".")
	default:
		h.serverError(w, r, err)
	}
}

// tagOf reads the {id} of the path and loads that tag; on failure it has answered.
func (h *Handler) tagOf(w http.ResponseWriter, r *http.Request) (store.Tag, bool) {
	id, err := query.ParseID("tag id", r.PathValue("id"))
	if err != nil {
		h.renderStatus(w, r, http.StatusNotFound, "No such tag", "This address names no tag of the dashboard.")
		return store.Tag{}, false
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	t, err := h.store.GetTag(ctx, id)
	if err != nil {
		h.tagError(w, r, id, "", err)
		return store.Tag{}, false
	}
	return t, true
}

// createTagHere makes a tag from the tags page's own form (POST /tags/new), so that a name
// refused is shown again on this page; POST /tags (the image page) answers as it always did.
func (h *Handler) createTagHere(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	typed := r.Form.Get("name")
	t, err := h.triage.CreateTag(ctx, typed)
	if err != nil {
		h.tagError(w, r, 0, typed, err)
		return
	}
	h.finishTo(w, r, actionResult{Message: fmt.Sprintf("Created the tag %s.", t.Name)}, "/tags")
}

func (h *Handler) renameTag(w http.ResponseWriter, r *http.Request) {
	old, ok := h.tagOf(w, r)
	if !ok {
		return
	}
	typed := r.Form.Get("name")
	ctx, cancel := h.storeContext(r)
	defer cancel()
	t, err := h.triage.RenameTag(ctx, old.ID, typed)
	if err != nil {
		h.tagError(w, r, old.ID, typed, err)
		return
	}
	msg := fmt.Sprintf("Renamed the tag %s to %s.", old.Name, t.Name)
	if old.Name == t.Name {
		msg = fmt.Sprintf("The tag %s keeps its name.", t.Name)
	}
	h.finishTo(w, r, actionResult{Message: msg}, "/tags")
}

// deleteTag asks first, saying how many images carry the tag (app.js asks with the count the
// button names, and sends confirm=yes); the images stay, without the tag.
func (h *Handler) deleteTag(w http.ResponseWriter, r *http.Request) {
	t, ok := h.tagOf(w, r)
	if !ok {
		return
	}
	images := h.tagImageCount(r, t.ID)
	if r.Form.Get("confirm") != "yes" {
		d := confirmData{Action: r.URL.RequestURI(), Return: "/tags", Danger: true, Button: "Delete the tag"}
		d.Heading, d.Text = deleteQuestion(t.Name, images)
		h.render(w, r, http.StatusOK, "confirm", h.newPage(r, title(d.Heading), "tags", d))
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	if err := h.triage.DeleteTag(ctx, t.ID); err != nil {
		h.tagError(w, r, t.ID, "", err)
		return
	}
	msg := fmt.Sprintf("Deleted the tag %s.", t.Name)
	switch {
	case images == 1:
		msg = fmt.Sprintf("Deleted the tag %s; 1 image no longer carries it.", t.Name)
	case images > 1:
		msg = fmt.Sprintf("Deleted the tag %s; %d images no longer carry it.", t.Name, images)
	}
	h.finishTo(w, r, actionResult{Message: msg}, "/tags")
}

// tagImageCount is how many images carry the tag, from ListTags; -1 when it cannot tell (the
// question then says so less precisely, which is no reason to refuse).
func (h *Handler) tagImageCount(r *http.Request, id int64) int64 {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	tags, err := h.store.ListTags(ctx)
	if err != nil {
		return -1
	}
	for _, t := range tags {
		if t.ID == id {
			return t.Images
		}
	}
	return -1
}
