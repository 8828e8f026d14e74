package web

import (
	"testing"
	"time"
)

func TestParseRef(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ ref, name string }{
		{"docker.io/library/nginx:1.29", "nginx:1.29"},
		{"docker.io/library/nginx", "nginx:latest"},
		{"nginx@" + d, "nginx@sha256:0123456789ab"},
		{"ghcr.io/acme/app:2.0@" + d, "ghcr.io/acme/app:2.0@sha256:0123456789ab"},
		{"registry.lan:5000/app", "registry.lan:5000/app:latest"},
		{"registry.lan:5000/app:1@" + d, "registry.lan:5000/app:1@sha256:0123456789ab"},
	} {
		if got := parseRef(tc.ref).Name(); got != tc.name {
			t.Errorf("parseRef(%q).Name() = %q, want %q", tc.ref, got, tc.name)
		}
	}
}

func TestRelDays(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{7*24*time.Hour - time.Second, "for 7 more days"},
		{36 * time.Hour, "for 2 more days"},
		{30 * time.Hour, "for 1 more day"},
		{90 * time.Minute, "for 2 more hours"},
		{10 * time.Minute, "for 1 more hour"},
	} {
		if got := relDays(now, now.Add(tc.in)); got != tc.want {
			t.Errorf("relDays(+%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// relTime reads past times as "… ago" and future ones as "in …", seconds included: a retry
// due in 8 seconds is not "just now".
func TestRelTime(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "just now"},
		{-30 * time.Second, "just now"},
		{8 * time.Second, "in 8 seconds"},
		{7500 * time.Millisecond, "in 8 seconds"},
		{time.Millisecond, "in 1 second"},
		{59 * time.Second, "in 59 seconds"},
		{90 * time.Second, "in 1 minute"},
		{-5 * time.Minute, "5 minutes ago"},
		{3 * time.Hour, "in 3 hours"},
		{-3 * 24 * time.Hour, "3 days ago"},
	} {
		if got := relTime(now, now.Add(tc.in)); got != tc.want {
			t.Errorf("relTime(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBuildDate(t *testing.T) {
	for _, s := range []string{"1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1980-01-01T00:00:00Z"} {
		ts, _ := time.Parse(time.RFC3339, s)
		if buildDate(&ts) != nil {
			t.Errorf("%s is taken for a build date", s)
		}
	}
	real := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if buildDate(&real) == nil || buildDate(nil) != nil {
		t.Error("buildDate keeps real dates and nil as they are")
	}
}
