package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"diundashboard/internal/proctest"
	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// newLoggedEnv is newEnv with the server's log kept at debug level, for tests about what the
// server logs.
func newLoggedEnv(t testing.TB, databaseURL string, mode auth.Mode) (*env, *proctest.SyncBuffer) {
	t.Helper()
	logs := &proctest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return newEnvLogging(t, databaseURL, modeConfig(mode), log), logs
}

// postRaw posts body with contentType ("" sends none) and returns the reply.
func (e *env) postRaw(path, contentType string, body io.Reader, header map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

// multipartForm encodes form as multipart/form-data, the encoding the UI refuses.
func multipartForm(form url.Values) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &buf
}

// onlyReader hides the length of a body, so that it is sent chunked and the server finds out
// its size only by reading it.
type onlyReader struct{ io.Reader }

// uiPosts are every POST route of the UI with a form it would accept, and the body limit it
// must keep to.
var uiPosts = []struct {
	path  string
	form  url.Values
	limit int
}{
	{"/login", url.Values{"username": {testUser}, "password": {"wrong"}}, 16 << 10},
	{"/logout", nil, 8 << 10},
	{"/images/1", url.Values{"action": {"acknowledge"}}, 8 << 10},
	{"/images/1/snooze", url.Values{"for": {"7d"}}, 8 << 10},
	{"/bulk", url.Values{"action": {"acknowledge"}, "id": {"1"}}, 5000*len("id=9223372036854775807&") + 8<<10},
	{"/restore", url.Values{"item": {"1:ignored::open:"}}, 5000*len("item=9223372036854775807%3Aacknowledged%3A-9223372036854775808%3Aacknowledged%3A-9223372036854775808&") + 8<<10},
	{"/tags", url.Values{"name": {"prod"}}, 8 << 10},
	{"/connect/rotate", nil, 8 << 10},
	{"/tokens", url.Values{"name": {"widget"}}, 8 << 10},
	{"/tokens/1/revoke", nil, 8 << 10},
	// Last: accepted, it signs this test's browser out.
	{"/sessions/revoke-all", nil, 8 << 10},
}

func TestFormBodiesBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("h", "docker.io/acme/app:1", digestN(1), "")
		for _, p := range uiPosts {
			// Multipart, which FormValue would have parsed up to 32 MiB into memory, and any
			// other encoding are refused before the handler runs.
			ct, body := multipartForm(p.form)
			res, page := e.postRaw(p.path, ct, body, nil)
			if res.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(page, "application/x-www-form-urlencoded") {
				t.Errorf("POST %s multipart: %d, want 415 naming the encoding it takes", p.path, res.StatusCode)
			}
			res, page = e.postRaw(p.path, ct, strings.NewReader(body.String()), jsonAccept)
			if res.StatusCode != http.StatusUnsupportedMediaType || !isJSONError(page) {
				t.Errorf("POST %s multipart from app.js: %d %q, want a 415 JSON error", p.path, res.StatusCode, page)
			}
			if res, _ := e.postRaw(p.path, "text/plain", strings.NewReader(p.form.Encode()), nil); res.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("POST %s text/plain: %d, want 415", p.path, res.StatusCode)
			}
			if res, _ := e.postRaw(p.path, "", strings.NewReader(p.form.Encode()+"&x=1"), nil); res.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("POST %s with a body and no content type: %d, want 415", p.path, res.StatusCode)
			}

			// One byte over the limit: refused whether the length is announced or not.
			over := strings.Repeat("a", p.limit-len("pad=")+1)
			res, page = e.postRaw(p.path, "application/x-www-form-urlencoded", strings.NewReader("pad="+over), nil)
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(page, "larger than the dashboard accepts") {
				t.Errorf("POST %s of %d bytes: %d, want 413 with an explanation", p.path, p.limit+1, res.StatusCode)
			}
			res, page = e.postRaw(p.path, "application/x-www-form-urlencoded", onlyReader{strings.NewReader("pad=" + over)}, jsonAccept)
			if res.StatusCode != http.StatusRequestEntityTooLarge || !isJSONError(page) {
				t.Errorf("POST %s of %d bytes, chunked, from app.js: %d %q, want a 413 JSON error", p.path, p.limit+1, res.StatusCode, page)
			}
			// At the limit: read whole (whatever the handler then makes of the form).
			at := strings.Repeat("a", p.limit-len("pad=")-len(p.form.Encode())-1)
			res, _ = e.postRaw(p.path, "application/x-www-form-urlencoded", strings.NewReader(p.form.Encode()+"&pad="+at), nil)
			if res.StatusCode == http.StatusRequestEntityTooLarge || res.StatusCode == http.StatusBadRequest {
				t.Errorf("POST %s of exactly %d bytes: %d, want it read", p.path, p.limit, res.StatusCode)
			}
			if p.path == "/logout" || p.path == "/login" || p.path == "/sessions/revoke-all" {
				e.login() // the honest posts above signed out, or used a wrong password
			}
		}
		if stateOf(t, e, 1).State == store.StateOpen {
			t.Error("no action got through: the honest posts were refused")
		}

		// A lone button sends no body and may send no content type.
		if res, _ := e.postRaw("/images/1/reopen", "", nil, nil); res.StatusCode != http.StatusSeeOther || stateOf(t, e, 1).State != store.StateOpen {
			t.Errorf("POST without a body or a content type: %d, want the action done", res.StatusCode)
		}

		// The largest honest bulk form: maxBulk ids of the longest form, with every field of
		// the overview's bulk form, and the undo of as many.
		bulk := url.Values{"action": {"acknowledge"}, "for": {"7d"}, "tag_id": {""}, "new_tag": {strings.Repeat("é", 32)}}
		items := url.Values{}
		until := fmt.Sprint(time.Now().Add(time.Hour).UnixMicro())
		for i := range 5000 {
			bulk.Add("id", fmt.Sprint(9223372036854775807-int64(i)))
			items.Add("item", fmt.Sprintf("%d:snoozed:%s:snoozed:%s", 9223372036854775807-int64(i), until, until))
		}
		if res, body := e.postBody("/bulk", bulk, jsonAccept); res.StatusCode != http.StatusOK {
			t.Errorf("POST /bulk with 5,000 ids (%d bytes): %d %s", len(bulk.Encode()), res.StatusCode, body)
		}
		if res, body := e.postBody("/restore", items, jsonAccept); res.StatusCode != http.StatusOK {
			t.Errorf("POST /restore with 5,000 items (%d bytes): %d %s", len(items.Encode()), res.StatusCode, body)
		}
		bulk.Add("id", "1")
		if res, _ := e.postBody("/bulk", bulk, jsonAccept); res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST /bulk with 5,001 ids: %d, want 413", res.StatusCode)
		}
		items.Add("item", "1:open::ignored:")
		if res, _ := e.postBody("/restore", items, jsonAccept); res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST /restore with 5,001 items: %d, want 413", res.StatusCode)
		}
	})
}

