// Package httpx is the response vocabulary shared by the API, the webhook and the UI: JSON
// bodies and errors, bounded request bodies, the store's errors as HTTP statuses, the store
// timeout of a request, and request details fit for a log line.
package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ErrorBody is the shape of every JSON error the dashboard answers: {"error": "..."}.
type ErrorBody struct {
	Error string `json:"error"`
}

// WriteJSON answers v as JSON with status. It is never cached, never sniffed, and HTML in it
// is not escaped: served as application/json with nosniff, it has no HTML context.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError answers {"error": message} with status.
func WriteError(w http.ResponseWriter, status int, format string, args ...any) {
	WriteJSON(w, status, ErrorBody{Error: fmt.Sprintf(format, args...)})
}
