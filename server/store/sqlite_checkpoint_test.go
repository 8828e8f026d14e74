package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"diundashboard/server/store"
)

// TestSQLiteCheckpointsBesideTheWriter: the pages of a few commits, far fewer than the
// writer's own checkpoint threshold, reach the database file shortly after, copied by the
// checkpointer; and the WAL stays bounded under a stream of commits.
func TestSQLiteCheckpointsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dd.db")
	if err := store.Migrate(ctx, "sqlite:"+path); err != nil {
		t.Fatal(err)
	}
	s, err := store.NewSQLite(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size(path)
	record := func(i int) {
		t.Helper()
		_, err := s.Record(ctx, store.Notification{
			DiunVersion: "v4.33.0", Hostname: fmt.Sprintf("host%d", i%5), Status: "update", Provider: "docker",
			Image: fmt.Sprintf("docker.io/team/app%d:1", i%400), Digest: fmt.Sprintf("sha256:%064x", i),
			Platform: "linux/amd64", Metadata: map[string]string{"ctn_names": fmt.Sprintf("app%d", i%400)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		record(i)
	}
	deadline := time.Now().Add(10 * time.Second)
	for size(path) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes after 40 commits: nothing checkpointed them", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// About 14 pages a commit: 3,000 commits write some 40,000 WAL frames; the WAL must not
	// hold them all (each frame is a page and a 24-byte header).
	for i := range 3000 {
		record(100 + i)
	}
	const pageSize = 4096
	if wal := size(path + "-wal"); wal > 3*4000*(pageSize+24) {
		t.Errorf("the WAL grew to %d bytes after 3,000 commits: it is not reset", wal)
	}
}
