package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ReadBody reads the whole body, at most limit bytes. Too large a body is answered 413 (its
// message ends with what), an unreadable one 400; status is then that status, else 0.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, what string) (body []byte, status int) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteError(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes; %s", limit, what)
			return nil, http.StatusRequestEntityTooLarge
		}
		WriteError(w, http.StatusBadRequest, "cannot read the body: %v", err)
		return nil, http.StatusBadRequest
	}
	return body, 0
}

// ReadJSON decodes a small JSON object body into v; an empty body leaves v at its zero
// value. A bad body is answered (413, 400 or 422) and ok is false.
func ReadJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) (ok bool) {
	body, status := ReadBody(w, r, limit, "the API's bodies are small JSON objects")
	if status != 0 {
		return false
	}
	if len(body) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		status, msg := JSONError(err)
		WriteError(w, status, "%s", msg)
		return false
	}
	return true
}

// JSONError explains why a body did not decode: 400 for what is not JSON (or not an object),
// 422 for a field of the wrong type, naming it.
func JSONError(err error) (status int, msg string) {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return http.StatusBadRequest, fmt.Sprintf("the body must be one JSON object, not a JSON %s", typeErr.Value)
		}
		want := "a string"
		if strings.HasPrefix(field, "metadata") {
			want = "an object of strings, or null"
			if strings.Contains(field, ".") {
				want = "a string"
			}
		}
		return http.StatusUnprocessableEntity, fmt.Sprintf("%s must be %s, not a JSON %s", field, want, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return http.StatusBadRequest, fmt.Sprintf("the body is not valid JSON (at byte %d): %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, "the body is not valid JSON: it ends too early"
	default:
		return http.StatusBadRequest, fmt.Sprintf("the body is not valid JSON: %s", err)
	}
}
