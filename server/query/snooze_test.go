package query

import (
	"strings"
	"testing"
	"time"
)

// A snooze longer than a year is refused for that reason, however it is written (found by a
// new user: "400d" was called "not a duration").
func TestSnoozeLongerThanAYear(t *testing.T) {
	now := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	for _, d := range []string{"367d", "400d", "3650d", "366d1h", "8785h"} {
		if _, err := ParseSnooze("", d, now); err == nil || !strings.Contains(err.Error(), "at most a year") {
			t.Errorf("for %q: %v; want the one-year limit named", d, err)
		}
	}
	for _, d := range []string{"366d", "1d", "12h", "7d12h"} {
		if _, err := ParseSnooze("", d, now); err != nil {
			t.Errorf("for %q: %v", d, err)
		}
	}
	if _, err := ParseSnooze("", "x7d", now); err == nil || !strings.Contains(err.Error(), "not a duration") {
		t.Errorf(`for "x7d": %v; want "not a duration"`, err)
	}
}
