// Package triage is the one place where the dashboard's data changes. The webhook records
// notifications through it; the API, the UI and the snooze timer change states, tags and
// images through it. Each change is one transaction in the store (which also writes the audit
// trail), then exactly one live event for the open pages, then the metric: no caller
// publishes or counts by itself, so none can forget to.
package triage

import (
	"context"
	"time"

	"diundashboard/server/live"
	"diundashboard/server/metrics"
	"diundashboard/server/store"
)

// Service changes data. It is safe for concurrent use.
type Service struct {
	store   store.Store
	hub     *live.Hub
	metrics *metrics.Metrics
	// onWebhook, when set, hears of every update Diun's webhook delivered (SetWebhookObserver).
	onWebhook func(hostname string, at time.Time)
}

// SetWebhookObserver makes f hear of every update recorded from Diun's webhook (the reconcile
// uses it to notice a host that was silent). Call it before the server serves.
func (s *Service) SetWebhookObserver(f func(hostname string, at time.Time)) { s.onWebhook = f }

// New returns the service over st that tells hub of every change; m may be nil.
func New(st store.Store, hub *live.Hub, m *metrics.Metrics) *Service {
	return &Service{store: st, hub: hub, metrics: m}
}

// Record stores one notification from Diun, then tells the open pages: of an update, or of a
// test notification (the Connect page listens for it).
func (s *Service) Record(ctx context.Context, n store.Notification) (store.RecordResult, error) {
	start := time.Now()
	res, err := s.store.Record(ctx, n)
	s.metrics.ObserveStore("record", time.Since(start))
	if err != nil || res.Refused {
		return res, err // a refused reconcile changed nothing
	}
	if res.Check {
		s.hub.Publish(live.Event{Kind: live.KindCheck})
	} else {
		s.hub.Publish(live.Event{Kind: live.KindNotification, ImageID: res.ImageID})
		if s.onWebhook != nil && (n.Source == "" || n.Source == store.SourceWebhook) {
			s.onWebhook(n.Hostname, time.Now())
		}
	}
	return res, nil
}

// SetStates moves the images ids to t on behalf of actor and returns what moved, each with
// its prior state (for undo).
func (s *Service) SetStates(ctx context.Context, ids []int64, t store.Transition, actor string) ([]store.StateChange, error) {
	changes, err := s.store.SetStates(ctx, ids, t, actor)
	return s.changed(changes, err, actionOf(t.State))
}

// SetStatesWhere moves every image of one host that f matches (all pages of the filter).
func (s *Service) SetStatesWhere(ctx context.Context, f store.ImageFilter, t store.Transition, actor string) ([]store.StateChange, error) {
	changes, err := s.store.SetStatesWhere(ctx, f, t, actor)
	return s.changed(changes, err, actionOf(t.State))
}

// Restore undoes a change: each image goes back to the state it had.
func (s *Service) Restore(ctx context.Context, prior []store.StateChange, actor string) ([]store.StateChange, error) {
	changes, err := s.store.RestoreStates(ctx, prior, actor)
	return s.changed(changes, err, "restore")
}

// WakeSnoozed reopens the snoozed images whose time has come.
func (s *Service) WakeSnoozed(ctx context.Context, now time.Time) ([]store.StateChange, error) {
	changes, err := s.store.WakeSnoozed(ctx, now)
	return s.changed(changes, err, actionOf(store.StateOpen))
}

// Delete removes images with their history; it returns how many there were.
func (s *Service) Delete(ctx context.Context, ids []int64) (int64, error) {
	n, err := s.store.DeleteImages(ctx, ids)
	if err != nil || n == 0 {
		return n, err
	}
	s.publish(ids, int(n))
	s.metrics.CountChanges("delete", int(n))
	return n, nil
}

// Tag attaches a tag to images; it returns those that did not have it yet.
func (s *Service) Tag(ctx context.Context, ids []int64, tagID int64) ([]int64, error) {
	changed, err := s.store.TagImages(ctx, ids, tagID)
	return s.linked(changed, err, "tag")
}

// Untag detaches a tag from images; it returns those that had it.
func (s *Service) Untag(ctx context.Context, ids []int64, tagID int64) ([]int64, error) {
	changed, err := s.store.UntagImages(ctx, ids, tagID)
	return s.linked(changed, err, "untag")
}

// CreateTag adds a tag.
func (s *Service) CreateTag(ctx context.Context, name string) (store.Tag, error) {
	t, err := s.store.CreateTag(ctx, name)
	if err == nil {
		s.publish(nil, 0)
	}
	return t, err
}

// RenameTag renames a tag.
func (s *Service) RenameTag(ctx context.Context, id int64, name string) (store.Tag, error) {
	t, err := s.store.RenameTag(ctx, id, name)
	if err == nil {
		s.publish(nil, 0)
	}
	return t, err
}

// DeleteTag deletes a tag (the images keep their other tags).
func (s *Service) DeleteTag(ctx context.Context, id int64) error {
	err := s.store.DeleteTag(ctx, id)
	if err == nil {
		s.publish(nil, 0)
	}
	return err
}

// changed publishes and counts a state change that moved something.
func (s *Service) changed(changes []store.StateChange, err error, action string) ([]store.StateChange, error) {
	if err != nil || len(changes) == 0 {
		return changes, err
	}
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.ImageID
	}
	s.publish(ids, len(ids))
	if action == "restore" {
		for _, c := range changes {
			s.metrics.CountChanges(actionOf(c.To), 1)
		}
	} else {
		s.metrics.CountChanges(action, len(changes))
	}
	return changes, nil
}

func (s *Service) linked(changed []int64, err error, action string) ([]int64, error) {
	if err != nil || len(changed) == 0 {
		return changed, err
	}
	s.publish(changed, len(changed))
	s.metrics.CountChanges(action, len(changed))
	return changed, nil
}

// publish sends the one live event of a change: naming the image when exactly one changed
// (the image page refreshes for it), none when several did.
func (s *Service) publish(ids []int64, n int) {
	e := live.Event{Kind: live.KindChange}
	if n == 1 && len(ids) == 1 {
		e.ImageID = ids[0]
	}
	s.hub.Publish(e)
}

// actionOf names the action that moves an image to state, for the metric.
func actionOf(state store.State) string {
	switch state {
	case store.StateAcknowledged:
		return "acknowledge"
	case store.StateOpen:
		return "reopen"
	case store.StateSnoozed:
		return "snooze"
	case store.StateIgnored:
		return "ignore"
	}
	return "other"
}
