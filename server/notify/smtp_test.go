package notify

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// mailpitBinary finds mailpit: $MAILPIT, the repository's bin/ (scripts/ensure-mailpit.sh
// builds it there; make test-all runs it), or PATH.
func mailpitBinary(t *testing.T) string {
	if p := os.Getenv("MAILPIT"); p != "" {
		return p
	}
	if p, err := filepath.Abs("../../bin/mailpit"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	t.Skip("mailpit is not built: run scripts/ensure-mailpit.sh (make test-all runs it) to test email with a real SMTP server")
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startMailpit runs a real SMTP server; it returns its SMTP address and its API's base URL.
func startMailpit(t *testing.T) (smtpAddr, api string) {
	bin := mailpitBinary(t)
	smtpAddr, httpAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr, "--disable-version-check")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting mailpit: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	api = "http://" + httpAddr
	for {
		resp, err := http.Get(api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return smtpAddr, api
			}
		}
		if t.Context().Err() != nil || cmd.ProcessState != nil {
			t.Fatalf("mailpit did not become ready: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type mailpitMessages struct {
	Total    int `json:"total"`
	Messages []struct {
		ID      string `json:"ID"`
		Subject string `json:"Subject"`
		From    struct{ Address string }
		To      []struct{ Address string }
	} `json:"messages"`
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

// The email path end to end: shoutrrr's smtp service delivers the grouped message to a real
// SMTP server, subject = title, text = the list.
func TestEmailThroughRealSMTPServer(t *testing.T) {
	smtpAddr, api := startMailpit(t)
	st := openSQLite(t, filepath.Join(t.TempDir(), "dd.db"))
	clk := &clock{t: start}
	url := fmt.Sprintf("smtp://%s/?from=dash@example.org&to=ops@example.org,oncall@example.org&auth=None&encryption=None&usestarttls=no", smtpAddr)
	svc := New(st, mustConfig(t, url, "2m", "off"), Options{Now: clk.Now, Logger: quietLogger(), BaseURL: "https://dash.example.org"})
	for i, host := range []string{"web1", "web1", "db1"} {
		if _, err := st.Record(t.Context(), notification(host, fmt.Sprintf("docker.io/library/app%d:1", i), i, clk.Now(), start.Add(-5*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	tick(t, svc)

	var list mailpitMessages
	getJSON(t, api+"/api/v1/messages?limit=10", &list)
	// shoutrrr sends one mail per recipient of to=.
	if list.Total != 2 || len(list.Messages) != 2 {
		t.Fatalf("mailpit holds %d messages; want 1 per recipient (2)", list.Total)
	}
	var to []string
	for _, m := range list.Messages {
		if m.Subject != "3 new updates on 2 hosts" || m.From.Address != "dash@example.org" || len(m.To) != 1 {
			t.Fatalf("message: %+v", m)
		}
		to = append(to, m.To[0].Address)
	}
	if slices.Sort(to); !slices.Equal(to, []string{"oncall@example.org", "ops@example.org"}) {
		t.Errorf("recipients %v", to)
	}
	m := list.Messages[0]
	var full struct{ Text string }
	getJSON(t, api+"/api/v1/message/"+m.ID, &full)
	for _, want := range []string{"db1 (1 update)", "web1 (2 updates)", "docker.io/library/app0:1: new digest, built 5 hours ago", "https://dash.example.org/images/"} {
		if !strings.Contains(full.Text, want) {
			t.Errorf("mail text does not contain %q:\n%s", want, full.Text)
		}
	}
	rows, _ := st.ListOutbox(t.Context(), 5)
	if len(rows) != 1 || rows[0].SentAt == nil {
		t.Fatalf("outbox: %+v", rows)
	}
}
