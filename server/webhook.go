package server

import (
	"errors"
	"io"
	"net/http"

	"diundashboard/server/live"
	"diundashboard/server/store"
)

// webhookReply is the answer to a stored notification.
type webhookReply struct {
	EventID int64  `json:"event_id"`
	ImageID *int64 `json:"image_id"`
	State   string `json:"state,omitempty"`
	// Check is true for Diun's test notification, which proves the connection and is not an
	// update.
	Check   bool   `json:"check"`
	Message string `json:"message"`
}

// webhook receives one Diun notification. Diun never retries, so it is stored before the
// reply, and every answer other than 2xx says exactly what was wrong.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	if !s.token.matches(presentedToken(r)) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="diundashboard"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong webhook token: send Authorization: Bearer <token> or ?token=<token> (see the Connect page or the server log)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes; Diun's notifications are far smaller", MaxWebhookBody)
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read the body: %v", err)
		return
	}
	n, err := DecodeNotification(body)
	if err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			writeError(w, de.Status, "%s", de.Msg)
			return
		}
		writeError(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := s.storeContext(r)
	defer cancel()
	res, err := s.recordNotification(ctx, n)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			writeError(w, http.StatusUnprocessableEntity, "%s", err)
			return
		}
		s.log.ErrorContext(r.Context(), "cannot store a notification; Diun will not resend it", "hostname", n.Hostname, "image", n.Image, "digest", n.Digest, "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the database is unavailable; the notification was not stored")
		return
	}
	reply := webhookReply{EventID: res.EventID, Check: res.Check}
	if res.Check {
		s.publish(live.KindCheck, 0)
	} else {
		s.publish(live.KindNotification, res.ImageID)
	}
	if res.Check {
		reply.Message = "test notification received: Diun reaches DiunDashboard"
		s.log.InfoContext(r.Context(), "test notification received", "hostname", n.Hostname, "diun_version", n.DiunVersion)
	} else {
		reply.ImageID = &res.ImageID
		reply.State = string(res.State)
		reply.Message = "notification stored"
	}
	writeJSON(w, http.StatusOK, reply)
}
