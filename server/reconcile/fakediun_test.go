package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"diundashboard/gen/diunpb"
)

// fixtures is the Diun version whose answers testdata holds.
const fixtures = "testdata/diun-v4.33.0/"

// fakeDiun is an in-process gRPC server generated from the same protos as the client: it
// replays a Diun database (testdata) and changes it as Diun does after a registry push.
type fakeDiun struct {
	diunpb.UnimplementedImageServiceServer
	diunpb.UnimplementedNotifServiceServer

	mu     sync.Mutex
	images map[string][]*diunpb.Manifest // by image name, one manifest per tag
	// hang makes every call wait for its deadline.
	hang bool
	// onNotifTest plays Diun sending its test notification to the dashboard's webhook.
	onNotifTest func()
	notifTests  int
	inspects    int
	addr        string
}

func newFakeDiun(t testing.TB) *fakeDiun {
	f := &fakeDiun{images: map[string][]*diunpb.Manifest{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	diunpb.RegisterImageServiceServer(srv, f)
	diunpb.RegisterNotifServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	f.addr = lis.Addr().String()
	return f
}

// loadFixtures fills f's database with testdata's inspect answers.
func (f *fakeDiun) loadFixtures(t testing.TB) {
	t.Helper()
	var raw []json.RawMessage
	if err := json.Unmarshal(readFixture(t, "inspect.json"), &raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		var res diunpb.ImageInspectResponse
		if err := protojson.Unmarshal(r, &res); err != nil {
			t.Fatal(err)
		}
		f.put(res.GetImage().GetName(), res.GetImage().GetManifests()...)
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// put saves manifests as Diun's database does after a check: one per tag, replaced.
func (f *fakeDiun) put(name string, ms ...*diunpb.Manifest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range ms {
		list := f.images[name]
		i := slices.IndexFunc(list, func(o *diunpb.Manifest) bool { return o.GetTag() == m.GetTag() })
		if i >= 0 {
			list[i] = m
		} else {
			list = append(list, m)
		}
		f.images[name] = list
	}
}

// push plays a registry push that Diun's next check saw: tag gets a new digest, created at.
func (f *fakeDiun) push(name, tag string, dig int, at time.Time) {
	f.put(name, manifest(tag, dig, at))
}

func manifest(tag string, dig int, at time.Time) *diunpb.Manifest {
	return &diunpb.Manifest{Tag: tag, MimeType: "application/vnd.oci.image.index.v1+json",
		Digest: digest(dig), Created: timestamppb.New(at), Platform: "linux/amd64"}
}

func digest(n int) string { return fmt.Sprintf("sha256:%064x", n) }

func (f *fakeDiun) wait(ctx context.Context) error {
	f.mu.Lock()
	hang := f.hang
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// ImageList answers as Diun's internal/grpc/image.go: latest is the newest created of any tag.
func (f *fakeDiun) ImageList(ctx context.Context, _ *diunpb.ImageListRequest) (*diunpb.ImageListResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := &diunpb.ImageListResponse{}
	for name, ms := range f.images {
		var latest *diunpb.Manifest
		for _, m := range ms {
			if latest == nil || m.GetCreated().AsTime().After(latest.GetCreated().AsTime()) {
				latest = m
			}
		}
		res.Images = append(res.Images, &diunpb.ImageListResponse_Image{Name: name, ManifestsCount: int64(len(ms)), Latest: proto.Clone(latest).(*diunpb.Manifest)})
	}
	return res, nil
}

func (f *fakeDiun) ImageInspect(ctx context.Context, req *diunpb.ImageInspectRequest) (*diunpb.ImageInspectResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inspects++
	ms, ok := f.images[req.GetName()]
	if !ok {
		// Diun returns a plain error: gRPC code Unknown, its text as recorded.
		return nil, fmt.Errorf("%s not found in database", req.GetName())
	}
	img := &diunpb.ImageInspectResponse_Image{Name: req.GetName()}
	for _, m := range ms {
		img.Manifests = append(img.Manifests, proto.Clone(m).(*diunpb.Manifest))
	}
	return &diunpb.ImageInspectResponse{Image: img}, nil
}

func (f *fakeDiun) NotifTest(ctx context.Context, _ *diunpb.NotifTestRequest) (*diunpb.NotifTestResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.notifTests++
	send := f.onNotifTest
	f.mu.Unlock()
	if send != nil {
		send()
	}
	return &diunpb.NotifTestResponse{Message: "Notifications sent successfully"}, nil
}

// The fake's ImageList of the fixtures' database is what Diun answered for it (list.json), and
// its error for an unknown image is Diun's.
func TestFakeDiunReplaysFixtures(t *testing.T) {
	f := newFakeDiun(t)
	f.loadFixtures(t)
	got, _ := f.ImageList(t.Context(), nil)
	var want diunpb.ImageListResponse
	if err := protojson.Unmarshal(readFixture(t, "list.json"), &want); err != nil {
		t.Fatal(err)
	}
	byName := func(a, b *diunpb.ImageListResponse_Image) int { return strings.Compare(a.GetName(), b.GetName()) }
	slices.SortFunc(got.Images, byName)
	slices.SortFunc(want.Images, byName)
	if !proto.Equal(got, &want) {
		t.Errorf("ImageList =\n%v\nwant (list.json)\n%v", got, &want)
	}
	_, err := f.ImageInspect(t.Context(), &diunpb.ImageInspectRequest{Name: "docker.io/library/nosuch"})
	if err == nil || err.Error() != string(readFixture(t, "not-found.txt")) {
		t.Errorf("ImageInspect of an unknown name: %v", err)
	}
}
