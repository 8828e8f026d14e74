package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"

	"diundashboard/internal/textutil"
	"diundashboard/server/auth"
)

// maxUsernameEcho caps the username as it is logged and shown again in the form: a real
// one is short, and a client may send 16 KiB of it.
const maxUsernameEcho = 128

type loginData struct {
	Next     string
	Username string
	Error    string
	// Generated: the user is the generated admin; the page says where its password is.
	Generated bool
}

// nextPage is where to go after signing in: the "next" value when it is a page of ours,
// else the overview.
func nextPage(v string) string {
	if p, ok := localPath(v); ok {
		return p
	}
	return "/"
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := nextPage(r.URL.Query().Get("next"))
	if h.auth.Mode() != auth.ModeBuiltin {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if _, ok, _ := h.auth.Identify(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", h.newPage(r, title("Sign in"), "", loginData{Next: next, Generated: h.auth.GeneratedPassword()}))
}

// login signs in with the built-in user. Its form has been read by form, at most
// loginFormLimit bytes, before the rate limit: that bound is what an anonymous client can
// make the server read.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	next := nextPage(r.Form.Get("next"))
	if h.auth.Mode() != auth.ModeBuiltin {
		// A sign-in form kept open from before the mode changed, or a bookmark: there is no
		// password to check, the proxy or nobody signs people in, so simply go on.
		h.log.DebugContext(r.Context(), "sign-in form posted while sign-in with a password is off", "mode", string(h.auth.Mode()))
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	username := r.PostForm.Get("username")
	shown := textutil.Truncate(username, maxUsernameEcho)
	err := h.auth.Login(w, r, username, r.PostForm.Get("password"))
	if err == nil {
		h.log.InfoContext(r.Context(), "signed in", "user", shown, "client", h.auth.ClientIP(r).String())
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d := loginData{Next: next, Username: shown, Generated: h.auth.GeneratedPassword()}
	status := http.StatusUnauthorized
	var rl *auth.RateLimitError
	switch {
	case errors.As(err, &rl):
		status = http.StatusTooManyRequests
		secs := int(math.Ceil(rl.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		d.Error = fmt.Sprintf("Too many attempts from your address. Wait %d seconds, then try again: until then even the right password is refused, so that nobody can guess it by trying fast.", secs)
	case errors.Is(err, auth.ErrBusy):
		// Many sign-ins at once, from many addresses: a crowd guessing, or a very busy moment.
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
		d.Error = "Too many sign-ins at this moment. Wait a few seconds, then try again."
		h.log.WarnContext(r.Context(), "sign-in refused: every password check slot is busy", "client", h.auth.ClientIP(r).String())
	case errors.Is(err, auth.ErrBadCredentials):
		d.Error = "Wrong username or password."
		// An unknown name is not logged: it is often a password typed into the wrong field.
		user := "(not the configured user)"
		if h.auth.IsUser(username) {
			user = shown
		}
		h.log.WarnContext(r.Context(), "failed sign-in", "user", user, "client", h.auth.ClientIP(r).String())
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
