package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/store"
)

func tagTests() []test {
	return []test{
		{"Create", testTagCreate},
		{"CreateConcurrently", testTagCreateConcurrently},
		{"Rename", testTagRename},
		{"Delete", testTagDelete},
		{"ListWithCounts", testTagList},
		{"AttachIdempotent", testTagAttach},
		{"AttachUnknown", testTagAttachUnknown},
		{"Detach", testTagDetach},
	}
}

func testTagCreate(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	tag := createTag(t, s, "production")
	if tag.ID <= 0 || tag.Name != "production" || tag.CreatedAt.Before(before) || tag.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreateTag = %+v, want an id, the name and the time of the call", tag)
	}
	other := createTag(t, s, "Production") // another name: byte for byte
	if other.ID == tag.ID {
		t.Errorf("two tags share id %d", tag.ID)
	}
	unicode := createTag(t, s, "équipe ✓ 日本")
	if unicode.Name != "équipe ✓ 日本" {
		t.Errorf("unicode name came back as %q", unicode.Name)
	}

	_, err := s.CreateTag(ctx(t), "production")
	wantErr(t, "CreateTag of a taken name", err, store.ErrConflict)
	for _, name := range []string{"", "   ", "\t"} {
		_, err := s.CreateTag(ctx(t), name)
		wantErr(t, fmt.Sprintf("CreateTag(%q)", name), err, store.ErrInvalid)
	}
	for _, name := range []string{"a\x00b", "bad\xff", strings.Repeat("x", 10000)} {
		_, err := s.CreateTag(ctx(t), name)
		wantErr(t, fmt.Sprintf("CreateTag(%q)", truncate(name)), err, store.ErrInvalid)
	}
	tags, err := s.ListTags(ctx(t))
	if err != nil || len(tags) != 3 {
		t.Errorf("ListTags = %+v, %v; want the 3 created", tags, err)
	}
}

// testTagCreateConcurrently: of several callers creating one name, exactly one succeeds.
func testTagCreateConcurrently(t *testing.T, s store.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.CreateTag(ctx(t), "race")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		default:
			wantErr(t, "concurrent CreateTag", err, store.ErrConflict)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent CreateTag calls succeeded, want 1", ok, n)
	}
}

func testTagRename(t *testing.T, s store.Store) {
	a := createTag(t, s, "alpha")
	b := createTag(t, s, "beta")
	img := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0))).ImageID
	attach(t, s, img, a.ID)

	renamed, err := s.RenameTag(ctx(t), a.ID, "gamma")
	if err != nil {
		t.Fatalf("RenameTag: %v", err)
	}
	if renamed.ID != a.ID || renamed.Name != "gamma" || !renamed.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("RenameTag = %+v, want id %d, name gamma, created %s", renamed, a.ID, a.CreatedAt)
	}
	if got := tagNames(getImage(t, s, img).Tags); !slices.Equal(got, []string{"gamma"}) {
		t.Errorf("the image's tags after rename: %v, want [gamma]", got)
	}
	if got := listAll(t, s, store.ImageFilter{Tag: "gamma"}, store.SortImage, 0); len(got) != 1 {
		t.Errorf("filter by the new name found %d images, want 1", len(got))
	}
	if got := listAll(t, s, store.ImageFilter{Tag: "alpha"}, store.SortImage, 0); len(got) != 0 {
		t.Errorf("filter by the old name found %d images, want 0", len(got))
	}

	_, err = s.RenameTag(ctx(t), a.ID, "beta")
	wantErr(t, "RenameTag to a taken name", err, store.ErrConflict)
	_, err = s.RenameTag(ctx(t), b.ID+100, "delta")
	wantErr(t, "RenameTag of an unknown tag", err, store.ErrNotFound)
	_, err = s.RenameTag(ctx(t), a.ID, "  ")
	wantErr(t, "RenameTag to a blank name", err, store.ErrInvalid)

	tags, err := s.ListTags(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := tagNames(tags); !slices.Equal(got, []string{"beta", "gamma"}) {
		t.Errorf("ListTags after failed renames: %v, want [beta gamma]", got)
	}
}

