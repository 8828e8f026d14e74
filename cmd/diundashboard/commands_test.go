package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"diundashboard/server/store"
	"diundashboard/server/store/storetest"
	"diundashboard/server/webhook"
)

// runCmd runs the binary's entry point with env as the whole environment.
func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestEventRetentionSetting(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 365 * 24 * time.Hour, "0": 0, "30": 30 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "720h": 720 * time.Hour} {
		env := map[string]string{}
		if in != "" {
			env["EVENT_RETENTION"] = in
		}
		cfg, err := parseConfig("diundashboard serve", nil, func(k string) string { return env[k] }, &bytes.Buffer{})
		if err != nil || cfg.Retention != want {
			t.Errorf("EVENT_RETENTION=%q: %v, %v; want %v", in, cfg.Retention, err, want)
		}
	}
	if _, err := parseConfig("diundashboard serve", []string{"--event-retention", "-1d"}, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
		t.Error("a negative retention was accepted")
	}
	// Command flags belong to their command only.
	if _, err := parseConfig("diundashboard serve", []string{"--dry-run"}, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
		t.Error("serve accepted --dry-run")
	}
	var help bytes.Buffer
	_, _ = parseConfig("diundashboard serve", []string{"--help"}, func(k string) string {
		if k == "METRICS_TOKEN" {
			return "very-secret"
		}
		return ""
	}, &help)
	if strings.Contains(help.String(), "very-secret") || !strings.Contains(help.String(), "METRICS_TOKEN") {
		t.Errorf("--help shows the metrics token, or not the setting:\n%s", help.String())
	}
}

