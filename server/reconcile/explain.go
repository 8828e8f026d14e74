package reconcile

import (
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// listenHint names where Diun's gRPC server listens (docs/connect-diun.md).
const listenHint = "diun serve --grpc-authority, env GRPC_AUTHORITY; :42286 by default"

// Explain turns a failed call to the Diun at addr into a sentence for the Connect page and the
// log: what happened and what to check (Diun's gRPC listen address, DIUN_GRPC, the network),
// instead of gRPC's "rpc error: code = Unavailable desc = connection error: …". ok is false
// when err is no gRPC error (a store error, the test notification that never arrived): those
// say what to do already. The raw error goes with it in the log and in the page's details.
// Neither holds a secret: DIUN_GRPC has no user or password (ParseTargets refuses one), and
// gRPC's messages name addresses only.
func Explain(addr string, timeout time.Duration, err error) (sentence string, ok bool) {
	s, isGRPC := status.FromError(err)
	if err == nil || !isGRPC || s.Code() == codes.OK {
		return "", false
	}
	msg := s.Message()
	has := func(parts ...string) bool {
		for _, p := range parts {
			if strings.Contains(msg, p) {
				return true
			}
		}
		return false
	}
	host, port, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		host, port = addr, "42286"
	}
	switch code := s.Code(); {
	case has("no such host", "server misbehaving", "Temporary failure in name resolution", "produced zero addresses"):
		return fmt.Sprintf("The name %q in DIUN_GRPC (%s) does not resolve. With compose, give Diun's service name and put Diun and the dashboard on one network; otherwise give Diun's IP address or a DNS name the dashboard can resolve.", host, addr), true
	case has("connection refused"):
		return fmt.Sprintf("Nothing accepts connections at %s (connection refused). Check that Diun runs \"diun serve\", that its gRPC server listens on the port DIUN_GRPC gives (%s), and that DIUN_GRPC names Diun's host.", addr, listenHint), true
	case has("HTTP/1.1"):
		return fmt.Sprintf("A web server (HTTP/1.1) answers at %s, not Diun's gRPC server. DIUN_GRPC must give the port Diun's gRPC server listens on (%s), not a web port or a proxy.", addr, listenHint), true
	case has("server preface", "handshake", "tls:", "EOF", "connection reset", "broken pipe"):
		return fmt.Sprintf("The server at %s closed the connection without speaking gRPC. The dashboard speaks plaintext gRPC, as Diun does: a TLS port, a proxy in between or another service on that port answers like this. Point DIUN_GRPC straight at Diun's gRPC server (%s).", addr, listenHint), true
	case code == codes.DeadlineExceeded || has("i/o timeout", "no route to host", "network is unreachable", "host is unreachable"):
		return fmt.Sprintf("The Diun at %s did not answer within %s. Check the network between the dashboard and Diun (the same compose network, no firewall dropping port %s) and that Diun is not stuck.", addr, timeout, port), true
	case code == codes.Unimplemented:
		return fmt.Sprintf("The server at %s speaks gRPC but has no Diun image API. Check that DIUN_GRPC gives the port of Diun's gRPC server (%s), not another gRPC service's, and that it is Diun 4 (\"diun serve\").", addr, listenHint), true
	case code == codes.Unauthenticated || code == codes.PermissionDenied:
		return fmt.Sprintf("The server at %s refused the request (%s). Diun's gRPC server asks for no credentials, so something between the dashboard and Diun does (a proxy): point DIUN_GRPC straight at Diun's gRPC server (%s).", addr, code, listenHint), true
	case code == codes.Unavailable:
		return fmt.Sprintf("The Diun at %s cannot be reached. Check that Diun runs \"diun serve\" with its gRPC server on that port (%s), and the network between the dashboard and Diun.", addr, listenHint), true
	default:
		return fmt.Sprintf("The Diun at %s answered with an error (%s): see gRPC's own words below and Diun's log.", addr, code), true
	}
}
