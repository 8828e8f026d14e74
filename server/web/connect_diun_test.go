package web_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"diundashboard/gen/diunpb"
	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/metrics"
	"diundashboard/server/reconcile"
	"diundashboard/server/store"
)

// The Connect page lists each Diun of DIUN_GRPC with its state: here one where nothing
// listens, shown unreachable with its error and named, the page still served.
func TestConnectListsDiunInstances(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	ctx := context.Background()
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(auth.Config{Mode: auth.ModeNone}, st, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := lis.Addr().String()
	lis.Close()
	srv := server.New(st, server.Options{WebhookToken: webhookToken, Auth: a, Version: "test", Logger: quietLog,
		Metrics: metrics.New(st, metrics.Options{Version: "test"}),
		Diun:    []reconcile.Target{{Host: "nas<b>", Addr: dead}}, DiunReconcile: 15 * time.Minute})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Hub().Close(); ts.CloseClientConnections(); ts.Close() })
	bg, stop := context.WithCancel(ctx)
	defer stop()
	go srv.RunBackground(bg)

	var body string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(ts.URL + "/connect")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body = string(b)
		if strings.Contains(body, "✘") {
			break
		}
	}
	for _, want := range []string{`id="diun-grpc"`, dead, "nas&lt;b&gt;", "✘", "every 15m0s"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Connect page lacks %q", want)
		}
	}
	if strings.Contains(body, "nas<b>") {
		t.Error("the hostname is not escaped")
	}
	// Diun was never read: its counts are unknown, not 0 (an outside tester saw "0 images" for
	// a Diun that could not be reached).
	if !strings.Contains(body, "unknown: Diun not reached yet") || strings.Contains(body, "0 images") {
		t.Error("the counts of a Diun never reached are not shown as unknown")
	}
	// The error is a sentence that says what to check; gRPC's own words are in the details.
	sentence := "Nothing accepts connections at " + dead + " (connection refused)"
	if i, j := strings.Index(body, sentence), strings.Index(body, "rpc error: code = Unavailable"); i < 0 || j < 0 || j < strings.Index(body, "<details class=\"diun-err\">") {
		t.Errorf("the error is not explained, with gRPC's own words in its details:\n%s", body)
	}
	// The failed runs are counted, per Diun.
	res, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`diundashboard_reconcile_runs_total{diun="` + dead + `"}`, `diundashboard_reconcile_errors_total{diun="` + dead + `"}`,
		`diundashboard_reconcile_recovered_total{diun="` + dead + `",source="reconcile"} 0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// /readyz does not depend on Diun.
	if res, err := http.Get(ts.URL + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("/readyz with an unreachable Diun: %v %v", res.StatusCode, err)
	}
}

// oneImageDiun answers ImageList with one image, as a Diun watching it would.
type oneImageDiun struct {
	diunpb.UnimplementedImageServiceServer
	name, tag, digest string
}

func (d oneImageDiun) ImageList(context.Context, *diunpb.ImageListRequest) (*diunpb.ImageListResponse, error) {
	return &diunpb.ImageListResponse{Images: []*diunpb.ImageListResponse_Image{{Name: d.name, ManifestsCount: 1,
		Latest: &diunpb.Manifest{Tag: d.tag, Digest: d.digest, Created: timestamppb.New(time.Now().Add(-time.Hour))}}}}, nil
}

// A hostname in DIUN_GRPC that the Diun's webhooks never carry is warned about on the Connect
// page, naming both names (escaped: one comes from a webhook) and the fix.
func TestConnectWarnsOfAWrongDiunHostname(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "dd.db")
	ctx := context.Background()
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := auth.New(auth.Config{Mode: auth.ModeNone}, st, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	diunpb.RegisterImageServiceServer(g, oneImageDiun{name: "docker.io/library/nginx", tag: "1", digest: digestN(1)})
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	// What its webhooks sent, with the hostname they carry.
	if _, err := st.Record(ctx, store.Notification{Hostname: "diun<b>nas", Status: "update", Provider: "docker",
		Image: "docker.io/library/nginx:1", Digest: digestN(1)}); err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	srv := server.New(st, server.Options{WebhookToken: webhookToken, Auth: a, Version: "test", Logger: quietLog,
		Diun: []reconcile.Target{{Host: "nas", Addr: addr}}, DiunReconcile: 15 * time.Minute})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Hub().Close(); ts.CloseClientConnections(); ts.Close() })
	bg, stop := context.WithCancel(ctx)
	defer stop()
	go srv.RunBackground(bg)

	var body string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(ts.URL + "/connect")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body = string(b)
		if strings.Contains(body, "diun-host-warning") {
			break
		}
	}
	for _, want := range []string{`class="banner warn diun-host-warning"`, "DIUN_GRPC names the Diun at " + addr + " &#34;nas&#34;",
		"on the host &#34;diun&lt;b&gt;nas&#34; here", "DIUN_GRPC=diun&lt;b&gt;nas=" + addr, "no webhook with this name"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Connect page lacks %q", want)
		}
	}
	if strings.Contains(body, "diun<b>nas") {
		t.Error("the webhook's hostname is not escaped")
	}
}

// A recovered update says so in the image's timeline.
func TestTimelineShowsRecovered(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "dd.db"), auth.ModeBuiltin)
	e.login()
	created := time.Now().Add(-time.Hour)
	res, err := e.st.Record(context.Background(), store.Notification{Hostname: "vm", Image: "docker.io/library/nginx:1",
		Digest: digestN(1), Created: &created, Status: "update", Source: store.SourceReconcile})
	if err != nil {
		t.Fatal(err)
	}
	_, body := e.get(fmt.Sprintf("/images/%d", res.ImageID), nil)
	if !strings.Contains(body, "recovered from Diun: missed while the dashboard was unreachable") {
		t.Errorf("the timeline does not say the update was recovered:\n%s", body)
	}
}
