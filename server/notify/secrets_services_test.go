package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

// serviceSecretCases are shoutrrr URLs whose secrets sit in the host, the path or the query,
// one or more per service. HOST stands for where the test sends them; label is what the
// Notifications page and the log show, with HOST likewise.
var serviceSecretCases = []struct {
	name, url, label string
	secrets          []string
}{
	{"gotify token", "gotify://HOST/AbCdEfGhIjKlMnO?disabletls=yes", "gotify://HOST/Ab***?disabletls=yes", []string{"AbCdEfGhIjKlMnO"}},
	{"gotify token after a path", "gotify://HOST/gotify/AbCdEfGhIjKlMnO?disabletls=yes", "gotify://HOST/gotify/Ab***?disabletls=yes", []string{"AbCdEfGhIjKlMnO"}},
	{"ntfy topic", "ntfy://HOST/my-secret-diun-topic?scheme=http", "ntfy://HOST/my***?scheme=http", []string{"my-secret-diun-topic"}},
	{"ntfy short topic", "ntfy://HOST/diun?scheme=http", "ntfy://HOST/***?scheme=http", []string{"diun"}},
	{"ntfy password and topic", "ntfy://alice:pa55w0rdX@HOST/diun-topic-42?scheme=http&priority=4", "ntfy://alice:***@HOST/di***?priority=4&scheme=http", []string{"pa55w0rdX", "diun-topic-42"}},
	{"mattermost token", "mattermost://HOST/MattermostHookTok3n/town-square?disabletls=yes", "mattermost://HOST/Ma***/town-square?disabletls=yes", []string{"MattermostHookTok3n"}},
	{"rocketchat tokens", "rocketchat://HOST/RocketTokenA1/RocketTokenB2/general", "rocketchat://HOST/Ro***/Ro***/general", []string{"RocketTokenA1", "RocketTokenB2"}},
	{"matrix password", "matrix://bot:syt_MatrixAccess@HOST/?rooms=%21room:example.org&disabletls=yes", "matrix://bot:***@HOST/?disabletls=yes&rooms=%21room%3Aexample.org", []string{"syt_MatrixAccess"}},
	{"opsgenie api key", "opsgenie://HOST/OpsgenieApiKeyX1", "opsgenie://HOST/Op***", []string{"OpsgenieApiKeyX1"}},
	{"pagerduty integration key", "pagerduty://HOST/0123456789abcdef0123456789abcdef", "pagerduty://HOST/01***", []string{"0123456789abcdef0123456789abcdef"}},
	{"googlechat space, key and token", "googlechat://HOST/v1/spaces/AAAASpaceIdX/messages?key=GoogleKeyX1&token=GoogleTokY2", "googlechat://HOST/v1/spaces/AA***/messages?key=***&token=***", []string{"AAAASpaceIdX", "GoogleKeyX1", "GoogleTokY2"}},
	{"signal token and numbers", "signal://HOST/+15551234567/+15557654321?disabletls=yes&token=SignalApiTok3n", "signal://HOST/***/***?disabletls=yes&token=***", []string{"+15551234567", "15557654321", "SignalApiTok3n"}},
	{"bark device key", "bark://:BarkDeviceKey42@HOST/?scheme=http", "bark://:***@HOST/?scheme=http", []string{"BarkDeviceKey42"}},
	{"generic path, header and query", "generic+http://HOST/hook/GenericHookSecret?token=QueryTok3n&@X-Api-Key=HeaderSecr3t&disabletls=yes", "generic+http://HOST/hook/Ge***?%40X-Api-Key=***&disabletls=yes&token=***", []string{"GenericHookSecret", "QueryTok3n", "HeaderSecr3t"}},
	{"generic unknown parameter", "generic://HOST/in?signature_v=Sig0nature&template=json&disabletls=yes", "generic://HOST/in?disabletls=yes&signature_v=***&template=json", []string{"Sig0nature"}},
	{"smtp password", "smtp://mailer:SmtpPa55wd@HOST/?from=a@example.org&to=b@example.org&encryption=None&usestarttls=no&auth=Plain", "smtp://mailer:***@HOST/?auth=Plain&encryption=None&from=a%40example.org&to=b%40example.org&usestarttls=no", []string{"SmtpPa55wd"}},
}