func isJSONError(body string) bool {
	var v struct {
		Error string `json:"error"`
	}
	return json.Unmarshal([]byte(body), &v) == nil && v.Error != ""
}

// TestSignedOutBodyUnread: a request that is not signed in is sent to sign in without its body
// being read. Where it came from is the Referer's to say, never a field of the body.
func TestSignedOutBodyUnread(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	ref := map[string]string{"Referer": e.ts.URL + "/?host=h"}
	want := "/login?next=" + url.QueryEscape("/?host=h")
	res := e.post("/images/1/acknowledge", url.Values{"return": {"/connect"}}, ref)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != want {
		t.Errorf("signed-out post with return=/connect: %d → %q, want %q (the Referer, the body unread)", res.StatusCode, loc, want)
	}
	// Nor does an encoding the UI refuses get a 415: the request never reaches the form.
	ct, body := multipartForm(url.Values{"return": {"/connect"}})
	res, _ = e.postRaw("/bulk", ct, body, ref)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != want {
		t.Errorf("signed-out multipart post: %d → %q, want %q", res.StatusCode, loc, want)
	}
}

var usernameField = regexp.MustCompile(`name="username"[^>]*value="([^"]*)"`)

// TestSignInEchoesAreCapped: a username of 15 KiB (inside the sign-in limit) is neither logged
// nor shown back whole.
func TestSignInEchoesAreCapped(t *testing.T) {
	e, logs := newLoggedEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	long := strings.Repeat("u", 15<<10)
	res, page := e.postBody("/login", url.Values{"username": {long}, "password": {"wrong"}}, nil)
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in with a 15 KiB username: %d, want 401", res.StatusCode)
	}
	m := usernameField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the sign-in page does not show the username again")
	}
	if len(m[1]) > 256 {
		t.Errorf("the sign-in page shows back %d bytes of the username", len(m[1]))
	}
	var failed string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "failed sign-in") {
			failed = line
		}
	}
	if failed == "" {
		t.Fatalf("no failed sign-in logged:\n%s", logs.String())
	}
	if len(failed) > 512 {
		t.Errorf("the failed sign-in log line is %d bytes long", len(failed))
	}
	// Over the limit nothing is tried, so nothing is logged about a user.
	before := len(logs.String())
	res, _ = e.postBody("/login", url.Values{"username": {long + long}, "password": {"wrong"}}, nil)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("sign-in of 30 KiB: %d, want 413", res.StatusCode)
	}
	if after := logs.String()[before:]; strings.Contains(after, "uuuuuuuuuuuuuuuu") {
		t.Errorf("the refused sign-in logged the username:\n%s", after)
	}
}

// TestLoginPostWithoutPasswordSignIn: in proxy and none mode a sign-in form (kept open from
// before, or a bookmark) goes on to its page, as GET /login does, and is no server error.
func TestLoginPostWithoutPasswordSignIn(t *testing.T) {
	for _, mode := range []auth.Mode{auth.ModeNone, auth.ModeProxy} {
		t.Run(string(mode), func(t *testing.T) {
			e, logs := newLoggedEnv(t, databases["sqlite"](t), mode)
			for next, want := range map[string]string{"/connect": "/connect", "": "/", "//evil.example": "/"} {
				res := e.post("/login", url.Values{"username": {"x"}, "password": {"y"}, "next": {next}}, nil)
				if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != want {
					t.Errorf("POST /login next=%q: %d → %q, want 303 → %q", next, res.StatusCode, loc, want)
				}
			}
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
					t.Errorf("POST /login logged %s", line)
				}
			}
			if !strings.Contains(logs.String(), "level=DEBUG msg=\"sign-in form posted") {
				t.Errorf("POST /login left no debug line:\n%s", logs.String())
			}
		})
	}
}
