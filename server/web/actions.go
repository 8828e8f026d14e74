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
	"diundashboard/server/httpx"
	"diundashboard/server/query"
	"diundashboard/server/store"
)

// Every action answers a fetch call from app.js with an actionResult (a notice and how to
// undo it), and a plain form post with a redirect back to the page it came from.
type actionResult struct {
	Message string `json:"message"`
	// Undo, when set, is a form to post to reverse the action.
	Undo *undo `json:"undo,omitempty"`
	// Location, when set, is where app.js goes next, the message with it: the page the
	// action came from is gone.
	Location string `json:"location,omitempty"`
}

type undo struct {
	Action string      `json:"action"`
	Fields [][2]string `json:"fields"`
}

// maxBulk bounds one bulk action (a selection or a whole host).
const maxBulk = 5000

// undoField is the undo form's field of one change: the image, the state it had and the
// state the change left it in (id:from:until:to:until, times in Unix microseconds, as the
// store keeps them), so that the undo changes back only an image still as the change left it.
func undoField(c store.StateChange) [2]string {
	return [2]string{"item", fmt.Sprintf("%d:%s:%s:%s:%s", c.ImageID, c.From, unixMicro(c.FromUntil), c.To, unixMicro(c.ToUntil))}
}

func unixMicro(t *time.Time) string {
	if t == nil {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func (h *Handler) imageAction(w http.ResponseWriter, r *http.Request) {
	id, err := query.ParseID("image id", r.PathValue("id"))
	if err != nil {
		h.renderStatus(w, r, http.StatusNotFound, "No such image", "This address names no image of the dashboard.")
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
				h.renderStatus(w, r, http.StatusBadRequest, "Bad request", "The selection names something that is not an image. Reload the page and tick the images again.")
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
// the view's tag, text, provider and stack filters, so that an action never reaches an image the
// view does not show.
func hostFilter(v url.Values) (store.ImageFilter, bool) {
	if !v.Has("host") {
		return store.ImageFilter{}, false
	}
	f := store.ImageFilter{Hostname: v.Get("host"), ExactHost: true, State: store.StateOpen,
		Tag: v.Get("tag"), Query: v.Get("q"), Provider: v.Get("provider"), Stack: v.Get("stack")}
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
	var verb, after string
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
		t, verb, after = store.Transition{State: store.StateSnoozed, SnoozedUntil: &until}, "Snoozed", " until "+exactTime(until)
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
	if on.filter != nil && r.Form.Get("confirm") != "yes" {
		if asked := h.confirmHostAction(ctx, w, r, *on.filter, t, label); asked {
			return
		}
	}
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
	if len(moved) == 0 {
		msg, err := h.unchanged(ctx, on, t, label)
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		h.finish(w, r, actionResult{Message: msg})
		return
	}
	what, err := h.what(ctx, moved, label)
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	res := actionResult{Message: fmt.Sprintf("%s %s%s.", verb, what, after)}
	u := &undo{Action: "/restore"}
	for _, c := range moved {
		u.Fields = append(u.Fields, undoField(c))
	}
	res.Undo = u
	h.finish(w, r, res)
}

// unchanged says why an action moved nothing, rather than claim that it did something.
func (h *Handler) unchanged(ctx context.Context, on target, t store.Transition, label string) (string, error) {
	if on.filter != nil {
		return fmt.Sprintf("Nothing changed: no image %s in this view is left to change.", label), nil
	}
	if len(on.ids) == 1 {
		// One image that did not move: gone (an error), or in that state already.
		img, err := h.store.GetImage(ctx, on.ids[0])
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Nothing changed: %s is %s already.", imageName(img), t.State), nil
	}
	return fmt.Sprintf("Nothing changed: the selected images are %s already.", t.State), nil
}

// imageName names one image in a message: "nginx:1.29 on nas".
func imageName(img store.Image) string {
	host := "with no hostname"
	if img.Hostname != "" {
		host = "on " + img.Hostname
	}
	return parseRef(img.Image).Name() + " " + host
}

// what names what an action moved: the image when it was one, else how many.
func (h *Handler) what(ctx context.Context, moved []store.StateChange, label string) (string, error) {
	if len(moved) == 1 && label == "" {
		img, err := h.store.GetImage(ctx, moved[0].ImageID)
		if err != nil {
			return "", err
		}
		return imageName(img), nil
	}
	s := plural(int64(len(moved)), "image")
	if label != "" {
		s += " " + label
	}
	return s, nil
}

// confirmHostAction asks before a host's action acts on images the page does not show: the
// view's other pages hold some of them. The overview's form says how many rows of the host it
// showed ("shown"); when the view has more, the person is told how many and asked, and true
// is returned. A post without "shown" did not come from a page that showed rows (a script):
// it acts as before, without asking.
func (h *Handler) confirmHostAction(ctx context.Context, w http.ResponseWriter, r *http.Request, f store.ImageFilter, t store.Transition, label string) bool {
	if !r.Form.Has("shown") {
		return false
	}
	shown, _ := strconv.Atoi(r.Form.Get("shown"))
	n, err := h.countWhere(ctx, f)
	if err != nil {
		h.actionError(w, r, err)
		return true
	}
	if n <= shown {
		return false
	}
	kind := "image"
	if f.State != "" {
		kind = string(f.State) + " image"
	}
	question := fmt.Sprintf("%s all %s %s", verbOf(t.State), plural(int64(n), kind), label)
	if t.SnoozedUntil != nil {
		question += " until " + exactTime(*t.SnoozedUntil)
	}
	question += "?"
	notShown := "are not on this page"
	if n-shown == 1 {
		notShown = "is not on this page"
	}
	more := fmt.Sprintf("%d of them %s.", n-shown, notShown)
	if n > maxBulk {
		more += fmt.Sprintf(" One action takes at most %d.", maxBulk)
	}
	if wantsJSON(r) {
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"confirm": question + " " + more, "count": n})
		return true
	}
	d := confirmData{Heading: question, Text: more, Button: verbOf(t.State) + " all " + strconv.Itoa(n), Action: r.URL.RequestURI(), Return: localReturn(r)}
	for _, k := range []string{"action", "for", "until", "shown"} {
		if v := r.Form.Get(k); v != "" {
			d.Fields = append(d.Fields, [2]string{k, v})
		}
	}
	h.render(w, r, http.StatusOK, "confirm", h.newPage(r, title("Act on "+plural(int64(n), "image")+"?"), "", d))
	return true
}

// verbOf is the imperative of moving an image to s, as a button says it.
func verbOf(s store.State) string {
	switch s {
	case store.StateAcknowledged:
		return "Acknowledge"
	case store.StateSnoozed:
		return "Snooze"
	case store.StateIgnored:
		return "Ignore"
	}
	return "Reopen"
}

// countWhere counts the images f matches, stopping a little past maxBulk: past that the
// exact number changes nothing.
func (h *Handler) countWhere(ctx context.Context, f store.ImageFilter) (int, error) {
	n, cursor := 0, ""
	for {
		page, err := h.store.ListImages(ctx, f, store.SortHost, store.PageRequest{Cursor: cursor, Limit: store.MaxPageSize})
		if err != nil {
			return 0, err
		}
		n += len(page.Images)
		if page.NextCursor == "" || n > maxBulk {
			return n, nil
		}
		cursor = page.NextCursor
	}
}

// snoozeUntil reads a snooze from a form: for=1d|7d|30d|…, until=RFC 3339 (app.js converts
// the date picker to it, in the browser's zone), or until_local from the date picker alone
// (no script), read as UTC, which the page then says. Its errors speak of what the person
// picked, not of parameters.
func snoozeUntil(r *http.Request, dur string, now time.Time) (time.Time, error) {
	if dur == "" {
		dur = r.Form.Get("for")
	}
	var t time.Time
	switch until, local := r.Form.Get("until"), r.Form.Get("until_local"); {
	case until != "":
		var err error
		if t, err = time.Parse(time.RFC3339Nano, until); err != nil {
			return time.Time{}, sentence("The date and time to snooze until could not be read: pick them again.")
		}
	case local != "":
		var err error
		if t, err = time.ParseInLocation("2006-01-02T15:04", local, time.UTC); err != nil {
			return time.Time{}, sentence("Pick a date and a time to snooze until.")
		}
	case dur != "":
		d, err := query.ParseDays(dur)
		if err != nil {
			return time.Time{}, sentence("Snooze for 1, 7 or 30 days, or pick a date.")
		}
		t = now.Add(d)
	default:
		return time.Time{}, sentence("Pick how long to snooze: 1, 7 or 30 days, or until a date.")
	}
	if !t.After(now) {
		return time.Time{}, sentence(exactTime(t) + " has passed: pick a time in the future.")
	}
	if t.Sub(now) > query.MaxSnooze {
		return time.Time{}, sentence("A snooze lasts at most a year: ignore the image instead.")
	}
	return t, nil
}

// sentence is an error written for the person who made it, whole: capital, full stop and
// all, shown as it is.
type sentence string

func (s sentence) Error() string { return string(s) }

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
		name = imageName(img) + " and its history"
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
		name += " and their history"
		if n == 1 {
			name = "1 image and its history"
		}
	}
	// Deleting cannot be undone (the history goes with it), which is why it asks first.
	res := actionResult{Message: fmt.Sprintf("Deleted %s.", name)}
	to := deleteReturn(r, ids)
	if to != localReturn(r) {
		// The page the request came from showed an image that is gone: a script must go
		// elsewhere, and the outcome must go with it, or the person sees no word of it.
		res.Location = withNotice(to, res.Message)
	}
	h.finishTo(w, r, res, to)
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

// confirmData is a page that asks before acting, for browsers without app.js (which asks
// itself): a deletion, or a host's action that reaches rows the page did not show.
type confirmData struct {
	Heading string
	// Text says more, when there is more to say.
	Text   string
	Button string
	Danger bool
	Action string
	IDs    []int64
	Return string
	Fields [][2]string
}

// confirmDelete asks before deleting.
func (h *Handler) confirmDelete(w http.ResponseWriter, r *http.Request, on target) {
	n := len(on.ids)
	d := confirmData{Action: r.URL.RequestURI(), Return: localReturn(r), Danger: true, Button: "Delete"}
	d.Heading = fmt.Sprintf("Delete %s?", plural(int64(n), "image"))
	d.Text = "Deleting removes these images and every notification in their history. This cannot be undone. If Diun reports them again, they come back as new."
	if n == 1 {
		ctx, cancel := h.storeContext(r)
		defer cancel()
		img, err := h.store.GetImage(ctx, on.ids[0])
		if err != nil {
			h.actionError(w, r, err)
			return
		}
		d.Heading = fmt.Sprintf("Delete %s?", imageName(img))
		d.Text = "Deleting removes the image and every notification in its history. This cannot be undone. If Diun reports it again, it comes back as new."
	}
	if r.URL.Path == "/bulk" {
		d.IDs = on.ids
	}
	d.Fields = append(d.Fields, [2]string{"action", "delete"})
	h.render(w, r, http.StatusOK, "confirm", h.newPage(r, title(d.Heading), "", d))
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

// restore is the undo of a state change: each item is id:from:until:to:until (undoField).
// Only the images still as the change left them go back: one changed since, by another tab,
// a token, MQTT or the snooze timer, keeps its later state, and the notice says so.
func (h *Handler) restore(w http.ResponseWriter, r *http.Request) {
	if len(r.PostForm["item"]) > maxBulk {
		h.tooMany(w, r)
		return
	}
	prior := make([]store.StateChange, 0, len(r.PostForm["item"]))
	for _, item := range r.PostForm["item"] {
		c, err := parseItem(item)
		if err != nil {
			h.renderStatus(w, r, http.StatusBadRequest, "Cannot undo", "This undo could not be read (a page from before an upgrade keeps an older form), so nothing was changed. Reload the page and change the images back by hand.")
			return
		}
		prior = append(prior, c)
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	moved, err := h.triage.Restore(ctx, prior, principalName(r))
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	msg := fmt.Sprintf("Undone: %s back as before.", plural(int64(len(moved)), "image"))
	if skipped := len(prior) - len(moved); skipped > 0 {
		kept := plural(int64(skipped), "image") + " changed since and kept its later state"
		if skipped > 1 {
			kept = plural(int64(skipped), "image") + " changed since and kept their later state"
		}
		msg = fmt.Sprintf("Undone: %s back as before; %s.", plural(int64(len(moved)), "image"), kept)
		if len(moved) == 0 {
			msg = fmt.Sprintf("Nothing undone: %s.", kept)
		}
	}
	h.finish(w, r, actionResult{Message: msg})
}

// parseItem reads one item of an undo (undoField).
func parseItem(item string) (store.StateChange, error) {
	parts := strings.Split(item, ":")
	bad := fmt.Errorf("%q is not an undo item", textutil.Truncate(item, 60))
	if len(parts) != 5 {
		return store.StateChange{}, bad
	}
	id, err := query.ParseID("image id", parts[0])
	if err != nil {
		return store.StateChange{}, bad
	}
	from, err := parseState(parts[1], parts[2])
	if err != nil {
		return store.StateChange{}, bad
	}
	to, err := parseState(parts[3], parts[4])
	if err != nil {
		return store.StateChange{}, bad
	}
	return store.StateChange{ImageID: id, From: from.State, FromUntil: from.SnoozedUntil, To: to.State, ToUntil: to.SnoozedUntil}, nil
}

// parseState reads a state and its snooze's end in Unix microseconds ("" for none).
func parseState(state, until string) (store.Transition, error) {
	t := store.Transition{State: store.State(state)}
	if !t.State.Valid() {
		return t, errors.New("no such state")
	}
	if until != "" {
		us, err := strconv.ParseInt(until, 10, 64)
		if err != nil {
			return t, err
		}
		u := time.UnixMicro(us).UTC()
		t.SnoozedUntil = &u
	}
	if (t.State == store.StateSnoozed) != (t.SnoozedUntil != nil) {
		return t, errors.New("a snooze needs its end, and only a snooze has one")
	}
	return t, nil
}

// finish answers a successful action.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, res actionResult) {
	h.finishTo(w, r, res, localReturn(r))
}

func (h *Handler) finishTo(w http.ResponseWriter, r *http.Request, res actionResult, to string) {
	if wantsJSON(r) {
		httpx.WriteJSON(w, http.StatusOK, res)
		return
	}
	// A plain form: back to the page, with the notice in the URL for the page to show, and
	// its Undo as a form of its own there.
	http.Redirect(w, r, withNoticeUndo(to, res.Message, res.Undo.address()), http.StatusSeeOther)
}

// withNotice is the local address to with message as its signed notice.
func withNotice(to, message string) string { return withNoticeUndo(to, message, "") }

// withNoticeUndo is withNotice with the address of the action's undo (see undo.address).
func withNoticeUndo(to, message, undo string) string {
	u, err := url.Parse(to)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	setNoticeUndo(q, textutil.Truncate(message, 300), undo)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// maxUndoAddress bounds the undo a redirect carries in its address: a few dozen images. An
// action on more (a whole host) is undone from the page with a script, or by hand.
const maxUndoAddress = 1500

// address is the undo as one local address, the form's action with its fields as the query
// ("/restore?item=12%3Aopen%3A"), or "" when there is none or it is too long for an address.
func (u *undo) address() string {
	if u == nil {
		return ""
	}
	v := url.Values{}
	for _, f := range u.Fields {
		v.Add(f[0], f[1])
	}
	a := u.Action + "?" + v.Encode()
	if len(a) > maxUndoAddress {
		return ""
	}
	return a
}

// undoForm reads an address made by undo.address back into the form it describes; nil when
// it is not one of ours.
func undoForm(address string) *undo {
	if address == "" {
		return nil
	}
	p, ok := localPath(address)
	if !ok {
		return nil
	}
	uri, err := url.Parse(p)
	if err != nil {
		return nil
	}
	u := &undo{Action: uri.Path}
	for k, vs := range uri.Query() {
		for _, v := range vs {
			u.Fields = append(u.Fields, [2]string{k, v})
		}
	}
	return u
}

// actionError answers a failed action: the store's own errors are the person's to fix, said
// without the store's words for them ("invalid: ", "not found").
func (h *Handler) actionError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.renderStatus(w, r, http.StatusNotFound, "No longer there", "What this acts on is no longer in the dashboard: someone may have deleted it meanwhile. Reload the page.")
	case errors.Is(err, store.ErrConflict):
		h.renderStatus(w, r, http.StatusConflict, "Already exists", plainError(err, store.ErrConflict)+".")
	case isClientError(err):
		h.renderStatus(w, r, http.StatusUnprocessableEntity, "Cannot do that", plainError(err, store.ErrInvalid, store.ErrInvalidCursor)+".")
	default:
		h.serverError(w, r, err)
	}
}

// plainError is err's message without the sentinel's own words, which name a category for
// programs ("invalid: a tag needs a name" becomes "A tag needs a name").
func plainError(err error, sentinels ...error) string {
	s := err.Error()
	for _, sentinel := range sentinels {
		s = strings.TrimPrefix(s, sentinel.Error()+": ")
		s = strings.TrimSuffix(s, ": "+sentinel.Error())
	}
	return capitalize(s)
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
