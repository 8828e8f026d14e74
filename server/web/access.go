package web

import (
	"net/http"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// What each route needs, on top of being identified by require:
//
//   - reads (GET pages, the live stream) need a person or a token of scope read or write;
//   - changes (triage actions) need a person or a token of scope write;
//   - managing credentials (the webhook token, API tokens, sessions) needs a person: a token
//     made for a widget must never read the webhook token, mint tokens or revoke others.

// requireScope lets through a person, or an API token whose scope allows want.
func (h *Handler) requireScope(want store.TokenScope, next http.HandlerFunc) http.HandlerFunc {
	return h.require(func(w http.ResponseWriter, r *http.Request) {
		if p, _ := auth.FromContext(r.Context()); !p.Allows(want) {
			h.renderStatus(w, r, http.StatusForbidden, "Not allowed with this token",
				"This API token has the scope "+string(p.Scope)+"; this needs "+string(want)+". Make a token with the scope write on the Connect page.")
			return
		}
		next(w, r)
	})
}

// requirePerson lets through people only, never an API token.
func (h *Handler) requirePerson(next http.HandlerFunc) http.HandlerFunc {
	return h.require(func(w http.ResponseWriter, r *http.Request) {
		if p, _ := auth.FromContext(r.Context()); !p.Person() {
			h.renderStatus(w, r, http.StatusForbidden, "Needs a person",
				"Managing credentials (the webhook token, API tokens, sessions) needs a person signed in; API tokens cannot do it.")
			return
		}
		next(w, r)
	})
}