func testTagDelete(t *testing.T, s store.Store) {
	web := createTag(t, s, "web")
	keep := createTag(t, s, "keep")
	a := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0))).ImageID
	b := record(t, s, note("host", "docker.io/library/nginx:2", 2, at(time.Second))).ImageID
	attach(t, s, a, web.ID)
	attach(t, s, b, web.ID)
	attach(t, s, b, keep.ID)

	if err := s.DeleteTag(ctx(t), web.ID); err != nil {
		t.Fatalf("DeleteTag: %v", err)
	}
	if got := tagNames(getImage(t, s, a).Tags); len(got) != 0 {
		t.Errorf("image a still has tags %v", got)
	}
	if got := tagNames(getImage(t, s, b).Tags); !slices.Equal(got, []string{"keep"}) {
		t.Errorf("image b has tags %v, want [keep]", got)
	}
	if got := listAll(t, s, store.ImageFilter{Tag: "web"}, store.SortImage, 0); len(got) != 0 {
		t.Errorf("filter by a deleted tag found %v", imageKeys(got))
	}
	tags, err := s.ListTags(ctx(t))
	if err != nil || len(tags) != 1 || tags[0].ID != keep.ID || tags[0].Images != 1 {
		t.Errorf("ListTags = %+v, %v; want keep on 1 image", tags, err)
	}
	err = s.DeleteTag(ctx(t), web.ID)
	wantErr(t, "DeleteTag twice", err, store.ErrNotFound)
	_, err = s.TagImages(ctx(t), []int64{a}, web.ID)
	wantErr(t, "TagImages with a deleted tag", err, store.ErrNotFound)
	// The images themselves are untouched, and the name is free again.
	if all := listAll(t, s, store.ImageFilter{}, store.SortImage, 0); len(all) != 2 {
		t.Errorf("%d images left, want 2", len(all))
	}
	if again := createTag(t, s, "web"); again.ID == web.ID {
		t.Errorf("a new tag reused the deleted tag's id %d", web.ID)
	}
}

func testTagList(t *testing.T, s store.Store) {
	if tags, err := s.ListTags(ctx(t)); err != nil || len(tags) != 0 {
		t.Errorf("ListTags on an empty store = %+v, %v", tags, err)
	}
	c := createTag(t, s, "charlie")
	a := createTag(t, s, "alpha")
	b := createTag(t, s, "bravo")
	createTag(t, s, "Zulu")
	var images []int64
	for i := range 3 {
		images = append(images, record(t, s, note("host", fmt.Sprintf("docker.io/acme/x%d:1", i), i, at(0))).ImageID)
	}
	attach(t, s, images[0], a.ID)
	attach(t, s, images[1], a.ID)
	attach(t, s, images[2], a.ID)
	attach(t, s, images[0], b.ID)
	attach(t, s, images[0], a.ID) // again: still counts once
	_ = c

	tags, err := s.ListTags(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name   string
		images int64
	}
	var got []row
	for _, tg := range tags {
		got = append(got, row{tg.Name, tg.Images})
		if tg.ID <= 0 || tg.CreatedAt.IsZero() {
			t.Errorf("ListTags row %+v lacks an id or a time", tg)
		}
	}
	want := []row{{"Zulu", 0}, {"alpha", 3}, {"bravo", 1}, {"charlie", 0}}
	if !slices.Equal(got, want) {
		t.Errorf("ListTags = %v, want %v (by name, byte order)", got, want)
	}
}

