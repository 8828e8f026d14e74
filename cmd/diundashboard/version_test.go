package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

// `diundashboard version` names the exact build: the version, commit and date the release build
// stamps with -X (scripts/release.sh; make release-check runs the stamped binaries), the Go
// version and the platform.
func TestVersionCommandPrintsTheStampedBuild(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "v1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-12-07T10:00:00Z"
	out := runVersion(t)
	for _, want := range []string{
		"diundashboard v1.2.3\n",
		"commit:     0123456789abcdef0123456789abcdef01234567\n",
		"built:      2026-12-07T10:00:00Z\n",
		"go:         " + runtime.Version() + "\n",
		"platform:   " + runtime.GOOS + "/" + runtime.GOARCH,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

// Unstamped (go run, go test), the command still answers, naming what it cannot know.
func TestVersionCommandUnstamped(t *testing.T) {
	out := runVersion(t)
	if !strings.HasPrefix(out, "diundashboard dev\n") || !strings.Contains(out, "platform:   "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("unstamped version output:\n%s", out)
	}
}

func runVersion(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	return out.String()
}
