package dbcopy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"
)

func TestExportWhileWriting(t *testing.T) {
	checkExportIsOneSnapshot(t, newSQLite(t))
}

// checkExportIsOneSnapshot records notifications (new images and their events) while an export
// of d runs, after it has read the images and before the events: the file must hold d as it
// was when the export began, which imports, not the events of images it never read.
func checkExportIsOneSnapshot(t *testing.T, d testDB) {
	t.Helper()
	ctx := context.Background()
	seed(t, d, 3000)
	before := sums(t, d)
	wrote := 0
	opts := withCredentials
	opts.Progress = func(table string, done, total int64) {
		if table != "images" || wrote > 0 {
			return
		}
		for i := range 5 {
			if _, err := d.st.Record(ctx, store.Notification{Hostname: "late", Status: "new", Provider: "docker",
				Image: fmt.Sprintf("docker.io/acme/late-%d:1", i), Digest: fmt.Sprintf("sha256:%064d", i)}); err != nil {
				t.Errorf("Record during the export: %v", err)
			}
			wrote++
		}
	}
	var export bytes.Buffer
	exported, err := dbcopy.Export(ctx, d.copier(t), &export, opts)
	if err != nil {
		t.Fatal(err)
	}
	if wrote == 0 {
		t.Fatal("the export never reported progress on images: nothing was written while it ran")
	}
	if after := sums(t, d); reflect.DeepEqual(after, before) {
		t.Fatal("the notifications recorded during the export did not change the database")
	}
	if !reflect.DeepEqual(exported, before) {
		t.Errorf("the export holds\n%v\nwant the database as it was when it began\n%v", exported, before)
	}
	to := newSQLite(t)
	if _, err := dbcopy.Import(ctx, to.copier(t), bytes.NewReader(export.Bytes()), withCredentials); err != nil {
		t.Fatalf("importing an export taken while notifications arrived: %v", err)
	}
}

// TestCopyRefusesItsOwnSource: a copy whose target is its source under another spelling (a
// "./" in the path, a relative path, a symbolic link) is refused before anything is deleted,
// even with Force; before, Force emptied the database and the copy of nothing verified.
func TestCopyRefusesItsOwnSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dd.db")
	from := openDB(t, "sqlite:"+path)
	seed(t, from, 100)
	before := sums(t, from)
	if err := os.Symlink(path, filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, url := range []string{"sqlite:" + dir + "/./dd.db", "sqlite:dd.db", "sqlite:" + filepath.Join(dir, "link.db")} {
		checkRefusesSameDatabase(t, from, openDB(t, url), before)
	}
}

func checkRefusesSameDatabase(t *testing.T, from, to testDB, before []dbcopy.TableSum) {
	t.Helper()
	_, err := dbcopy.Copy(context.Background(), from.copier(t), to.copier(t), dbcopy.Options{Force: true})
	if !errors.Is(err, dbcopy.ErrSameDatabase) {
		t.Errorf("copy onto %s: %v, want %v", to.url, err, dbcopy.ErrSameDatabase)
	}
	if after := sums(t, from); !reflect.DeepEqual(after, before) {
		t.Errorf("copy onto %s changed the source", to.url)
	}
}
