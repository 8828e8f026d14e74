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
