package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A first start that listens on a loopback address prints a webhook endpoint no containerised
// Diun can reach; the log says so and what to use instead, as the Connect page does.
func TestAnnounceTokenWarnsAboutALoopbackEndpoint(t *testing.T) {
	for _, tc := range []struct {
		listen, baseURL string
		warn            bool
	}{
		{"127.0.0.1:8080", "", true},
		{"localhost:9000", "", true},
		{"[::1]:8080", "", true},
		{"127.0.0.1:8080", "http://nas.lan:8080", false},
		{":8080", "", false},
		{"192.168.1.10:8080", "", false},
	} {
		for _, jsonLogs := range []bool{false, true} {
			var logs, stderr bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			announceToken(log, &stderr, jsonLogs, tc.listen, tc.baseURL, "tok-0123456789abcdef")
			got := logs.String()
			warned := strings.Contains(got, "level=WARN") && strings.Contains(got, "loopback address")
			if warned != tc.warn {
				t.Errorf("LISTEN_ADDR=%s BASE_URL=%q json=%v: warned=%v, want %v; log:\n%s", tc.listen, tc.baseURL, jsonLogs, warned, tc.warn, got)
				continue
			}
			if tc.warn {
				_, port, _ := strings.Cut(tc.listen[strings.LastIndex(tc.listen, "]")+1:], ":")
				for _, advice := range []string{"BASE_URL", "LAN address", "http://dashboard:" + port + "/webhook"} {
					if !strings.Contains(got, advice) {
						t.Errorf("LISTEN_ADDR=%s: the warning does not mention %q:\n%s", tc.listen, advice, got)
					}
				}
				if strings.Contains(got, "tok-0123456789abcdef") && !jsonLogs {
					t.Errorf("the warning carries the token:\n%s", got)
				}
			}
		}
	}
}

// Issue 18 F5: the settings of the first start paste into diun.yml as they are (notif: a
// top-level key, not indented), and a loopback endpoint is offered only for the one Diun that
// can reach it.
func TestAnnounceTokenPastesIntoDiunYML(t *testing.T) {
	for _, tc := range []struct {
		listen, endpoint, intro string
	}{
		{":8080", "http://dashboard:8080/webhook", "\nPaste this into diun.yml"},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/webhook", "\nFor a Diun on this machine, outside a container, paste this into diun.yml"},
	} {
		var logs, stderr bytes.Buffer
		announceToken(slog.New(slog.NewTextHandler(&logs, nil)), &stderr, false, tc.listen, "", "tok-0123456789abcdef")
		out := stderr.String()
		block := "\nnotif:\n  webhook:\n    endpoint: " + tc.endpoint + "\n    method: POST\n"
		if !strings.Contains(out, block) {
			t.Errorf("LISTEN_ADDR=%s: the diun.yml settings do not start at the first column with endpoint %s:\n%s", tc.listen, tc.endpoint, out)
		}
		if !strings.Contains(out, "\nDIUN_NOTIF_WEBHOOK_ENDPOINT="+tc.endpoint+"\n") {
			t.Errorf("LISTEN_ADDR=%s: the environment variables are indented or wrong:\n%s", tc.listen, out)
		}
		if !strings.HasPrefix(out, tc.intro) {
			t.Errorf("LISTEN_ADDR=%s: the settings do not say which Diun they are for (%q):\n%s", tc.listen, tc.intro, out)
		}
	}
}