func testTagAttach(t *testing.T, s store.Store) {
	tag := createTag(t, s, "web")
	img := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0))).ImageID
	for i := range 3 {
		got, err := s.TagImages(ctx(t), []int64{img, img}, tag.ID)
		if want := []int64{img}[:1-min(i, 1)]; err != nil || !slices.Equal(got, want) {
			t.Fatalf("TagImages, time %d: %v, %v; want %v (tagged the first time only)", i+1, got, err, want)
		}
	}
	got := getImage(t, s, img).Tags
	if len(got) != 1 || got[0].ID != tag.ID || got[0].Name != "web" {
		t.Errorf("tags after attaching three times: %+v, want [web] once", got)
	}
	tags, err := s.ListTags(ctx(t))
	if err != nil || len(tags) != 1 || tags[0].Images != 1 {
		t.Errorf("ListTags = %+v, %v; want web on 1 image", tags, err)
	}
	// A new notification keeps the image's tags.
	record(t, s, note("host", "docker.io/library/nginx:1", 2, at(time.Hour)))
	if got := tagNames(getImage(t, s, img).Tags); !slices.Equal(got, []string{"web"}) {
		t.Errorf("tags after a new digest: %v, want [web]", got)
	}
}

func testTagAttachUnknown(t *testing.T, s store.Store) {
	tag := createTag(t, s, "web")
	img := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0))).ImageID
	// Unknown images are skipped (one may be deleted while a bulk form is open); an unknown
	// tag is an error, with nothing done.
	if got, err := s.TagImages(ctx(t), []int64{img + 100}, tag.ID); err != nil || len(got) != 0 {
		t.Errorf("TagImages of an unknown image = %v, %v; want none", got, err)
	}
	_, err := s.TagImages(ctx(t), []int64{img}, tag.ID+100)
	wantErr(t, "TagImages with an unknown tag", err, store.ErrNotFound)
	_, err = s.TagImages(ctx(t), []int64{0}, 0)
	wantErr(t, "TagImages([0], 0)", err, store.ErrNotFound)
	if got := getImage(t, s, img).Tags; len(got) != 0 {
		t.Errorf("failed attaches left tags %v", got)
	}
	if tags, err := s.ListTags(ctx(t)); err != nil || len(tags) != 1 || tags[0].Images != 0 {
		t.Errorf("ListTags = %+v, %v; want web on no image", tags, err)
	}
}

func testTagDetach(t *testing.T, s store.Store) {
	web := createTag(t, s, "web")
	prod := createTag(t, s, "prod")
	img := record(t, s, note("host", "docker.io/library/nginx:1", 1, at(0))).ImageID
	other := record(t, s, note("host", "docker.io/library/nginx:2", 2, at(0))).ImageID
	attach(t, s, img, web.ID)
	attach(t, s, img, prod.ID)
	attach(t, s, other, web.ID)

	if got, err := s.UntagImages(ctx(t), []int64{img, other + 100}, web.ID); err != nil || !slices.Equal(got, []int64{img}) {
		t.Fatalf("UntagImages = %v, %v; want [%d]", got, err, img)
	}
	if got := tagNames(getImage(t, s, img).Tags); !slices.Equal(got, []string{"prod"}) {
		t.Errorf("tags after detach: %v, want [prod]", got)
	}
	if got := tagNames(getImage(t, s, other).Tags); !slices.Equal(got, []string{"web"}) {
		t.Errorf("the other image's tags: %v, want [web]", got)
	}
	if got, err := s.UntagImages(ctx(t), []int64{img}, web.ID); err != nil || len(got) != 0 {
		t.Errorf("UntagImages again (idempotent) = %v, %v; want none", got, err)
	}
	if got, err := s.UntagImages(ctx(t), []int64{img + 100}, web.ID); err != nil || len(got) != 0 {
		t.Errorf("UntagImages from an unknown image = %v, %v; want none", got, err)
	}
	_, err := s.UntagImages(ctx(t), []int64{img}, prod.ID+100)
	wantErr(t, "UntagImages of an unknown tag", err, store.ErrNotFound)
	if got := tagNames(getImage(t, s, img).Tags); !slices.Equal(got, []string{"prod"}) {
		t.Errorf("tags after failed detaches: %v, want [prod]", got)
	}
}
