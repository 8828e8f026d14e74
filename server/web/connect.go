package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/live"
	"diundashboard/server/query"
	"diundashboard/server/store"
)

type connectData struct {
	WebhookURL string
	Token      string
	Configured bool
	Checks     []store.Event
	LastCheck  *time.Time
	APITokens  []store.APIToken
	// NewToken is an API token just made: shown this once.
	NewToken      string
	NewTokenName  string
	NewTokenScope store.TokenScope
	Notice        string
	// Sessions is true in builtin sign-in, where "Sign out everywhere" means something.
	Sessions bool
}

func (h *Handler) connectPage(w http.ResponseWriter, r *http.Request) {
	h.renderConnect(w, r, http.StatusOK, "", store.APIToken{})
}

func (h *Handler) renderConnect(w http.ResponseWriter, r *http.Request, status int, newToken string, newTok store.APIToken) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	checks, err := h.store.ListChecks(ctx, 5)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	toks, err := h.store.ListAPITokens(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d := connectData{
		WebhookURL: h.baseURL(r) + "/webhook",
		Token:      h.opts.Webhook.Token(),
		Configured: h.opts.Webhook.Configured(),
		Checks:     checks,
		APITokens:  toks,
		NewToken:   newToken, NewTokenName: newTok.Name, NewTokenScope: newTok.Scope,
		Sessions: h.auth.Mode() == auth.ModeBuiltin,
	}
	if len(checks) > 0 {
		d.LastCheck = &checks[0].ReceivedAt
	}
	p := h.newPage(r, title("Connect Diun"), "connect", d)
	p.Live = newToken == "" // a refresh would lose the token shown once
	h.render(w, r, status, "connect", p)
}

// baseURL is BASE_URL, or the address the browser used (behind a trusted proxy, with the
// scheme it reports).
func (h *Handler) baseURL(r *http.Request) string {
	if h.opts.BaseURL != "" {
		return strings.TrimRight(h.opts.BaseURL, "/")
	}
	scheme := "http"
	if auth.IsHTTPS(r, h.auth.TrustsProxy(r)) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (h *Handler) rotateToken(w http.ResponseWriter, r *http.Request) {
	if h.opts.Webhook.Configured() {
		h.renderStatus(w, r, http.StatusConflict, "The token is set by configuration", "WEBHOOK_TOKEN sets the webhook token: change it there and restart.")
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	if _, err := h.opts.Webhook.Rotate(ctx); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.hub.Publish(live.Event{Kind: live.KindChange})
	h.finish(w, r, actionResult{Message: "Made a new webhook token. Diun must now send the new one: update diun.yml."})
}

// createAPIToken makes a token and shows it once, on the Connect page itself (never in a
// URL, which would keep it in the history).
func (h *Handler) createAPIToken(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	// Read-only unless asked: most tokens feed a widget.
	scope := store.ScopeRead
	if v := r.PostForm.Get("scope"); v != "" {
		scope = store.TokenScope(v)
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	tok, t, err := h.auth.NewAPIToken(ctx, name, scope)
	if err != nil {
		h.actionError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "API token created", "name", t.Name, "scope", t.Scope, "by", principalName(r))
	if wantsJSON(r) {
		writeJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "name": t.Name, "scope": t.Scope, "token": tok})
		return
	}
	h.renderConnect(w, r, http.StatusCreated, tok, t)
}

func (h *Handler) revokeAPIToken(w http.ResponseWriter, r *http.Request) {
	id, err := query.ParseID("token id", r.PathValue("id"))
	if err != nil {
		h.renderStatus(w, r, http.StatusNotFound, "No such token", err.Error())
		return
	}
	ctx, cancel := h.storeContext(r)
	defer cancel()
	if err := h.store.RevokeAPIToken(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.renderStatus(w, r, http.StatusNotFound, "No such token", "This token was already revoked.")
			return
		}
		h.serverError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "API token revoked", "id", id, "by", principalName(r))
	h.finish(w, r, actionResult{Message: "Revoked the token: clients that use it are refused from now on."})
}

// revokeAllSessions signs everybody out everywhere, this browser included: after a password
// change, or when a device with a session is lost.
func (h *Handler) revokeAllSessions(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	n, err := h.auth.RevokeAllSessions(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.InfoContext(r.Context(), "signed out everywhere", "sessions", n, "by", principalName(r))
	if err := h.auth.Logout(w, r); err != nil {
		h.log.DebugContext(r.Context(), "cannot delete the session", "err", err)
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"message": "Signed out everywhere.", "sessions": n, "login": "/login"})
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func principalName(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.Name
}
