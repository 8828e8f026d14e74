package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"diundashboard/internal/textutil"
)

// Rejection is one webhook request the dashboard refused: when, from where and why. Diun
// logs a refused notification on its own side only, where nobody looks; the Connect page
// shows the last one, so that a wrong token is seen where Diun is being set up.
type Rejection struct {
	At time.Time
	// From is the client's address (behind trusted proxies, the one they name).
	From string
	// Agent shows the client's User-Agent ("diun/v4.33.0 …"), cut to maxAgent bytes, quoted
	// and labelled as the client's own claim: before its token is checked, anyone may send
	// anything there.
	Agent  string
	Status int
	// Reason is the error the client was answered.
	Reason string
	// Hint is a guess at the cause, when the request allows one: no token, a header sent with
	// its quotes, no "Bearer ". It never contains what was sent.
	Hint string
}

// Rejections keeps the last Rejection in memory: a restart forgets it, and each replica
// knows the requests it refused.
type Rejections struct {
	mu       sync.Mutex
	last     Rejection
	has      bool
	onRecord func(Rejection)
}

// NewRejections returns an empty record.
func NewRejections() *Rejections { return &Rejections{} }

// Last returns the last refused request, and false when there was none.
func (rs *Rejections) Last() (Rejection, bool) {
	if rs == nil {
		return Rejection{}, false
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.last, rs.has
}

// OnRecord sets the one function called after each refused request is recorded (the UI
// refreshes the pages that show it).
func (rs *Rejections) OnRecord(f func(Rejection)) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.onRecord = f
}

func (rs *Rejections) record(rej Rejection) {
	rs.mu.Lock()
	rs.last, rs.has = rej, true
	f := rs.onRecord
	rs.mu.Unlock()
	if f != nil {
		f(rej)
	}
}

// RegisterRecording is Register, with every answer other than 2xx recorded in rs. It wraps
// the routes Register adds (the same two patterns) rather than the handler's code, which
// stays as it is.
func (h *Handler) RegisterRecording(mux *http.ServeMux, rs *Rejections) {
	own := http.NewServeMux()
	h.Register(own)
	rec := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &capture{ResponseWriter: w}
		own.ServeHTTP(cw, r)
		if cw.status < 300 {
			return
		}
		var body struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(cw.body.Bytes(), &body)
		rej := Rejection{At: time.Now(), Status: cw.status, Reason: textutil.Truncate(body.Error, 300),
			Agent: agentLabel(r.UserAgent()), From: "unknown"}
		if h.opts.Now != nil {
			rej.At = h.opts.Now()
		}
		if h.opts.Auth != nil {
			if ip := h.opts.Auth.ClientIP(r); ip.IsValid() {
				rej.From = ip.String()
			}
		}
		switch cw.status {
		case http.StatusUnauthorized:
			rej.Hint = tokenHint(r)
		case http.StatusTooManyRequests:
			rej.Hint = "Too many wrong or missing tokens came from this address, so its wrong ones are refused with 429 for a while; the right token is accepted at any time: give Diun the token shown on this page."
		}
		rs.record(rej)
	})
	mux.Handle("POST /webhook", rec)
	mux.Handle("GET /webhook", rec)
}

// maxAgent bounds the User-Agent the Connect page shows: Diun's is about 30 bytes.
const maxAgent = 120

// agentLabel is how the Connect page shows a refused client's User-Agent, or "" for none.
func agentLabel(ua string) string {
	if ua == "" {
		return ""
	}
	return fmt.Sprintf("User-Agent sent by the client: %q", textutil.Truncate(ua, maxAgent))
}

// tokenHint guesses why the token of r was refused, from how it was sent.
func tokenHint(r *http.Request) string {
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, _, _ := strings.Cut(header, " ")
	switch {
	case header == "" && r.URL.Query().Get("token") == "":
		return "No token was sent: Diun needs the authorization header (or ?token= in its endpoint)."
	case strings.ContainsAny(header[:min(1, len(header))], `"'`) || strings.HasSuffix(header, `"`) || strings.HasSuffix(header, `'`):
		return `The authorization header came with quotes around it: remove the quotes around "Bearer …" in Diun's configuration (a compose list or an env file keeps them as part of the value).`
	case header != "" && !strings.EqualFold(scheme, "Bearer"):
		return `The authorization header does not start with "Bearer ": write it as "Bearer" and the token, separated by a space.`
	}
	return "A token was sent, but not the dashboard's current one: give Diun the token shown on this page (a new token replaces the old one at once)."
}

// capture notes the status of an answer and keeps the start of its body (the error).
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.status >= 300 && c.body.Len() < 2048 {
		c.body.Write(b[:min(len(b), 2048-c.body.Len())])
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flushes).
func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }
