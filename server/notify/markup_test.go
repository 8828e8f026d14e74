package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

// Hostile fields, as whoever holds the webhook token can send them.
const (
	hostileHost  = "nas @channel <!channel> [login](https://evil.example/h)"
	hostileImage = "docker.io/library/nginx:1 [update now](https://evil.example/phish) @everyone @here @all <!here> " +
		`<img src="https://evil.example/pixel.png"> <a href="https://evil.example/a">sign in</a> *urgent* www.evil.example`
)

// hostileNotification records one update with hostile fields.
func hostileNotification(at time.Time) store.Notification {
	n := notification(hostileHost, hostileImage, 7, at, at.Add(-72*time.Hour))
	return n
}

// capture is an HTTP endpoint that keeps every request body it gets.
type capture struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newCapture(t *testing.T) *capture {
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, string(b))
		c.mu.Unlock()
		if strings.Contains(r.URL.Path, "/api/webhooks/") { // Discord answers 204
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.bodies...)
}

func withRedirect(t *testing.T, to string) {
	u, err := url.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	old := http.DefaultTransport
	base := old.(*http.Transport).Clone()
	http.DefaultTransport = roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if h := req.URL.Hostname(); h == "hooks.slack.com" || h == "discord.com" {
			req = req.Clone(req.Context())
			req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
		}
		return base.RoundTrip(req)
	})
	t.Cleanup(func() { http.DefaultTransport = old })
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// sendHostile records the hostile update and lets the Service send it to urls.
func sendHostile(t *testing.T, urls string) {
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	svc := New(st, mustConfig(t, urls, "2m", "off"), Options{Now: clk.Now, Logger: quietLogger(), BaseURL: "https://dash.example.org"})
	if _, err := st.Record(t.Context(), hostileNotification(clk.Now())); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)
	rows, err := st.ListOutbox(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.SentAt == nil {
			t.Fatalf("not sent to %s: %s", r.TargetLabel, r.LastError)
		}
	}
}

// textOf is the message text of a chat service's JSON payload: Mattermost's and Discord's
// "text"/"content", Slack's attachments' text, all joined.
func textOf(t *testing.T, body string) string {
	var p struct {
		Text        string `json:"text"`
		Content     string `json:"content"`
		Attachments []struct {
			Text, Title string
		} `json:"attachments"`
		Embeds []struct {
			Description, Title string
		} `json:"embeds"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	s := p.Text + "\n" + p.Content
	for _, a := range p.Attachments {
		s += "\n" + a.Title + "\n" + a.Text
	}
	for _, e := range p.Embeds {
		s += "\n" + e.Title + "\n" + e.Description
	}
	return s
}

// noMarkup fails on what would render as a link to another host, a mention or live markup.
func noMarkup(t *testing.T, service, text string, forbidden []string) {
	t.Helper()
	// A backslash-escaped character is text in Markdown.
	rendered := backslashed.ReplaceAllString(text, "")
	for _, f := range forbidden {
		if strings.Contains(rendered, f) {
			t.Errorf("%s received %q, which renders as markup:\n%s", service, f, text)
		}
	}
	if !strings.Contains(text, "nginx") {
		t.Errorf("%s did not receive the image's name:\n%s", service, text)
	}
	if !strings.Contains(text, "https://dash.example.org/images/1") {
		t.Errorf("%s lost the dashboard's own link:\n%s", service, text)
	}
}

var backslashed = regexp.MustCompile(`\\.`)

// The mentions and links every chat service renders from plain text.
var chatMarkup = []string{"](https://evil", "https://evil", "@channel", "@everyone", "@here", "@all", "<!channel>", "<!here>", "www.evil", "<img", "<a href"}

func TestChatServicesReceiveDiunsFieldsAsText(t *testing.T) {
	c := newCapture(t)
	host := strings.TrimPrefix(c.srv.URL, "http://")
	sendHostile(t, "mattermost://"+host+"/MattermostHookTok3n?disabletls=yes")
	got := c.got()
	if len(got) != 1 {
		t.Fatalf("mattermost: %d requests", len(got))
	}
	text := textOf(t, got[0])
	noMarkup(t, "mattermost", text, append(chatMarkup, "[update now]", "*urgent*"))
}

func TestSlackAndDiscordReceiveDiunsFieldsAsText(t *testing.T) {
	c := newCapture(t)
	withRedirect(t, c.srv.URL)
	sendHostile(t, "slack://hook:AAAAAAAAA-BBBBBBBBB-CCCCCCCCCCCCCCCCCCCCCCCC@webhook discord://DiscordTok3nX@123456789012345678?splitlines=false")
	got := c.got()
	if len(got) != 2 {
		t.Fatalf("%d requests; want one to Slack and one to Discord: %q", len(got), got)
	}
	for _, body := range got {
		text := textOf(t, body)
		service := "slack"
		if strings.Contains(body, `"content"`) || strings.Contains(body, `"embeds"`) {
			service = "discord"
			noMarkup(t, service, text, append(chatMarkup, "[update now]", "*urgent*"))
			continue
		}
		// Slack's mrkdwn: <…> is its link and mention syntax; & < > must arrive as entities.
		noMarkup(t, service, text, append(chatMarkup, "<https://", "<@"))
	}
}

// E-mail with usehtml=yes through a real SMTP server: the HTML part holds no live tag and no
// link to another host.
func TestHTMLEmailReceivesDiunsFieldsAsText(t *testing.T) {
	smtpAddr, api := startMailpit(t)
	sendHostile(t, "smtp://"+smtpAddr+"/?from=dash@example.org&to=me@example.org&auth=None&encryption=None&usestarttls=no&usehtml=yes")
	var list struct {
		Messages []struct{ ID string } `json:"messages"`
	}
	getJSON(t, api+"/api/v1/messages?limit=5", &list)
	if len(list.Messages) != 1 {
		t.Fatalf("%d e-mails; want 1", len(list.Messages))
	}
	var msg struct{ HTML, Text string }
	getJSON(t, api+"/api/v1/message/"+list.Messages[0].ID, &msg)
	for _, f := range []string{"<img", "<a ", "<a href", "https://evil"} {
		if strings.Contains(msg.HTML, f) {
			t.Errorf("the HTML part holds %q:\n%s", f, msg.HTML)
		}
	}
	if !strings.Contains(msg.HTML, "&lt;img") || !strings.Contains(msg.HTML, "https://dash.example.org/images/1") {
		t.Errorf("the HTML part lost the escaped text or the dashboard's link:\n%s", msg.HTML)
	}
}
