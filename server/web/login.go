package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"

	"diundashboard/server/auth"
)

type loginData struct {
	Next     string
	Username string
	Error    string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !safeLocal(next) {
		next = "/"
	}
	if h.auth.Mode() != auth.ModeBuiltin {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if _, ok, _ := h.auth.Identify(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", h.newPage(r, title("Sign in"), "", loginData{Next: next}))
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	next := r.FormValue("next")
	if !safeLocal(next) {
		next = "/"
	}
	username := r.FormValue("username")
	err := h.auth.Login(w, r, username, r.FormValue("password"))
	if err == nil {
		h.log.InfoContext(r.Context(), "signed in", "user", username, "client", h.auth.ClientIP(r).String())
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d := loginData{Next: next, Username: username}
	status := http.StatusUnauthorized
	var rl *auth.RateLimitError
	switch {
	case errors.As(err, &rl):
		status = http.StatusTooManyRequests
		secs := int(math.Ceil(rl.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		d.Error = fmt.Sprintf("Too many attempts from your address. Wait %d seconds, then try again.", secs)
	case errors.Is(err, auth.ErrBadCredentials):
		d.Error = "Wrong username or password."
		h.log.WarnContext(r.Context(), "failed sign-in", "user", username, "client", h.auth.ClientIP(r).String())
	default:
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, status, "login", h.newPage(r, title("Sign in"), "", d))
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.auth.Logout(w, r); err != nil {
		h.log.WarnContext(r.Context(), "cannot delete the session", "err", err)
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape("/"), http.StatusSeeOther)
}
