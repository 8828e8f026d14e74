package reconcile

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"diundashboard/gen/diunpb"
)

// A failed run says what happened and what to check in a sentence naming the address, never
// gRPC's raw "rpc error: code = Unavailable desc = connection error: …" (an outside tester
// saw that on the Connect page); the raw error is kept beside it, for the details and the log.
func TestFailuresAreExplained(t *testing.T) {
	st := newSQLite(t)
	hanging := newFakeDiun(t)
	hanging.hang = true
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	web := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(web.Close)
	other := grpcServer(t, false) // gRPC, but not Diun
	// Diun behind something that wants credentials.
	locked := grpcServer(t, true, grpc.UnaryInterceptor(func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
		return nil, status.Error(codes.Unauthenticated, "missing bearer token")
	}))
	cases := []struct{ addr, says string }{
		{deadAddr(t), "connection refused"},
		{"diun-nowhere.invalid:42286", `"diun-nowhere.invalid" in DIUN_GRPC`},
		{web.Listener.Addr().String(), "web server (HTTP/1.1)"},
		{tlsSrv.Listener.Addr().String(), "a TLS port"},
		{other, "no Diun image API"},
		{locked, "asks for no credentials"},
		{hanging.addr, "did not answer within 300ms"},
	}
	var targets []Target
	for _, c := range cases {
		targets = append(targets, Target{Host: "nas", Addr: c.addr})
	}
	r := newReconciler(t, st, Options{CallTimeout: 300 * time.Millisecond, Targets: targets})
	for i, c := range cases {
		err := r.Sync(context.Background(), c.addr)
		if err == nil {
			t.Fatalf("%s: no error", c.addr)
		}
		s := r.Statuses()[i]
		if !strings.Contains(s.Err, c.says) || !strings.Contains(s.Err, c.addr) || strings.Contains(s.Err, "rpc error") {
			t.Errorf("%s: Err = %q, want a sentence naming the address that says %q", c.addr, s.Err, c.says)
		}
		if s.ErrDetail != err.Error() || !strings.Contains(s.ErrDetail, "rpc error") {
			t.Errorf("%s: ErrDetail = %q, want the raw error %q", c.addr, s.ErrDetail, err)
		}
	}
	// What to check is named: Diun's listen address and DIUN_GRPC.
	if s := r.Statuses()[0]; !strings.Contains(s.Err, "GRPC_AUTHORITY") || !strings.Contains(s.Err, "DIUN_GRPC") {
		t.Errorf("connection refused: %q names neither Diun's listen address nor DIUN_GRPC", s.Err)
	}
	// An error that is not gRPC's is shown as it is.
	if _, ok := Explain("diun:42286", time.Second, context.Canceled); ok {
		t.Error("Explain took a non-gRPC error")
	}
}

// grpcServer serves gRPC, with Diun's services (that answer nothing) when diun.
func grpcServer(t *testing.T, diun bool, opts ...grpc.ServerOption) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	if diun {
		diunpb.RegisterImageServiceServer(srv, diunpb.UnimplementedImageServiceServer{})
		diunpb.RegisterNotifServiceServer(srv, diunpb.UnimplementedNotifServiceServer{})
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}
