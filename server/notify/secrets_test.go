package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// secretCases are passwords written in the ways URL escapes can take, as a user puts them
// into NOTIFY_URLS; decoded is the password itself.
var secretCases = []struct{ name, written, decoded string }{
	{"space as %20", "SECa%20bXX", "SECa bXX"},
	{"plus", "SECa+bXX", "SECa+bXX"},
	{"at as %40", "SECa%40bXX", "SECa@bXX"},
	{"slash as %2F", "SECa%2FbXX", "SECa/bXX"},
	{"slash as %2f", "SECa%2fbXX", "SECa/bXX"},
	{"percent as %25", "SECa%25bXX", "SECa%bXX"},
	{"unicode", "SECaé€bXX", "SECaé€bXX"},
	{"unicode escaped", "SECa%C3%A9bXX", "SECaébXX"},
	{"a common word", "failed", "failed"},
}

// leaks names the forms of a secret found in s.
func leaks(s, written, decoded string) []string {
	var found []string
	for _, f := range []string{written, decoded, url.QueryEscape(decoded), url.PathEscape(decoded),
		strings.ReplaceAll(url.QueryEscape(decoded), "+", "%20"), strings.ToLower(url.PathEscape(decoded))} {
		if strings.Contains(s, f) {
			found = append(found, f)
		}
	}
	return found
}

func TestStartUpErrorNeverShowsThePassword(t *testing.T) {
	for _, c := range secretCases {
		t.Run(c.name, func(t *testing.T) {
			raw := "ntfy://me:" + c.written + "@ntfy.example.org/diun?priority=99"
			_, err := ParseTargets(raw)
			if err == nil {
				t.Fatal("priority=99 was accepted")
			}
			msg := err.Error()
			if l := leaks(msg, c.written, c.decoded); len(l) > 0 {
				t.Errorf("error shows the password as %q: %s", l, msg)
			}
			if c.decoded == c.written && strings.ContainsFunc(c.written, func(r rune) bool { return r > 127 }) {
				// Not a URL (Go refuses raw non-ASCII in the userinfo): TestStartUpErrorSaysWhatIsWrong.
				return
			}
			if !strings.Contains(msg, "ntfy://me:***@ntfy.example.org/***") || !strings.Contains(msg, `"priority"`) {
				t.Errorf("error %q should name the URL masked and the parameter priority", msg)
			}
		})
	}
}

func TestStartUpErrorSaysWhatIsWrong(t *testing.T) {
	for raw, want := range map[string][]string{
		"ntfy://me:pw@ntfy.example.org/diun?priority=99":       {`"priority"`, "Min Low Default High Max", "services/push/ntfy/"},
		"ntfy://ntfy.example.org/diun?bogus=1":                 {`"bogus"`, "not a valid config key", "valid keys"},
		"smtp://user:pw@host:587/?from=a@b.c":                  {"to= (the recipients", "services/email/smtp/"},
		"smtp://user:pw@host:587/?to=a@b.c":                    {"from= (the sender"},
		"smtp://user:pw@host:587/?from=a@b.c&to=x@y.z&auth=No": {`"auth"`, "None Plain"},
		"nosuch://host/x":                                      {`no service "nosuch"`, "services/overview/"},
		"telegram://123456789:AAbbCCddEEffGGhh@telegram":       {"channels"},
		"ntfy://me:SECaé€bXX@ntfy.example.org/diun":            {"percent-encode", "ntfy://***@ntfy.example.org/***"},
	} {
		_, err := ParseTargets(raw)
		if err == nil {
			t.Errorf("%s was accepted", raw)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", raw, err, w)
			}
		}
		if strings.Contains(err.Error(), "failed to initialize service") {
			t.Errorf("%s: error %q passes shoutrrr's own text through", raw, err)
		}
	}
}

