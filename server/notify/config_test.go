package notify

import (
	"strings"
	"testing"
	"time"
)

func TestParseTargetsSplitsAndMasks(t *testing.T) {
	urls := "ntfy://alice:s3cretpass@ntfy.example.org/updates?priority=4&tags=a,b , " +
		"gotify://gotify.example.org/AbCdEf1234567890?disabletls=yes," +
		"discord://T0kenT0kenT0ken@123456789012345678\n" +
		"smtp://mailer:mailpass@smtp.example.org:587/?from=dash@example.org&to=a@example.org,b@example.org " +
		"generic+https://hooks.example.org/in/9f8e7d6c5b4a39281706?@Authorization=Bearer+abcdefghijk&x=1"
	targets, err := ParseTargets(urls)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ntfy://alice:***@ntfy.example.org/***?priority=4&tags=a%2Cb",
		"gotify://gotify.example.org/Ab***?disabletls=yes",
		"discord://***@123456789012345678",
		"smtp://mailer:***@smtp.example.org:587/?from=dash%40example.org&to=a%40example.org%2Cb%40example.org",
		"generic+https://hooks.example.org/in/9f***?%40Authorization=***&x=***",
	}
	if len(targets) != len(want) {
		t.Fatalf("%d targets; want %d: %+v", len(targets), len(want), targets)
	}
	for i, tg := range targets {
		if tg.Label != want[i] {
			t.Errorf("target %d label %q; want %q", i, tg.Label, want[i])
		}
		for _, secret := range []string{"s3cretpass", "AbCdEf1234567890", "T0kenT0kenT0ken", "mailpass", "9f8e7d6c5b4a39281706", "abcdefghijk"} {
			if strings.Contains(tg.Label, secret) {
				t.Errorf("label %q shows %q", tg.Label, secret)
			}
			if got := tg.Scrub("Post \"" + tg.URL + "\": refused"); strings.Contains(got, secret) {
				t.Errorf("Scrub left %q in %q", secret, got)
			}
		}
	}
	// The same URL twice is one target.
	if again, _ := ParseTargets(urls + " " + urls); len(again) != len(want) {
		t.Errorf("duplicates kept: %d targets", len(again))
	}
}

func TestParseTargetsNamesTheBadURLMasked(t *testing.T) {
	_, err := ParseTargets("ntfy://ntfy.example.org/ok nosuch://user:hunter2hunter2@host/x")
	if err == nil {
		t.Fatal("an unknown service was accepted")
	}
	msg := err.Error()
	if !strings.Contains(msg, "nosuch://user:***@host/x") || strings.Contains(msg, "hunter2hunter2") || !strings.Contains(msg, "NOTIFY_URLS") {
		t.Errorf("error %q should name the URL with its password masked", msg)
	}
}

func TestParseNewAndSchedule(t *testing.T) {
	for in, want := range map[string]time.Duration{"2m": 2 * time.Minute, "off": 0, "OFF": 0, "90s": 90 * time.Second} {
		if got, err := ParseNew(in); err != nil || got != want {
			t.Errorf("ParseNew(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"2", "0s", "-1m", "25h", "soon"} {
		if _, err := ParseNew(bad); err == nil || !strings.Contains(err.Error(), "NOTIFY_NEW") {
			t.Errorf("ParseNew(%q) = %v; want an error naming NOTIFY_NEW", bad, err)
		}
	}
	for _, bad := range []string{"daily", "daily@8", "daily@25:00", "daily@08:60", "weekly@08:00", "weekly@someday@08:00", "hourly@00"} {
		if _, err := ParseSchedule(bad); err == nil || !strings.Contains(err.Error(), "NOTIFY_DIGEST") {
			t.Errorf("ParseSchedule(%q) = %v; want an error naming NOTIFY_DIGEST", bad, err)
		}
	}
	weekly, err := ParseSchedule("weekly@mon@08:30")
	if err != nil {
		t.Fatal(err)
	}
	sat := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) // a Saturday
	if got := weekly.Next(sat, time.UTC); !got.Equal(time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("weekly Next = %v; want Monday 08:30", got)
	}
	if got := weekly.Last(sat, time.UTC); !got.Equal(time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("weekly Last = %v; want the Monday before", got)
	}
	if off, _ := ParseSchedule("off"); off.On() {
		t.Error("off is on")
	}
}

func TestBackoffDoublesToAnHour(t *testing.T) {
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	for i, w := range want {
		if got := backoff(int64(i + 1)); got != w {
			t.Errorf("backoff(%d) = %v; want %v", i+1, got, w)
		}
	}
	if got := backoff(30); got != time.Hour {
		t.Errorf("backoff(30) = %v; want 1h", got)
	}
}
