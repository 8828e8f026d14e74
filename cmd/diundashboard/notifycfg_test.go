package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestNotifySettings(t *testing.T) {
	env := map[string]string{
		"NOTIFY_URLS":   "ntfy://alice:hunter2hunter2@ntfy.example.org/diun,generic+https://hooks.example.org/in?x=1",
		"NOTIFY_NEW":    "90s",
		"NOTIFY_DIGEST": "weekly@mon@08:30",
		"TZ":            "Europe/Paris",
	}
	cfg, err := parseConfig("diundashboard serve", nil, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.notify
	if len(n.Targets) != 2 || n.NewAfter != 90*time.Second || !n.Digest.On() || n.Digest.Weekday != time.Monday || n.Digest.Hour != 8 || n.Digest.Minute != 30 {
		t.Fatalf("notify config: %+v", n)
	}
	// Defaults: no destinations, NOTIFY_NEW 2m, no digest.
	cfg, err = parseConfig("diundashboard serve", nil, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil || cfg.notify.Enabled() || cfg.notify.NewAfter != 2*time.Minute || cfg.notify.Digest.On() {
		t.Fatalf("defaults: %+v, %v", cfg.notify, err)
	}
}

func TestNotifySettingsRefusedClearly(t *testing.T) {
	for _, c := range []struct {
		env       map[string]string
		want, not string
	}{
		{map[string]string{"NOTIFY_URLS": "nosuch://bob:hunter2hunter2@example.org/x"}, "nosuch://bob:***@example.org/x", "hunter2hunter2"},
		{map[string]string{"NOTIFY_NEW": "soon"}, "NOTIFY_NEW", ""},
		{map[string]string{"NOTIFY_DIGEST": "daily@8am"}, "NOTIFY_DIGEST", ""},
		{map[string]string{"NOTIFY_DIGEST": "daily@08:00", "TZ": "Mars/Olympus"}, `TZ "Mars/Olympus"`, ""},
	} {
		_, err := parseConfig("diundashboard serve", nil, func(k string) string { return c.env[k] }, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.not != "" && strings.Contains(err.Error(), c.not)) {
			t.Errorf("%v: %v; want an error naming %q", c.env, err, c.want)
		}
	}
	// --help shows the URLs with their secrets masked.
	var help bytes.Buffer
	_, _ = parseConfig("diundashboard serve", []string{"--help"}, func(k string) string {
		if k == "NOTIFY_URLS" {
			return "ntfy://alice:hunter2hunter2@ntfy.example.org/diun"
		}
		return ""
	}, &help)
	if !strings.Contains(help.String(), "ntfy://alice:***@ntfy.example.org/***") || strings.Contains(help.String(), "hunter2hunter2") {
		t.Errorf("--help does not mask NOTIFY_URLS:\n%s", help.String())
	}
}