// TestSendErrorNeverShowsThePassword sends through shoutrrr to a server that quotes the
// credentials it got, decoded and encoded, in its error page; the error kept on the outbox
// row (the Notifications page) and logged must not show them.
func TestSendErrorNeverShowsThePassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		http.Error(w, fmt.Sprintf("denied %q (%s, %s, %s) at %s", pass, url.QueryEscape(pass), url.PathEscape(pass),
			url.UserPassword("me", pass).String(), r.URL), http.StatusUnauthorized)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, c := range secretCases {
		t.Run(c.name, func(t *testing.T) {
			if strings.ContainsFunc(c.written, func(r rune) bool { return r > 127 }) {
				t.Skip("not a URL: Go refuses raw non-ASCII in the userinfo")
			}
			raw := "ntfy://me:" + c.written + "@" + host + "/diun?scheme=http"
			targets, err := ParseTargets(raw)
			if err != nil {
				t.Fatal(err)
			}
			tg := targets[0]
			if l := leaks(tg.Label, c.written, c.decoded); len(l) > 0 {
				t.Errorf("label %q shows the password as %q", tg.Label, l)
			}
			s := New(nil, Config{Targets: targets}, Options{Logger: quietLogger()})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = s.shoutrrrSend(ctx, tg, "t", "b")
			if err == nil {
				t.Fatal("the send was not refused")
			}
			shown := shortError(tg.Scrub(err.Error()))
			if l := leaks(shown, c.written, c.decoded); len(l) > 0 {
				t.Errorf("send error shows the password as %q: %s", l, shown)
			}
			if !strings.Contains(shown, "denied") && !strings.Contains(shown, "401") {
				t.Errorf("send error %q lost what went wrong", shown)
			}
		})
	}
}

func TestAuthChoiceIsNotMasked(t *testing.T) {
	tg := NewTarget("smtp://user:hunter22@mail.example.org:587/?auth=None&from=a@example.org&to=b@example.org")
	if !strings.Contains(tg.Label, "auth=None") || strings.Contains(tg.Label, "hunter22") {
		t.Errorf("label %q should show auth=None and mask the password", tg.Label)
	}
	tg = NewTarget("generic+https://hooks.example.org/x?auth=s3cr3tvalue")
	if strings.Contains(tg.Label, "s3cr3tvalue") {
		t.Errorf("label %q shows a secret auth value", tg.Label)
	}
}

// TestSendErrorOfAnUnreachableWebhookHidesItsToken: Go's HTTP client quotes the URL it could
// not reach, query (and its token) included, re-encoded its own way.
func TestSendErrorOfAnUnreachableWebhookHidesItsToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // nothing listens there any more
	for _, c := range secretCases {
		t.Run(c.name, func(t *testing.T) {
			raw := "generic+http://" + addr + "/hook?token=" + c.written + "&disabletls=yes"
			tg := NewTarget(raw)
			s := New(nil, Config{Targets: []Target{tg}}, Options{Logger: quietLogger()})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := s.shoutrrrSend(ctx, tg, "t", "b")
			if err == nil {
				t.Fatal("a send to a closed port succeeded")
			}
			shown := shortError(tg.Scrub(err.Error()))
			if l := leaks(shown, c.written, c.decoded); len(l) > 0 {
				t.Errorf("send error shows the token as %q: %s", l, shown)
			}
			if l := leaks(tg.Label, c.written, c.decoded); len(l) > 0 {
				t.Errorf("label %q shows the token as %q", tg.Label, l)
			}
		})
	}
}

// TestStartLogSaysWhereMasked: one line at start says notifications are on and to where,
// without the secrets.
func TestStartLogSaysWhereMasked(t *testing.T) {
	var buf strings.Builder
	cfg := mustConfig(t, "ntfy://me:SECa%20bXX@ntfy.example.org/diun", "2m", "off")
	s := New(nil, cfg, Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	s.logStart()
	out := buf.String()
	if !strings.Contains(out, "notifications are on") || !strings.Contains(out, "ntfy://me:***@ntfy.example.org/***") {
		t.Errorf("start log %q should say notifications are on and to where", out)
	}
	if l := leaks(out, "SECa%20bXX", "SECa bXX"); len(l) > 0 {
		t.Errorf("start log shows the password as %q: %s", l, out)
	}
}
