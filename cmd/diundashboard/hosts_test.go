package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookTokenMinimumLength: a WEBHOOK_TOKEN under 24 characters is refused at start with
// an error that says what to do and never shows the token; 24 and more, or none (generated),
// are accepted.
func TestWebhookTokenMinimumLength(t *testing.T) {
	for _, c := range []struct {
		token string
		ok    bool
	}{
		{"x", false},
		{"hunter2-hunter2", false},
		{strings.Repeat("k", 23), false},
		{"ééééééééééééééééééééééé", false}, // 23 characters, 46 bytes: characters count
		{strings.Repeat("k", 24), true},
		{"", true},
	} {
		// METRICS_TOKEN opens /metrics, which names every host: guessed as easily (found by
		// an outside review: a one-character token fell in 17 tries from two addresses).
		for setting, flag := range map[string]string{"WEBHOOK_TOKEN": "webhook-token", "METRICS_TOKEN": "metrics-token"} {
			for _, how := range []string{"env", "flag"} {
				env := map[string]string{}
				var args []string
				if how == "env" {
					env[setting] = c.token
				} else if c.token != "" {
					args = []string{"--" + flag, c.token}
				}
				_, err := parseConfig("diundashboard serve", args, func(k string) string { return env[k] }, io.Discard)
				if c.ok {
					if err != nil {
						t.Errorf("%s %s of %d characters: %v", how, setting, len([]rune(c.token)), err)
					}
					continue
				}
				if err == nil {
					t.Errorf("%s %s %q accepted; want a refusal", how, setting, c.token)
					continue
				}
				msg := err.Error()
				if !strings.Contains(msg, setting) || !strings.Contains(msg, "at least 24") {
					t.Errorf("the refusal does not say what is wrong and what to do: %s", msg)
				}
				if strings.Contains(msg, c.token) {
					t.Errorf("the refusal shows the token: %s", msg)
				}
			}
		}

	}
	// Through the binary: exit 2 before touching the database, and stderr without the token.
	const weak = "short-but-secret"
	code, stderr := serveOnce(t, map[string]string{"WEBHOOK_TOKEN": weak, "DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "dd.db")})
	if code != 2 || !strings.Contains(stderr, "WEBHOOK_TOKEN has 16 characters; use at least 24") {
		t.Errorf("serve with a 16-character WEBHOOK_TOKEN: exit %d; want 2 and the reason:\n%s", code, stderr)
	}
	if strings.Contains(stderr, weak) {
		t.Errorf("stderr shows the token:\n%s", stderr)
	}
}

// TestAllowedHostsSetting: ALLOWED_HOSTS (or --allowed-hosts) takes host names and *.domain
// patterns; anything else is refused at start with the entry and the expected form, and a
// BASE_URL that names no host is refused too, since its host is one the dashboard answers to.
func TestAllowedHostsSetting(t *testing.T) {
	cfg, err := parseConfig("diundashboard serve", []string{"--allowed-hosts", "Dash.Example.com, *.lan,diun_dashboard,*.home.arpa,*.example.co.uk,"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.allowedHosts.String(); got != "dash.example.com,diun_dashboard,*.lan,*.home.arpa,*.example.co.uk" {
		t.Errorf("parsed ALLOWED_HOSTS %q", got)
	}
	for _, c := range []struct{ env, value, want string }{
		{"ALLOWED_HOSTS", "dash.example.com,https://other.example.com", `"https://other.example.com" is not a host name`},
		{"ALLOWED_HOSTS", "dash.example.com:8443", "without scheme or port"},
		{"ALLOWED_HOSTS", "[::1]", "IP addresses and localhost are always allowed"},
		{"ALLOWED_HOSTS", "a.*.example.com", "*.example.com"},
		{"ALLOWED_HOSTS", "*", "every host name"},
		// Wildcards over a public suffix allow anybody's names (found by an outside review).
		{"ALLOWED_HOSTS", "*.com", "public suffix"},
		{"ALLOWED_HOSTS", "nas.lan,*.co.uk", "public suffix"},
		{"ALLOWED_HOSTS", "*.github.io", "public suffix"},
		{"ALLOWED_HOSTS", "dash example.com", "is not a host name"},
		{"BASE_URL", "diun.example.com", "BASE_URL \"diun.example.com\" is not an absolute http(s) URL"},
		{"BASE_URL", "ftp://diun.example.com", "such as https://diun.example.com"},
		// The pages link from the root: a sub-path cannot work (found by a new user).
		{"BASE_URL", "https://example.com/diun", "not under a sub-path"},
	} {
		_, err := parseConfig("diundashboard serve", nil, func(k string) string {
			if k == c.env {
				return c.value
			}
			return ""
		}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.env) {
			t.Errorf("%s=%q: %v; want an error naming %s and saying %q", c.env, c.value, err, c.env, c.want)
		}
	}
}

// TestHostCheckAtStart: the start-up log lists the host names the dashboard answers to, and
// with sign-in off and no BASE_URL it warns that browsers reaching it by name get 421.
func TestHostCheckAtStart(t *testing.T) {
	for _, c := range []struct {
		name       string
		env        map[string]string
		wantHosts  []string
		wantWarned bool
	}{
		{"none without BASE_URL", map[string]string{"AUTH_MODE": "none"}, []string{"localhost", "IP addresses"}, true},
		{"none with ALLOWED_HOSTS only", map[string]string{"AUTH_MODE": "none", "ALLOWED_HOSTS": "nas.lan"}, []string{"nas.lan"}, true},
		{"none with BASE_URL", map[string]string{"AUTH_MODE": "none", "BASE_URL": "http://nas.lan:8080", "ALLOWED_HOSTS": "*.example.com"},
			[]string{"nas.lan (BASE_URL)", "*.example.com"}, false},
		{"proxy without BASE_URL", map[string]string{"AUTH_MODE": "proxy", "TRUSTED_PROXIES": "10.0.0.1"}, []string{"localhost"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env["DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
			code, stderr := serveOnce(t, c.env)
			if code != 0 {
				t.Fatalf("serve: exit %d\n%s", code, stderr)
			}
			var hostsLine string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, "allowed_hosts=") {
					hostsLine = l
				}
			}
			if hostsLine == "" {
				t.Fatalf("no allowed_hosts at start:\n%s", stderr)
			}
			for _, h := range c.wantHosts {
				if !strings.Contains(hostsLine, h) {
					t.Errorf("the allowed hosts do not list %q: %s", h, hostsLine)
				}
			}
			warned := strings.Contains(stderr, "level=WARN") && strings.Contains(stderr, "BASE_URL is not set")
			if warned != c.wantWarned {
				t.Errorf("warned about BASE_URL: %v, want %v:\n%s", warned, c.wantWarned, stderr)
			}
		})
	}
}
