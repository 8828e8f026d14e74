package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `export > backup.jsonl`, as the README showed, left the backup readable by every user of
// the machine (the shell creates it 0644): export makes the file it writes to 0600 (L6).
func TestExportMakesItsFilePrivate(t *testing.T) {
	dir := t.TempDir()
	src := "sqlite:" + filepath.Join(dir, "a.db")
	seedStore(t, src, 0, 3)
	path := filepath.Join(dir, "backup.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Chmod(0o644); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"export"}, func(k string) string { return map[string]string{"DATABASE_URL": src}[k] }, f, &errOut); code != 0 {
		t.Fatalf("export: %d %s", code, errOut.String())
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("the export file is %v; want -rw------- (0600)", perm)
	}
	body, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(body), `{"trailer":"diundashboard"`) {
		t.Errorf("the export file is not a whole export (%v): %.200s", err, body)
	}
	if !strings.Contains(errOut.String(), "credentials left out") {
		t.Errorf("export did not say that it left the credentials out: %s", errOut.String())
	}
}
