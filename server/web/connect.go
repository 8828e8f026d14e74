package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/httpx"
	"diundashboard/server/live"
	"diundashboard/server/query"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

type connectData struct {
	// ComposeURL is the webhook's URL for Diun on the dashboard's compose network; OtherURL
	// for Diun anywhere else (BASE_URL, or the address this browser used), "" when only a
	// loopback address is known, which means nothing to another container or machine.
	ComposeURL, OtherURL string
	// OtherFrom says where OtherURL comes from: "BASE_URL" or "browser".
	OtherFrom string
	// Loopback is the loopback host the browser or BASE_URL names, to warn about;
	// LoopbackFrom says which ("BASE_URL" or "browser"): a BASE_URL set so needs changing.
	Loopback, LoopbackFrom string
	// Port is the port the dashboard listens on, for the placeholder URL.
	Port string
	// Via is whose snippets are shown: "compose" or "other"; Endpoint is their URL.
	Via      string
	Endpoint string
	Snippets snippets
	// Masked are the snippets with the token masked, shown until "Show the token" is open
	// (when there is a token to show).
	Masked snippets
	// Token is the webhook token while it may be shown, else "".
	Token      string
	Configured bool
	Checks     []store.Event
	LastCheck  *time.Time
	// RotatedAfterCheck is when the token was made anew, when that was after LastCheck.
	RotatedAfterCheck *time.Time
	// Rejected is the last refused webhook request, when there was one since the start;
	// AcceptedSince tells that a notification arrived after it.
	Rejected      *webhook.Rejection
	AcceptedSince bool
	APITokens     []store.APIToken
	// NewToken is an API token just made: shown this once.
	NewToken      string
	NewTokenName  string
	NewTokenScope store.TokenScope
	// TokenMissed: the page was to show a token just made, and it is no longer here.
	TokenMissed bool
	// Sessions is true in builtin sign-in, where "Sign out everywhere" means something.
	Sessions bool
	// Diun is how each Diun of DIUN_GRPC is (connect_diun.go).
	Diun diunView
}

func (h *Handler) connectPage(w http.ResponseWriter, r *http.Request) {
	fl, ok, missed := h.takeFlash(w, r)
	if !ok {
		fl = flash{}
	}
	h.renderConnect(w, r, fl, missed)
}

func (h *Handler) renderConnect(w http.ResponseWriter, r *http.Request, fl flash, missed bool) {
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
		Token:      h.opts.Webhook.Token(),
		Configured: h.opts.Webhook.Configured(),
		Checks:     checks,
		APITokens:  toks,
		NewToken:   fl.token, NewTokenName: fl.made.Name, NewTokenScope: fl.made.Scope, TokenMissed: missed,
		Sessions: h.auth.Mode() == auth.ModeBuiltin,
		Diun:     h.diunView(),
	}
	h.webhookURLs(r, &d)
	if len(checks) > 0 {
		d.LastCheck = &checks[0].ReceivedAt
		// A test sent with the token before it was made anew proves nothing of the new one.
		if at, ok := webhook.RotatedAt(ctx, h.store); ok && at.After(*d.LastCheck) {
			d.RotatedAfterCheck = &at
		}
	}
	if rej, ok := h.opts.Rejected.Last(); ok {
		d.Rejected = &rej
		sum, err := h.store.Summary(ctx)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		d.AcceptedSince = sum.LastNotification != nil && sum.LastNotification.After(rej.At)
	}
	d.Snippets = newSnippets(d.Endpoint, cmp.Or(d.Token, "YOUR_WEBHOOK_TOKEN"))
	if d.Token != "" {
		d.Masked = newSnippets(d.Endpoint, tokenMask)
	}
	p := h.newPage(r, title("Connect Diun"), "connect", d)
	p.Live = fl.token == "" // a refresh would lose the token shown once
	h.render(w, r, http.StatusOK, "connect", p)
}

