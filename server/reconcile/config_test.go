package reconcile

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTargets(t *testing.T) {
	got, err := ParseTargets(" diun:42286, nas=diun-nas:42286\t[::1]:42286 ")
	want := []Target{{Addr: "diun:42286"}, {Host: "nas", Addr: "diun-nas:42286"}, {Addr: "[::1]:42286"}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ParseTargets = %v, %v; want %v", got, err, want)
	}
	if got, err := ParseTargets(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v, %v", got, err)
	}
	for in, says := range map[string]string{
		"diun":                  "not host:port",
		"diun:port":             "not a number",
		"diun:0":                "not a number from 1 to 65535",
		"=diun:42286":           "empty hostname",
		"http://diun:42286":     "not host:port",
		"diun:42286 diun:42286": "twice",
		"user@diun:42286":       "no scheme, path or user",
		":42286":                "not host:port",
	} {
		if _, err := ParseTargets(in); err == nil || !strings.Contains(err.Error(), says) || !strings.Contains(err.Error(), "DIUN_GRPC") {
			t.Errorf("ParseTargets(%q) = %v, want an error naming DIUN_GRPC that says %q", in, err, says)
		}
	}
}

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{"": DefaultInterval, "15m": 15 * time.Minute, "1h": time.Hour, "off": 0,
		// Days, as EVENT_RETENTION takes them (an outside tester's 1d was refused).
		"1d": 24 * time.Hour, " 2d ": 48 * time.Hour} {
		if got, err := ParseInterval(in); err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"5s", "soon", "-1h", "0d", "-1d", "1.5d", "d", "15", "1000d"} {
		if _, err := ParseInterval(in); err == nil || !strings.Contains(err.Error(), "DIUN_RECONCILE") {
			t.Errorf("ParseInterval(%q) = %v, want an error naming DIUN_RECONCILE", in, err)
		}
	}
}
