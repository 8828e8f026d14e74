package dbcopy_test

import (
	"bytes"
	"context"
	"fmt"
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