func seedStore(t *testing.T, url string, old, recent int) {
	t.Helper()
	ctx := context.Background()
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range old + recent {
		at := time.Now().Add(-time.Hour)
		if i < old {
			at = time.Now().Add(-400 * 24 * time.Hour)
		}
		if _, err := st.Record(ctx, store.Notification{DiunVersion: "v4.33.0", Hostname: "vm", Status: "update", Provider: "docker",
			Image: "docker.io/library/nginx:1", Digest: fmt.Sprintf("sha256:%064d", i), Platform: "linux/amd64", ReceivedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPruneCommand(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	seedStore(t, url, 7, 3)
	env := map[string]string{"DATABASE_URL": url}
	code, out, errOut := runCmd(t, env, "prune", "--dry-run")
	if code != 0 || !strings.Contains(out, "7 events received before") || !strings.Contains(out, "would be deleted") {
		t.Fatalf("prune --dry-run: %d %q %s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, env, "prune")
	if code != 0 || !strings.Contains(out, "deleted 7 events") {
		t.Fatalf("prune: %d %q %s", code, out, errOut)
	}
	code, out, _ = runCmd(t, env, "prune", "--dry-run")
	if code != 0 || !strings.Contains(out, "0 events") {
		t.Fatalf("prune --dry-run after prune: %d %q", code, out)
	}
	env["EVENT_RETENTION"] = "0"
	if code, out, _ = runCmd(t, env, "prune"); code != 0 || !strings.Contains(out, "kept forever") {
		t.Fatalf("prune with EVENT_RETENTION=0: %d %q", code, out)
	}
}

func TestCopyExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	src, dst, restored := "sqlite:"+filepath.Join(dir, "a.db"), "sqlite:"+filepath.Join(dir, "b.db"), "sqlite:"+filepath.Join(dir, "c.db")
	seedStore(t, src, 0, 25)
	env := map[string]string{"DATABASE_URL": src}

	if code, _, errOut := runCmd(t, env, "copy"); code == 0 || !strings.Contains(errOut, "--to") {
		t.Errorf("copy without --to: %d %s", code, errOut)
	}
	code, out, errOut := runCmd(t, env, "copy", "--to", dst)
	if code != 0 || !strings.Contains(out, "copied and verified") || !strings.Contains(out, "events                25         25") {
		t.Fatalf("copy: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut = runCmd(t, env, "copy", "--to", dst); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("copy into a non-empty target: %d %s", code, errOut)
	}
	if code, _, errOut = runCmd(t, env, "copy", "--from", src, "--to", dst, "--force"); code != 0 {
		t.Fatalf("copy --force: %d %s", code, errOut)
	}
	// A hard link of the source is the source: refused before either is opened (opened under
	// two names, SQLite keeps two WALs and the file is corrupted; found by an outside tester).
	link := filepath.Join(dir, "link.db")
	if err := os.Link(filepath.Join(dir, "a.db"), link); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = runCmd(t, env, "copy", "--from", src, "--to", "sqlite:"+link, "--force"); code != 1 || !strings.Contains(errOut, "same database") || !strings.Contains(errOut, "nothing was copied") {
		t.Fatalf("copy onto a hard link of the source: %d %s", code, errOut)
	}
	if _, err := os.Stat(link + "-wal"); err == nil {
		t.Errorf("the refused copy opened the hard link (its WAL exists)")
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}

	code, dump, errOut := runCmd(t, env, "export")
	lines := strings.SplitAfter(dump, "\n")
	// The header, one image, its 25 events, the 25 new digests still to announce, the trailer, "".
	if code != 0 || len(lines) != 1+1+25+25+1+1 {
		t.Fatalf("export: %d, %d lines\n%s", code, len(lines)-1, errOut)
	}
	if !strings.HasPrefix(lines[1], `{"table":"images","id":1,`) || !strings.HasPrefix(lines[len(lines)-2], `{"trailer":"diundashboard","tables":[`) {
		t.Errorf("export starts with %.60q and ends with %.60q", lines[1], lines[len(lines)-2])
	}
	// A truncated export is refused, says why and changes nothing; so is one from before the
	// trailer, unless --no-verify.
	for _, c := range []struct {
		name, input string
		args        []string
		say         string
	}{
		{"the first three lines", strings.Join(lines[:3], ""), nil, "truncated"},
		{"no trailer", strings.Join(lines[:len(lines)-2], ""), []string{"--no-verify"}, "truncated"},
		{"an old export", strings.Join(lines[1:len(lines)-2], ""), nil, "--no-verify"},
	} {
		stdin = strings.NewReader(c.input)
		code, out, errOut := runCmd(t, map[string]string{"DATABASE_URL": restored}, append([]string{"import"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, c.say) || !strings.Contains(errOut, "nothing was imported") || strings.Contains(out, "imported and verified") {
			t.Errorf("import of %s: %d\n%s\n%s", c.name, code, out, errOut)
		}
	}
	stdin = strings.NewReader(strings.Join(lines[1:len(lines)-2], ""))
	code, out, errOut = runCmd(t, map[string]string{"DATABASE_URL": restored}, "import", "--no-verify")
	if code != 0 || !strings.Contains(out, "could not be checked") || strings.Contains(out, "imported and verified") {
		t.Fatalf("import --no-verify of an old export: %d\n%s\n%s", code, out, errOut)
	}
	stdin = strings.NewReader(dump)
	code, out, errOut = runCmd(t, map[string]string{"DATABASE_URL": restored}, "import", "--force")
	if code != 0 || !strings.Contains(out, "imported and verified") || !strings.Contains(out, "matched its trailer") {
		t.Fatalf("import --force: %d\n%s\n%s", code, out, errOut)
	}
	if _, again, _ := runCmd(t, map[string]string{"DATABASE_URL": restored}, "export"); again != dump {
		t.Error("exporting the database restored over an old export gives different lines")
	}
	restored = "sqlite:" + filepath.Join(dir, "d.db")
	stdin = strings.NewReader(dump)
	t.Cleanup(func() { stdin = nil })
	code, out, errOut = runCmd(t, map[string]string{"DATABASE_URL": restored}, "import")
	if code != 0 || !strings.Contains(out, "imported and verified") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	_, again, _ := runCmd(t, map[string]string{"DATABASE_URL": restored}, "export")
	if again != dump {
		t.Error("exporting the restored database gives different lines")
	}
	stdin = strings.NewReader(dump)
	if code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": restored}, "import"); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("import into a non-empty database: %d %s", code, errOut)
	}
}

// TestCopyImportRefuseRunningServer: import and copy do not write under a server that holds
// its running lease on the target (found by an outside tester: both went ahead). Leases are
// not copied or exported: a copy or a restore of a running server's database is not refused.
func TestCopyImportRefuseRunningServer(t *testing.T) {
	dir := t.TempDir()
	src, dst, copied := "sqlite:"+filepath.Join(dir, "a.db"), "sqlite:"+filepath.Join(dir, "b.db"), "sqlite:"+filepath.Join(dir, "c.db")
	seedStore(t, src, 0, 3)
	ctx, now := context.Background(), time.Now()
	hold := func(st store.Store, until time.Time) {
		t.Helper()
		if _, err := st.TakeLease(ctx, "server:test", "server:test", now, until); err != nil {
			t.Fatal(err)
		}
	}
	hold(storetest.Open(t, src), now.Add(time.Minute)) // a server runs on the source
	code, dump, errOut := runCmd(t, map[string]string{"DATABASE_URL": src}, "export")
	if code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	if code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": src}, "copy", "--to", copied); code != 0 {
		t.Fatalf("copy from a running server's database: %d %s", code, errOut)
	}
	stdin = strings.NewReader(dump)
	defer func() { stdin = os.Stdin }()
	if code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": copied}, "import", "--force"); code != 0 {
		t.Fatalf("import into a copy of a running server's database: %d %s", code, errOut)
	}

	st := storetest.Open(t, dst)
	hold(st, now.Add(time.Minute))
	stdin = strings.NewReader(dump)
	code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": dst}, "import", "--force")
	if code != 1 || !strings.Contains(errOut, "server is running on this database") || !strings.Contains(errOut, "stop it first") {
		t.Errorf("import under a running server: %d %s", code, errOut)
	}
	code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": copied}, "copy", "--to", dst, "--force")
	if code != 1 || !strings.Contains(errOut, "server is running on this database") {
		t.Errorf("copy onto a running server's database: %d %s", code, errOut)
	}
	if n, err := st.CountEventsBefore(ctx, now.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("the refused commands wrote %d events (%v)", n, err)
	}
	hold(st, now) // the server stopped: both go ahead
	stdin = strings.NewReader(dump)
	if code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": dst}, "import", "--force"); code != 0 {
		t.Errorf("import once the server stopped: %d %s", code, errOut)
	}
}

// TestUnfinishedCopy: a copy stopped halfway leaves its target marked, and serve refuses it
// (found by an outside tester: the server started on it as a new install, with part of the data
// and a new webhook token); a finished copy or an import into it clears the mark.
func TestUnfinishedCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := "sqlite:"+filepath.Join(dir, "a.db"), "sqlite:"+filepath.Join(dir, "b.db")
	seedStore(t, src, 0, 3)
	ctx := context.Background()
	st := storetest.Open(t, dst)
	if err := markUnfinished(ctx, st); err != nil { // what Copy's Started does
		t.Fatal(err)
	}
	serveCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	env := map[string]string{"DATABASE_URL": dst, "LISTEN_ADDR": "127.0.0.1:0"}
	if code := run(serveCtx, []string{"serve"}, func(k string) string { return env[k] }, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "unfinished copy") || !strings.Contains(errOut.String(), "--force") {
		t.Fatalf("serve on an unfinished copy: %d %s", code, errOut.String())
	}
	if _, err := st.Setting(ctx, webhook.TokenHashSetting); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused serve made a webhook token (%v)", err)
	}

	// Nor is it exported or copied from: the result would be a partial database that verifies.
	if code, out, errOut := runCmd(t, map[string]string{"DATABASE_URL": dst}, "export"); code != 1 || out != "" || !strings.Contains(errOut, "unfinished copy") {
		t.Errorf("export of an unfinished copy: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, map[string]string{"DATABASE_URL": dst}, "copy", "--to", "sqlite:"+filepath.Join(dir, "c.db")); code != 1 || !strings.Contains(errOut, "unfinished copy") {
		t.Errorf("copy from an unfinished copy: %d %s", code, errOut)
	}

	// Refused before its first row (a non-empty target without --force), a copy marks nothing.
	seedStore(t, dst, 0, 1)
	if err := clearUnfinished(ctx, st); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, map[string]string{"DATABASE_URL": src}, "copy", "--to", dst); code != 1 || strings.Contains(errOut, "incomplete") {
		t.Fatalf("copy into a non-empty target: %d %s", code, errOut)
	}
	if err := checkFinished(ctx, st, dst); err != nil {
		t.Errorf("a copy refused before writing marked the target: %v", err)
	}

	for _, finish := range []string{"copy", "import"} {
		if err := markUnfinished(ctx, st); err != nil {
			t.Fatal(err)
		}
		var code int
		var errOut string
		if finish == "copy" {
			code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": src}, "copy", "--to", dst, "--force")
		} else {
			var dump string
			if code, dump, errOut = runCmd(t, map[string]string{"DATABASE_URL": src}, "export"); code != 0 {
				t.Fatalf("export: %s", errOut)
			}
			stdin = strings.NewReader(dump)
			code, _, errOut = runCmd(t, map[string]string{"DATABASE_URL": dst}, "import", "--force")
			stdin = os.Stdin
		}
		if code != 0 {
			t.Fatalf("%s --force into an unfinished copy: %d %s", finish, code, errOut)
		}
		if err := checkFinished(ctx, st, dst); err != nil {
			t.Errorf("after %s: %v", finish, err)
		}
	}
}
