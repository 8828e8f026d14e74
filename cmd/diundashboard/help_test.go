package main

import (
	"strings"
	"testing"
)

// TestCommandHelp: `diundashboard COMMAND --help` describes that command (its arguments, its
// own flags, the settings it reads) and runs nothing; plain --help still lists every command.
func TestCommandHelp(t *testing.T) {
	for _, c := range commands[1:] {
		t.Run(c.name, func(t *testing.T) {
			code, errOut, stderr := runCmd(t, nil, c.name, "--help") // asked for, help goes to stdout
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q (help goes to stdout, nothing runs)", code, stderr)
			}
			if !strings.Contains(errOut, "Usage:\n  diundashboard "+c.name) {
				t.Errorf("no usage line of %s:\n%s", c.name, errOut)
			}
			if strings.Contains(errOut, "Commands:") || strings.Contains(errOut, "-notify-urls") {
				t.Errorf("%s --help prints the global help, or a setting it does not read:\n%s", c.name, errOut)
			}
			for _, env := range c.reads {
				if !strings.Contains(errOut, "(env "+env+",") {
					t.Errorf("%s --help does not show %s, which it reads:\n%s", c.name, env, errOut)
				}
			}
		})
	}
	t.Run("own flags", func(t *testing.T) {
		_, errOut, _ := runCmd(t, nil, "import", "-h")
		for _, f := range []string{"-force", "-with-credentials", "-no-verify", "-database-url"} {
			if !strings.Contains(errOut, "\n  "+f) {
				t.Errorf("import -h does not show %s:\n%s", f, errOut)
			}
		}
	})
	t.Run("forms", func(t *testing.T) {
		for _, args := range [][]string{{"help", "export"}, {"sessions", "revoke-all", "--help"}, {"sessions", "revoke-all", "--tokens", "-h"}} {
			code, out, stderr := runCmd(t, nil, args...)
			if code != 0 || stderr != "" || !strings.Contains(out, "Usage:\n  diundashboard "+args[0]) && !strings.Contains(out, "Usage:\n  diundashboard "+args[1]) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, stderr)
			}
		}
		if code, out, _ := runCmd(t, nil, "--version"); code != 0 || !strings.HasPrefix(out, "diundashboard ") {
			t.Errorf("--version: exit %d, %q", code, out)
		}
		// After a mistake the help goes to stderr, with a non-zero exit.
		if code, out, stderr := runCmd(t, nil, "export", "--bogus"); code != 2 || out != "" || !strings.Contains(stderr, "-bogus") {
			t.Errorf("export --bogus: exit %d, stdout %q, stderr %q", code, out, stderr)
		}
	})
	t.Run("global", func(t *testing.T) {
		for _, args := range [][]string{{"--help"}, {"help"}, {"serve", "--help"}} {
			code, errOut, _ := runCmd(t, nil, args...)
			if code != 0 {
				t.Errorf("%v: exit %d", args, code)
			}
			for _, c := range commands {
				if !strings.Contains(errOut, "\n  "+c.name) {
					t.Errorf("%v does not list %s:\n%s", args, c.name, errOut)
				}
			}
		}
	})
}
