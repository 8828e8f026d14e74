package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/live"
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

// prior is an image's state before an action, which the undo restores.
type prior struct {
	id    int64
	state store.State
	until *time.Time
}

func (p prior) field() [2]string {
	until := ""
	if p.until != nil {
		until = strconv.FormatInt(p.until.Unix(), 10)
	}
	return [2]string{"item", fmt.Sprintf("%d:%s:%s", p.id, p.state, until)}
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
	h.apply(w, r, []int64{id}, action, "")
}

// bulkAction applies one action to the selected images, or to every image of a host in the
// state being viewed (host=…&state=… in the form's URL).
func (h *Handler) bulkAction(w http.ResponseWriter, r *http.Request) {
	action := r.Form.Get("action")
	var ids []int64
	label := ""
	if host := r.URL.Query().Get("host"); host != "" {
		var err error
		ids, err = h.hostImages(r, host, r.URL.Query().Get("state"))
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		label = "on " + host
	} else {
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
	if len(ids) > maxBulk {
		h.tooMany(w, r)
		return
	}
	h.apply(w, r, ids, action, label)
}

func (h *Handler) tooMany(w http.ResponseWriter, r *http.Request) {
	h.renderStatus(w, r, http.StatusRequestEntityTooLarge, "Too many images", fmt.Sprintf("One action takes at most %d images.", maxBulk))
}

// hostImages lists the ids of a host's images in a state ("" or "all" for every state).
func (h *Handler) hostImages(r *http.Request, host, state string) ([]int64, error) {
	f := store.ImageFilter{Hostname: host, State: store.StateOpen}
	switch state {
	case "all":
		f.State = ""
	case "":
	default:
		f.State = store.State(state)
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	var ids []int64
	cursor := ""
	for len(ids) <= maxBulk {
		page, err := h.store.ListImages(ctx, f, store.SortHost, store.PageRequest{Cursor: cursor, Limit: store.MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, img := range page.Images {
			ids = append(ids, img.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return ids, nil
}

// apply runs action on ids and answers with what happened and how to undo it.
func (h *Handler) apply(w http.ResponseWriter, r *http.Request, ids []int64, action, label string) {
	if action == "delete" && r.Form.Get("confirm") != "yes" {
		h.confirmDelete(w, r, ids)
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
	case "delete":
		h.deleteImages(w, r, ids, label)
		return
	case "tag", "untag":
		h.tagImages(w, r, ids, action, label)
		return
	default:
		h.renderStatus(w, r, http.StatusNotFound, "No such action", fmt.Sprintf("%q is not an action: acknowledge, reopen, ignore, snooze, delete, tag or untag.", textutil.Truncate(action, 40)))
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	var before []prior
	var last store.Image
	for _, id := range ids {
		img, err := h.store.GetImage(ctx, id)
		if errors.Is(err, store.ErrNotFound) && len(ids) > 1 {
			continue // deleted meanwhile: the others still move
		}
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		if _, err := h.store.SetState(ctx, id, t); err != nil {
			h.actionError(w, r, err)
			return
		}
		before = append(before, prior{id: id, state: img.State, until: img.SnoozedUntil})
		last = img
	}
	h.publish(0, len(before), ids)
	res := actionResult{Message: fmt.Sprintf("%s %s.", verb, h.what(before, last, label))}
	if len(before) > 0 {
		u := &undo{Action: "/restore"}
		for _, p := range before {
			u.Fields = append(u.Fields, p.field())
		}
		res.Undo = u
	}
	h.finish(w, r, res)
}

func (h *Handler) what(moved []prior, last store.Image, label string) string {
	if len(moved) == 1 && label == "" {
		repo, tag := splitImage(last.Image)
		return fmt.Sprintf("%s:%s on %s", repo, tag, last.Hostname)
	}
	s := plural(int64(len(moved)), "image")
	if label != "" {
		s += " " + label
	}
	return s
}

func (h *Handler) publish(imageID int64, n int, ids []int64) {
	if n == 1 && len(ids) == 1 {
		imageID = ids[0]
	}
	h.hub.Publish(live.Event{Kind: live.KindChange, ImageID: imageID})
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
	var gone []prior
	var last store.Image
	for _, id := range ids {
		img, err := h.store.GetImage(ctx, id)
		if err == nil {
			err = h.store.DeleteImage(ctx, id)
		}
		if errors.Is(err, store.ErrNotFound) && len(ids) > 1 {
			continue
		}
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		gone = append(gone, prior{id: id})
		last = img
	}
	h.publish(0, len(gone), ids)
	// Deleting cannot be undone (the history goes with it), which is why it asks first.
	h.finishTo(w, r, actionResult{Message: fmt.Sprintf("Deleted %s with its history.", h.what(gone, last, label))}, deleteReturn(r, ids))
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
func (h *Handler) confirmDelete(w http.ResponseWriter, r *http.Request, ids []int64) {
	d := confirmData{Action: r.URL.RequestURI(), Count: int64(len(ids)), Return: localReturn(r)}
	if r.URL.Path == "/bulk" && r.URL.Query().Get("host") == "" {
		d.IDs = ids
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
		t, err := h.store.CreateTag(ctx, name)
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
	change, verb, reverse := h.store.AttachTag, "Tagged", "untag"
	if action == "untag" {
		change, verb, reverse = h.store.DetachTag, "Removed the tag from", "tag"
	}
	var done []int64
	for _, id := range ids {
		err := change(ctx, id, tag.ID)
		if errors.Is(err, store.ErrNotFound) && len(ids) > 1 {
			continue
		}
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		done = append(done, id)
	}
	h.publish(0, len(done), ids)
	res := actionResult{Message: fmt.Sprintf("%s %s (%s).", verb, plural(int64(len(done)), "image"), tag.Name)}
	if label != "" {
		res.Message = fmt.Sprintf("%s %s %s (%s).", verb, plural(int64(len(done)), "image"), label, tag.Name)
	}
	if len(done) > 0 {
		u := &undo{Action: "/bulk", Fields: [][2]string{{"action", reverse}, {"tag_id", strconv.FormatInt(tag.ID, 10)}}}
		for _, id := range done {
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
	t, err := h.store.CreateTag(ctx, r.Form.Get("name"))
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	h.hub.Publish(live.Event{Kind: live.KindChange})
	h.finish(w, r, actionResult{Message: fmt.Sprintf("Created the tag %s.", t.Name)})
}

// restore is the undo of a state change: each item is id:state:snoozed-until-unix.
func (h *Handler) restore(w http.ResponseWriter, r *http.Request) {
	if len(r.PostForm["item"]) > maxBulk {
		h.tooMany(w, r)
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	var ids []int64
	n := 0
	for _, item := range r.PostForm["item"] {
		id, t, err := parseItem(item)
		if err != nil {
			h.renderStatus(w, r, http.StatusBadRequest, "Cannot undo", err.Error())
			return
		}
		if _, err := h.store.SetState(ctx, id, t); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			h.actionError(w, r, err)
			return
		}
		ids = append(ids, id)
		n++
	}
	h.publish(0, n, ids)
	h.finish(w, r, actionResult{Message: fmt.Sprintf("Undone: %s back as before.", plural(int64(n), "image"))})
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