// fixedHostCases are services whose server is fixed (the internet's): their labels and the
// start log are checked, and Scrub on an error quoting the URL, but nothing is sent.
var fixedHostCases = []struct {
	name, url, label string
	secrets          []string
}{
	{"lark token and secret", "lark://open.larksuite.com/LarkHookToken7?secret=LarkSigSecret8", "lark://open.larksuite.com/La***?secret=***", []string{"LarkHookToken7", "LarkSigSecret8"}},
	{"ifttt webhook key", "ifttt://IftttWebhookKey1/?events=diun", "ifttt://If***/?events=diun", []string{"IftttWebhookKey1"}},
	{"pushbullet token", "pushbullet://o.AbCdEfGhIjKlMnOpQrStUvWxYz012345/device", "pushbullet://***/device", []string{"o.AbCdEfGhIjKlMnOpQrStUvWxYz012345"}},
	{"pushover token and user key", "pushover://shoutrrr:AppTokenAbc123@UserKeyXyz789/", "pushover://shoutrrr:***@Us***/", []string{"AppTokenAbc123", "UserKeyXyz789"}},
	{"slack webhook tokens", "slack://T0AAAAAAA/B0BBBBBBB/XXXXXXXXXXXXXXXXXXXXXXXX", "slack://T0***/B0***/XX***", []string{"T0AAAAAAA", "B0BBBBBBB", "XXXXXXXXXXXXXXXXXXXXXXXX"}},
	{"slack bot token", "slack://xoxb:123456789-123456789-AbCdEfGhIjKlMnOpQrStUvWx@C001CH4NN3L", "slack://xoxb:***@C001CH4NN3L", []string{"123456789-123456789-AbCdEfGhIjKlMnOpQrStUvWx"}},
	{"telegram token", "telegram://110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw@telegram?chats=@diun", "telegram://110201543:***@telegram?chats=%40diun", []string{"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"}},
	{"discord token", "discord://DiscordTok3nX@123456789012345678", "discord://***@123456789012345678", []string{"DiscordTok3nX"}},
	{"join api key", "join://shoutrrr:JoinApiKey42@join/?devices=phone", "join://shoutrrr:***@join/?devices=phone", []string{"JoinApiKey42"}},
	{"notifiarr api key", "notifiarr://NotifiarrApiKey42", "notifiarr://No***", []string{"NotifiarrApiKey42"}},
	{"teams webhook parts", "teams://11111111-2222-4333-8444-555555555555@66666666-7777-4888-9999-aaaaaaaaaaaa/0123456789abcdef0123456789abcdef/bbbbbbbb-cccc-4ddd-8eee-ffffffffffff/V2ExtraPart7?host=org.webhook.office.com", "teams://***@66***/01***/bb***/V2***?host=org.webhook.office.com", []string{"11111111-2222-4333-8444-555555555555", "66666666-7777-4888-9999-aaaaaaaaaaaa", "0123456789abcdef0123456789abcdef", "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff", "V2ExtraPart7"}},
	{"zulip bot key", "zulip://bot%40example.org:ZulipBotKey123@zulip.example.org/?stream=general", "zulip://bot%40example.org:***@zulip.example.org/?stream=general", []string{"ZulipBotKey123"}},
	{"wecom key", "wecom://WecomBotKey0123", "wecom://We***", []string{"WecomBotKey0123"}},
}

// secretLeaks names the forms of the secrets found in s: as written, decoded, and encoded
// the ways a URL's path or query encodes them.
func secretLeaks(s string, secrets []string) []string {
	var found []string
	for _, sec := range secrets {
		for _, f := range []string{sec, url.PathEscape(sec), url.QueryEscape(sec), strings.ToLower(url.QueryEscape(sec))} {
			if strings.Contains(s, f) {
				found = append(found, f)
			}
		}
	}
	return found
}

