package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"diundashboard/server/live"
	"diundashboard/server/query"
	"diundashboard/server/store"
)

// maxAPIBody bounds the JSON bodies of API writes (a tag name, a snooze).
const maxAPIBody = 64 << 10

func (s *Server) listImages(w http.ResponseWriter, r *http.Request) {
	q, err := query.ParseImages(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	page, err := s.store.ListImages(ctx, q.Filter, q.Sort, q.Page)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	images := make([]imageJSON, len(page.Images))
	for i, img := range page.Images {
		images[i] = toImageJSON(img)
	}
	writeJSON(w, http.StatusOK, map[string]any{"images": images, "next_cursor": page.NextCursor})
}

// pathID reads the {name} path value as a row id, answering 400 when it is not one.
func pathID(w http.ResponseWriter, r *http.Request, name, what string) (int64, bool) {
	id, err := query.ParseID(what, r.PathValue(name))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%s", err)
		return 0, false
	}
	return id, true
}

func (s *Server) getImage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	img, err := s.store.GetImage(ctx, id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toImageJSON(img))
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	v := r.URL.Query()
	limit, err := query.ParseLimit(v.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	page, err := s.store.ListEvents(ctx, id, store.PageRequest{Cursor: v.Get("cursor"), Limit: limit})
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	events := make([]eventJSON, len(page.Events))
	for i, e := range page.Events {
		events[i] = toEventJSON(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events, "next_cursor": page.NextCursor})
}

// transition moves one image to state.
func (s *Server) transition(state store.State) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "id", "image id")
		if !ok {
			return
		}
		s.setState(w, r, id, store.Transition{State: state})
	}
}

func (s *Server) setState(w http.ResponseWriter, r *http.Request, id int64, t store.Transition) {
	ctx, cancel := s.storeContext(r)
	defer cancel()
	img, err := s.store.SetState(ctx, id, t)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.publish(live.KindChange, id)
	writeJSON(w, http.StatusOK, toImageJSON(img))
}

func (s *Server) snooze(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	var body struct {
		Until string `json:"until"`
		For   string `json:"for"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	until, err := query.ParseSnooze(body.Until, body.For, time.Now())
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "%s", err)
		return
	}
	s.setState(w, r, id, store.Transition{State: store.StateSnoozed, SnoozedUntil: &until})
}

func (s *Server) acknowledgeHost(w http.ResponseWriter, r *http.Request) {
	host := r.PathValue("hostname")
	ctx, cancel := s.storeContext(r)
	defer cancel()
	n, err := s.store.SetHostState(ctx, host, store.StateOpen, store.Transition{State: store.StateAcknowledged})
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.publish(live.KindChange, 0)
	writeJSON(w, http.StatusOK, map[string]any{"hostname": host, "acknowledged": n})
}

func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	if err := s.store.DeleteImage(ctx, id); err != nil {
		s.storeError(w, r, err)
		return
	}
	s.publish(live.KindChange, id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.storeContext(r)
	defer cancel()
	tags, err := s.store.ListTags(ctx)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := make([]tagJSON, len(tags))
	for i, t := range tags {
		out[i] = toTagJSON(t, true)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": out})
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	tag, err := s.store.CreateTag(ctx, body.Name)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.publish(live.KindChange, 0)
	writeJSON(w, http.StatusCreated, toTagJSON(tag, false))
}

func (s *Server) renameTag(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tag id")
	if !ok {
		return
	}
	var body struct {
		Name string `json:"name"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	tag, err := s.store.RenameTag(ctx, id, body.Name)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.publish(live.KindChange, 0)
	writeJSON(w, http.StatusOK, toTagJSON(tag, false))
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "tag id")
	if !ok {
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	if err := s.store.DeleteTag(ctx, id); err != nil {
		s.storeError(w, r, err)
		return
	}
	s.publish(live.KindChange, 0)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) attachTag(w http.ResponseWriter, r *http.Request) {
	s.changeTagLink(w, r, s.store.AttachTag)
}

func (s *Server) detachTag(w http.ResponseWriter, r *http.Request) {
	s.changeTagLink(w, r, s.store.DetachTag)
}

func (s *Server) changeTagLink(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, imageID, tagID int64) error) {
	imageID, ok := pathID(w, r, "id", "image id")
	if !ok {
		return
	}
	tagID, ok := pathID(w, r, "tag_id", "tag id")
	if !ok {
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	if err := change(ctx, imageID, tagID); err != nil {
		s.storeError(w, r, err)
		return
	}
	s.publish(live.KindChange, imageID)
	w.WriteHeader(http.StatusNoContent)
}

// summaryJSON is small enough for a Homepage or Home Assistant widget.
type summaryJSON struct {
	TotalOpen            int64             `json:"total_open"`
	Totals               map[string]int64  `json:"totals"`
	Hosts                []hostSummaryJSON `json:"hosts"`
	LastNotification     *string           `json:"last_notification"`
	LastTestNotification *string           `json:"last_test_notification"`
}

type hostSummaryJSON struct {
	Hostname     string `json:"hostname"`
	Open         int64  `json:"open"`
	Acknowledged int64  `json:"acknowledged"`
	Snoozed      int64  `json:"snoozed"`
	Ignored      int64  `json:"ignored"`
}

func (s *Server) summary(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.storeContext(r)
	defer cancel()
	sum, err := s.store.Summary(ctx)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toSummaryJSON(sum))
}

func toSummaryJSON(sum store.Summary) summaryJSON {
	out := summaryJSON{
		Totals:               map[string]int64{},
		Hosts:                []hostSummaryJSON{},
		LastNotification:     timeJSON(sum.LastNotification),
		LastTestNotification: timeJSON(sum.LastCheck),
	}
	for _, st := range store.States {
		out.Totals[string(st)] = 0
	}
	byHost := map[string]int{}
	for _, c := range sum.Counts {
		i, ok := byHost[c.Hostname]
		if !ok {
			i = len(out.Hosts)
			byHost[c.Hostname] = i
			out.Hosts = append(out.Hosts, hostSummaryJSON{Hostname: c.Hostname})
		}
		h := &out.Hosts[i]
		switch c.State {
		case store.StateOpen:
			h.Open += c.Images
		case store.StateAcknowledged:
			h.Acknowledged += c.Images
		case store.StateSnoozed:
			h.Snoozed += c.Images
		case store.StateIgnored:
			h.Ignored += c.Images
		}
		out.Totals[string(c.State)] += c.Images
	}
	out.TotalOpen = out.Totals[string(store.StateOpen)]
	return out
}

// readJSON decodes a small JSON object body into v; an empty body leaves v at its zero value.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxAPIBody)
			return false
		}
		writeError(w, http.StatusBadRequest, "cannot read the body: %v", err)
		return false
	}
	if len(body) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		de := jsonError(err)
		writeError(w, de.Status, "%s", de.Msg)
		return false
	}
	return true
}