// webhookURLs works out the URLs Diun may post to. A container on the dashboard's compose
// network reaches it by the service's name (dashboard in compose.yml, as the start-up log
// says) on the port the server listens on; anything else by BASE_URL, else by the address
// the browser used, unless that is a loopback address: 127.0.0.1 in Diun's configuration is
// Diun's own container.
func (h *Handler) webhookURLs(r *http.Request, d *connectData) {
	d.Port = "8080"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			d.Port = port
		}
	}
	d.ComposeURL = "http://" + net.JoinHostPort("dashboard", d.Port) + "/webhook"
	base, from := h.baseURL(r), "browser"
	if h.opts.BaseURL != "" {
		from = "BASE_URL"
	}
	if u, err := url.Parse(base); err == nil && isLoopback(u.Hostname()) {
		d.Loopback, d.LoopbackFrom = u.Host, from
	} else {
		d.OtherURL, d.OtherFrom = base+"/webhook", from
	}
	d.Via, d.Endpoint = "compose", d.ComposeURL
	if r.URL.Query().Get("diun") == "other" {
		d.Via, d.Endpoint = "other", d.OtherURL
		if d.Endpoint == "" {
			d.Endpoint = "http://" + net.JoinHostPort("YOUR-SERVER-ADDRESS", d.Port) + "/webhook"
		}
	}
}

// isLoopback reports whether host names this machine only: localhost, *.localhost, 127.x, ::1.
func isLoopback(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// tokenMask stands for the webhook token in the snippets until the token is shown.
const tokenMask = "••••••••••••••••"

// snippets are Diun's webhook settings in each form a person pastes them: diun.yml, a
// compose file's environment map, an env file, and docker run flags. Each works pasted as it
// is: the "Bearer …" value is quoted only where the syntax removes the quotes again (YAML,
// the shell), never in an env file or a compose list, which would send the quotes to the
// dashboard (a 401); and no variable has a name a shell or env file refuses.
type snippets struct {
	YAML, Compose, EnvFile, DockerRun string
}

func newSnippets(endpoint, token string) snippets {
	bearer := "Bearer " + token
	vars := [][2]string{
		{"DIUN_NOTIF_WEBHOOK_ENDPOINT", endpoint},
		{"DIUN_NOTIF_WEBHOOK_METHOD", "POST"},
		{"DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION", bearer},
		{"DIUN_NOTIF_WEBHOOK_TIMEOUT", "10s"},
	}
	var s snippets
	s.YAML = "notif:\n  webhook:\n    endpoint: " + yamlScalar(endpoint) + "\n    method: POST\n    headers:\n" +
		"      content-type: application/json\n      authorization: " + yamlScalar(bearer) + "\n    timeout: 10s"
	var compose, env, run []string
	for _, v := range vars {
		// Compose reads $ as the start of a variable: $$ is a dollar sign.
		compose = append(compose, "      "+v[0]+": "+yamlScalar(strings.ReplaceAll(v[1], "$", "$$")))
		env = append(env, v[0]+"="+v[1])
		run = append(run, "  -e "+shellWord(v[0]+"="+v[1])+" \\")
	}
	s.Compose = "    environment:\n" + strings.Join(compose, "\n")
	s.EnvFile = strings.Join(env, "\n")
	s.DockerRun = strings.Join(run, "\n")
	return s
}

// yamlScalar writes s as a YAML value: plain when YAML reads it back as the same string,
// double-quoted otherwise.
func yamlScalar(s string) string {
	plain := s != "" && !strings.ContainsAny(s[:1], "!&*-?{}[],#|>@`\"'%: ") &&
		!strings.Contains(s, ": ") && !strings.Contains(s, " #") && !strings.HasSuffix(s, ":") && !strings.HasSuffix(s, " ")
	if plain {
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "null", "~":
			plain = false
		}
	}
	if plain {
		return s
	}
	b, _ := json.Marshal(s) // a JSON string is a YAML double-quoted scalar
	return string(b)
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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

// createAPIToken makes a token and shows it once, on the Connect page it redirects to (see
// flash.go): never in a URL, and a reload of that page makes no other token.
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
		httpx.WriteJSON(w, http.StatusCreated, map[string]any{"id": t.ID, "name": t.Name, "scope": t.Scope, "token": tok})
		return
	}
	h.setFlashCookie(w, r, h.newTokens.put(flashOwner(r), tok, t, h.now()))
	http.Redirect(w, r, "/connect#tok-h", http.StatusSeeOther)
}

func (h *Handler) revokeAPIToken(w http.ResponseWriter, r *http.Request) {
	id, err := query.ParseID("token id", r.PathValue("id"))
	if err != nil {
		h.renderStatus(w, r, http.StatusNotFound, "No such token", "This address names no API token.")
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
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"message": "Signed out everywhere.", "sessions": n, "login": "/login"})
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func principalName(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.Name
}
