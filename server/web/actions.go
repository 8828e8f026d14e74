package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/query"
	"diundashboard/server/store"
)

// Every action answers a fetch call from app.js with an actionResult (a notice and how to
// undo it), and a plain form post with a redirect back to the page it came from.
type actionResult struct {
	Message string `json:"message"`
	// Undo, when set, is a form to post to reverse the action.
	Undo *undo `json:"undo,omitempty"`
}

type undo struct {
	Action string      `json:"action"`
	Fields [][2]string `json:"fields"`
}

// maxBulk bounds one bulk action (a selection or a whole host).
const maxBulk = 5000

// undoField is the undo form's field of one change: the image and the state it had.
func undoField(c store.StateChange) [2]string {
	until := ""
	if c.FromUntil != nil {
		until = strconv.FormatInt(c.FromUntil.Unix(), 10)
	}
	return [2]string{"item", fmt.Sprintf("%d:%s:%s", c.ImageID, c.From, until)}
}

func (h *Handler) imageAction(w http.ResponseWriter, r *http.Request) {
	id, err := query.ParseID("image id", r.PathValue("id"))
	if err != nil {
		h.renderStatus(w, r, http.StatusNotFound, "No such image", err.Error())
		return
	}
	action := r.PathValue("action")
	if action == "" { // POST /images/{id} names it in the form, as the overview's rows do
		action = r.Form.Get("action")
	}
	h.apply(w, r, target{ids: []int64{id}}, action, "")
}