// echo401 refuses every request and quotes in its error page what it got: the path and query
// (with the tokens in them), the password and the bearer token.
func echo401(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		http.Error(w, fmt.Sprintf("denied %s (%q, %q, key %q)", r.URL.RequestURI(), pass, bearer, r.Header.Get("X-Gotify-Key")), http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	return addr
}

// syncBuffer is a log that the worker writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestServiceSecretsNeverShow sends a test message through each service, the way the
// Notifications page's button does, to a server that refuses it and quotes what it got and
// to a closed port; the label, the start log, the failure log and the error the page shows
// must not hold the service's secrets in any form, and must still say what went wrong.
func TestServiceSecretsNeverShow(t *testing.T) {
	servers := map[string]string{"401 server": strings.TrimPrefix(echo401(t).URL, "http://"), "closed port": closedPort(t)}
	for _, c := range serviceSecretCases {
		for where, host := range servers {
			if where == "401 server" && strings.HasPrefix(c.url, "smtp") {
				continue // an HTTP server never greets: the send would wait for its timeout
			}
			t.Run(c.name+" to "+where, func(t *testing.T) {
				raw := strings.ReplaceAll(c.url, "HOST", host)
				cfg, err := ParseConfig(raw, "2m", "off")
				if err != nil && strings.HasPrefix(c.url, "matrix") {
					// matrix signs in when the URL is checked, at start: its error is the
					// one to check.
					if l := secretLeaks(err.Error(), c.secrets); len(l) > 0 || !strings.Contains(err.Error(), "matrix://bot:***@") {
						t.Errorf("the start-up error shows %q or not the label: %v", l, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("shoutrrr refuses the URL: %v", err)
				}
				if want := strings.ReplaceAll(c.label, "HOST", host); cfg.Targets[0].Label != want {
					t.Errorf("label %q; want %q", cfg.Targets[0].Label, want)
				}
				var log syncBuffer
				s := New(openSQLite(t, filepath.Join(t.TempDir(), "n.db")), cfg, Options{Logger: slog.New(slog.NewTextHandler(&log, nil)), SendTimeout: 10 * time.Second})
				s.logStart()
				ctx := context.Background()
				if err := s.SendTest(ctx, "tester"); err != nil {
					t.Fatal(err)
				}
				if err := s.Tick(ctx); err != nil {
					t.Fatal(err)
				}
				st, err := s.Status(ctx, 10)
				if err != nil {
					t.Fatal(err)
				}
				if st.LastFailure == nil {
					t.Fatalf("the send to %s did not fail", where)
				}
				shown := st.LastFailure.TargetLabel + " " + st.LastFailure.LastError
				for what, text := range map[string]string{"label": cfg.Targets[0].Label, "log": log.String(), "page": shown} {
					if l := secretLeaks(text, c.secrets); len(l) > 0 {
						t.Errorf("the %s shows %q: %s", what, l, text)
					}
				}
				if !strings.Contains(log.String(), "notifications are on") || !strings.Contains(log.String(), "delivery failed") {
					t.Errorf("the log does not say notifications are on and the delivery failed:\n%s", log.String())
				}
				if len(st.LastFailure.LastError) < 10 {
					t.Errorf("the page's error %q does not say what went wrong", st.LastFailure.LastError)
				}
				t.Logf("page: %s", shown)
			})
		}
	}
}

// TestFixedHostServiceSecretsNeverShow: services whose server is shoutrrr's choice; the test
// sends nothing to the internet.
func TestFixedHostServiceSecretsNeverShow(t *testing.T) {
	for _, c := range fixedHostCases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(c.url, "2m", "off")
			if err != nil {
				t.Fatalf("shoutrrr refuses the URL: %v", err)
			}
			tg := cfg.Targets[0]
			if tg.Label != c.label {
				t.Errorf("label %q; want %q", tg.Label, c.label)
			}
			var log syncBuffer
			New(nil, cfg, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))}).logStart()
			u, _ := url.Parse(c.url)
			quoted := fmt.Sprintf("Post %q: dial tcp: lookup %s: no such host; token=%s", c.url, u.Hostname(), url.QueryEscape(c.secrets[0]))
			for what, text := range map[string]string{"label": tg.Label, "log": log.String(), "error": tg.Scrub(quoted)} {
				if l := secretLeaks(text, c.secrets); len(l) > 0 {
					t.Errorf("the %s shows %q: %s", what, l, text)
				}
			}
		})
	}
}

// TestOldRowsAreMaskedAgain: an outbox row written before a service's secrets were masked
// keeps them in its label and error; the page masks them as this version does.
func TestOldRowsAreMaskedAgain(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t, filepath.Join(t.TempDir(), "n.db"))
	old := "gotify://127.0.0.1:1/AbCdEfGhIjKlMnO?disabletls=yes"
	gone := "ntfy://127.0.0.1:1/my-secret-diun-topic?scheme=http"
	// What the version before wrote: the URLs as labels, the tokens in the errors.
	now := time.Now()
	targets := []store.OutboxTarget{{Key: NewTarget(old).Key, Label: old}, {Key: NewTarget(gone).Key, Label: gone}}
	if _, err := st.EnqueueOutbox(ctx, testMessage("tester", now), targets, now); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{old, gone} {
		row, err := st.LeaseOutbox(ctx, []string{NewTarget(raw).Key}, time.Now(), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		quoted := `Post "http://127.0.0.1:1/message?token=AbCdEfGhIjKlMnO": refused`
		if strings.HasPrefix(raw, "ntfy") {
			quoted = `Post "http://127.0.0.1:1/my-secret-diun-topic": refused`
		}
		if err := st.MarkOutboxFailed(ctx, row.ID, quoted, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// The ntfy destination was removed from NOTIFY_URLS since.
	s := New(st, mustConfig(t, old, "2m", "off"), Options{Logger: quietLogger()})
	status, err := s.Status(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range status.Recent {
		text := row.TargetLabel + " " + row.LastError
		if l := secretLeaks(text, []string{"AbCdEfGhIjKlMnO", "my-secret-diun-topic"}); len(l) > 0 {
			t.Errorf("an old row shows %q: %s", l, text)
		}
	}
}
