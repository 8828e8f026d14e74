package web

import (
	"context"
	"errors"
	"net/http"

	"diundashboard/server/notify"
	"diundashboard/server/store"
)

// Notifier is the notification service as the Notifications page sees it (server/notify).
type Notifier interface {
	Status(ctx context.Context, limit int) (notify.Status, error)
	SendTest(ctx context.Context, actor string) error
}

// recentSends is how many outbox rows the page lists.
const recentSends = 20

type notificationsData struct {
	notify.Status
	// Enabled is false without NOTIFY_URLS (or without a notifier at all).
	Enabled bool
	// NewOff, DigestOff: the setting is off.
	NewOff, DigestOff bool
}

// registerNotifications mounts the Notifications page: people only, like Connect, since it
// names the destinations (masked) and sends a test to all of them.
func (h *Handler) registerNotifications(mux *http.ServeMux) {
	mux.HandleFunc("GET /notifications", h.requirePerson(h.notificationsPage))
	mux.HandleFunc("POST /notifications/test", h.requirePerson(h.requireScope(store.ScopeWrite, h.form(actionFormLimit, h.sendTestNotification))))
}

func (h *Handler) notificationsPage(w http.ResponseWriter, r *http.Request) {
	var d notificationsData
	if h.opts.Notify != nil {
		ctx, cancel := h.storeContext(r)
		defer cancel()
		st, err := h.opts.Notify.Status(ctx, recentSends)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		d.Status = st
		d.Enabled = st.Config.Enabled()
		d.NewOff = st.Config.NewAfter == 0
		d.DigestOff = !st.Config.Digest.On()
	}
	h.render(w, r, http.StatusOK, "notifications", h.newPage(r, title("Notifications"), "notifications", d))
}

// sendTestNotification puts a test message for every destination into the outbox; the worker
// sends it at once. The outcome shows on the page (Post/Redirect/Get).
func (h *Handler) sendTestNotification(w http.ResponseWriter, r *http.Request) {
	if h.opts.Notify == nil {
		h.renderStatus(w, r, http.StatusConflict, "Notifications are off", "Set NOTIFY_URLS to one or more shoutrrr URLs and restart; see docs/notifications.md.")
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	err := h.opts.Notify.SendTest(ctx, principalName(r))
	if errors.Is(err, notify.ErrNoTargets) {
		h.renderStatus(w, r, http.StatusConflict, "Notifications are off", "Set NOTIFY_URLS to one or more shoutrrr URLs and restart; see docs/notifications.md.")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.finishTo(w, r, actionResult{Message: "Test notification queued: it is sent in a few seconds. Reload this page to see whether it went."}, "/notifications")
}