// bulkAction applies one action to the selected images, or to every image of a host in the
// state being viewed (host=…&state=… in the form's URL).
func (h *Handler) bulkAction(w http.ResponseWriter, r *http.Request) {
	action := r.Form.Get("action")
	if f, ok := hostFilter(r.URL.Query()); ok {
		label := "on " + f.Hostname
		if f.Hostname == "" {
			label = "without a hostname"
		}
		h.apply(w, r, target{filter: &f}, action, label)
		return
	}
	var ids []int64
	{
		if len(r.PostForm["id"]) > maxBulk {
			h.tooMany(w, r)
			return
		}
		for _, raw := range r.PostForm["id"] {
			id, err := query.ParseID("image id", raw)
			if err != nil {
				h.renderStatus(w, r, http.StatusBadRequest, "Bad request", err.Error())
				return
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		h.finish(w, r, actionResult{Message: "Nothing selected: tick the images to act on first."})
		return
	}
	h.apply(w, r, target{ids: ids}, action, "")
}

// target is what an action acts on: the images ids, or every image of one host that filter
// matches (all pages of the view).
type target struct {
	ids    []int64
	filter *store.ImageFilter
}

func (h *Handler) tooMany(w http.ResponseWriter, r *http.Request) {
	h.renderStatus(w, r, http.StatusRequestEntityTooLarge, "Too many images", fmt.Sprintf("One action takes at most %d images.", maxBulk))
}

// hostFilter reads the view a host's actions act on from the form's URL: host (present even
// when empty, for the images without a hostname), state ("" is open, "all" every state), and
// the view's tag, text and provider filters, so that an action never reaches an image the
// view does not show.
func hostFilter(v url.Values) (store.ImageFilter, bool) {
	if !v.Has("host") {
		return store.ImageFilter{}, false
	}
	f := store.ImageFilter{Hostname: v.Get("host"), ExactHost: true, State: store.StateOpen,
		Tag: v.Get("tag"), Query: v.Get("q"), Provider: v.Get("provider")}
	switch st := v.Get("state"); st {
	case "all":
		f.State = ""
	case "":
	default:
		f.State = store.State(st)
	}
	return f, true
}

// apply runs action on its target and answers with what happened and how to undo it.
func (h *Handler) apply(w http.ResponseWriter, r *http.Request, on target, action, label string) {
	if action == "delete" && r.Form.Get("confirm") != "yes" {
		h.confirmDelete(w, r, on)
		return
	}
	// "snooze-7d" is a snooze button carrying its duration (one button has one value).
	duration := ""
	if d, ok := strings.CutPrefix(action, "snooze-"); ok {
		action, duration = "snooze", d
	}
	var t store.Transition
	var verb string
	switch action {
	case "acknowledge":
		t, verb = store.Transition{State: store.StateAcknowledged}, "Acknowledged"
	case "reopen":
		t, verb = store.Transition{State: store.StateOpen}, "Reopened"
	case "ignore":
		t, verb = store.Transition{State: store.StateIgnored}, "Ignored"
	case "snooze":
		until, err := snoozeUntil(r, duration, h.now())
		if err != nil {
			h.renderStatus(w, r, http.StatusUnprocessableEntity, "Cannot snooze", err.Error())
			return
		}
		t, verb = store.Transition{State: store.StateSnoozed, SnoozedUntil: &until}, "Snoozed until "+exactTime(until)+","
	case "delete", "tag", "untag":
		if on.filter != nil {
			h.renderStatus(w, r, http.StatusUnprocessableEntity, "Select the images first", "Tags and deletion act on the images you tick, not on a whole host.")
			return
		}
		if action == "delete" {
			h.deleteImages(w, r, on.ids, label)
		} else {
			h.tagImages(w, r, on.ids, action, label)
		}
		return
	default:
		h.renderStatus(w, r, http.StatusNotFound, "No such action", fmt.Sprintf("%q is not an action: acknowledge, reopen, ignore, snooze, delete, tag or untag.", textutil.Truncate(action, 40)))
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	var moved []store.StateChange
	var err error
	if on.filter != nil {
		moved, err = h.triage.SetStatesWhere(ctx, *on.filter, t, principalName(r))
	} else {
		moved, err = h.triage.SetStates(ctx, on.ids, t, principalName(r))
	}
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	if len(on.ids) == 1 && len(moved) == 0 {
		// One image that did not move: gone, or in that state already.
		if _, err := h.store.GetImage(ctx, on.ids[0]); err != nil {
			h.actionError(w, r, err)
			return
		}
	}
	what, err := h.what(ctx, moved, label)
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	res := actionResult{Message: fmt.Sprintf("%s %s.", verb, what)}
	if len(moved) > 0 {
		u := &undo{Action: "/restore"}
		for _, c := range moved {
			u.Fields = append(u.Fields, undoField(c))
		}
		res.Undo = u
	}
	h.finish(w, r, res)
}

// what names what an action moved: the image when it was one, else how many.
func (h *Handler) what(ctx context.Context, moved []store.StateChange, label string) (string, error) {
	if len(moved) == 1 && label == "" {
		img, err := h.store.GetImage(ctx, moved[0].ImageID)
		if err != nil {
			return "", err
		}
		repo, tag := splitImage(img.Image)
		return fmt.Sprintf("%s:%s on %s", repo, tag, img.Hostname), nil
	}
	s := plural(int64(len(moved)), "image")
	if label != "" {
		s += " " + label
	}
	return s, nil
}

// snoozeUntil reads a snooze from a form: for=1d|7d|30d|…, until=RFC 3339 (app.js converts
// the date picker to it), or until_local from the date picker alone, read as UTC.
func snoozeUntil(r *http.Request, dur string, now time.Time) (time.Time, error) {
	until := r.Form.Get("until")
	if dur == "" {
		dur = r.Form.Get("for")
	}
	if until == "" && dur == "" {
		if local := r.Form.Get("until_local"); local != "" {
			t, err := time.Parse("2006-01-02T15:04", local)
			if err != nil {
				return time.Time{}, fmt.Errorf("%q is not a date and time", textutil.Truncate(local, 40))
			}
			until = t.UTC().Format(time.RFC3339)
		}
	}
	return query.ParseSnooze(until, dur, now)
}

func (h *Handler) deleteImages(w http.ResponseWriter, r *http.Request, ids []int64, label string) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	var name string
	if len(ids) == 1 && label == "" {
		img, err := h.store.GetImage(ctx, ids[0])
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		repo, tag := splitImage(img.Image)
		name = fmt.Sprintf("%s:%s on %s", repo, tag, img.Hostname)
	}
	n, err := h.triage.Delete(ctx, ids)
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	if name == "" {
		name = plural(n, "image")
		if label != "" {
			name += " " + label
		}
	}
	// Deleting cannot be undone (the history goes with it), which is why it asks first.
	h.finishTo(w, r, actionResult{Message: fmt.Sprintf("Deleted %s with its history.", name)}, deleteReturn(r, ids))
}

// deleteReturn avoids sending a plain form back to the page of an image that is gone.
func deleteReturn(r *http.Request, ids []int64) string {
	ret := localReturn(r)
	p, _, _ := strings.Cut(ret, "?")
	for _, id := range ids {
		if p == fmt.Sprintf("/images/%d", id) {
			return "/"
		}
	}
	return ret
}

type confirmData struct {
	Action string
	IDs    []int64
	Count  int64
	Return string
	Fields [][2]string
}

// confirmDelete asks before deleting, for browsers without app.js (which asks itself).
func (h *Handler) confirmDelete(w http.ResponseWriter, r *http.Request, on target) {
	d := confirmData{Action: r.URL.RequestURI(), Count: int64(len(on.ids)), Return: localReturn(r)}
	if r.URL.Path == "/bulk" {
		d.IDs = on.ids
	}
	d.Fields = append(d.Fields, [2]string{"action", "delete"})
	h.render(w, r, http.StatusOK, "confirm", h.newPage(r, title("Delete?"), "", d))
}

// tagImages attaches or detaches a tag: tag_id names one, or new_tag creates it first.
func (h *Handler) tagImages(w http.ResponseWriter, r *http.Request, ids []int64, action, label string) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	var tag store.Tag
	if name := strings.TrimSpace(r.Form.Get("new_tag")); name != "" && action == "tag" {
		t, err := h.triage.CreateTag(ctx, name)
		if errors.Is(err, store.ErrConflict) {
			t, err = h.tagByName(r, name)
		}
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		tag = t
	} else {
		id, err := query.ParseID("tag id", r.Form.Get("tag_id"))
		if err != nil {
			h.renderStatus(w, r, http.StatusUnprocessableEntity, "Choose a tag", "Pick a tag, or type the name of a new one.")
			return
		}
		tag.ID = id
		tags, err := h.store.ListTags(ctx)
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		for _, t := range tags {
			if t.ID == id {
				tag = t
			}
		}
	}
	change, verb, reverse := h.triage.Tag, "Tagged", "untag"
	if action == "untag" {
		change, verb, reverse = h.triage.Untag, "Removed the tag from", "tag"
	}
	changed, err := change(ctx, ids, tag.ID)
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	n := int64(len(changed))
	res := actionResult{Message: fmt.Sprintf("%s %s (%s).", verb, plural(n, "image"), tag.Name)}
	if label != "" {
		res.Message = fmt.Sprintf("%s %s %s (%s).", verb, plural(n, "image"), label, tag.Name)
	}
	if n > 0 {
		// The undo reverses exactly the links that changed: an image that had the tag already
		// keeps it.
		u := &undo{Action: "/bulk", Fields: [][2]string{{"action", reverse}, {"tag_id", strconv.FormatInt(tag.ID, 10)}}}
		for _, id := range changed {
			u.Fields = append(u.Fields, [2]string{"id", strconv.FormatInt(id, 10)})
		}
		res.Undo = u
	}
	h.finish(w, r, res)
}

func (h *Handler) tagByName(r *http.Request, name string) (store.Tag, error) {
	tags, err := h.store.ListTags(r.Context())
	if err != nil {
		return store.Tag{}, err
	}
	for _, t := range tags {
		if t.Name == name {
			return t, nil
		}
	}
	return store.Tag{}, fmt.Errorf("tag %q: %w", name, store.ErrNotFound)
}

// createTag makes a tag from the image page, and attaches it when image_id is given.
func (h *Handler) createTag(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	t, err := h.triage.CreateTag(ctx, r.Form.Get("name"))
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	h.finish(w, r, actionResult{Message: fmt.Sprintf("Created the tag %s.", t.Name)})
}

// restore is the undo of a state change: each item is id:state:snoozed-until-unix.
func (h *Handler) restore(w http.ResponseWriter, r *http.Request) {
	if len(r.PostForm["item"]) > maxBulk {
		h.tooMany(w, r)
		return
	}
	prior := make([]store.StateChange, 0, len(r.PostForm["item"]))
	for _, item := range r.PostForm["item"] {
		id, t, err := parseItem(item)
		if err != nil {
			h.renderStatus(w, r, http.StatusBadRequest, "Cannot undo", err.Error())
			return
		}
		prior = append(prior, store.StateChange{ImageID: id, From: t.State, FromUntil: t.SnoozedUntil})
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	moved, err := h.triage.Restore(ctx, prior, principalName(r))
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	h.finish(w, r, actionResult{Message: fmt.Sprintf("Undone: %s back as before.", plural(int64(len(moved)), "image"))})
}

func parseItem(item string) (int64, store.Transition, error) {
	parts := strings.Split(item, ":")
	bad := fmt.Errorf("%q is not an undo item", textutil.Truncate(item, 60))
	if len(parts) != 3 {
		return 0, store.Transition{}, bad
	}
	id, err := query.ParseID("image id", parts[0])
	if err != nil {
		return 0, store.Transition{}, bad
	}
	t := store.Transition{State: store.State(parts[1])}
	if !t.State.Valid() {
		return 0, store.Transition{}, bad
	}
	if parts[2] != "" {
		sec, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return 0, store.Transition{}, bad
		}
		u := time.Unix(sec, 0).UTC()
		t.SnoozedUntil = &u
	}
	if t.State == store.StateSnoozed && t.SnoozedUntil == nil {
		return 0, store.Transition{}, bad
	}
	return id, t, nil
}

// finish answers a successful action.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, res actionResult) {
	h.finishTo(w, r, res, localReturn(r))
}

func (h *Handler) finishTo(w http.ResponseWriter, r *http.Request, res actionResult, to string) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, res)
		return
	}
	// A plain form: back to the page, with the notice in the URL for the page to show.
	u, err := url.Parse(to)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	setNotice(q, textutil.Truncate(res.Message, 300))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// actionError answers a failed action: the store's own errors are the person's to fix.
func (h *Handler) actionError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.renderStatus(w, r, http.StatusNotFound, "Not found", capitalize(err.Error())+". Someone may have deleted it meanwhile.")
	case errors.Is(err, store.ErrConflict):
		h.renderStatus(w, r, http.StatusConflict, "Already exists", capitalize(err.Error())+".")
	case isClientError(err):
		h.renderStatus(w, r, http.StatusUnprocessableEntity, "Cannot do that", capitalize(err.Error())+".")
	default:
		h.serverError(w, r, err)
	}
}

func isClientError(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrInvalidCursor)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
