// Package reconcile reads what each Diun knows over its gRPC API (ImageService) and records, through
// the one write path, every digest the dashboard missed: updates whose webhook never arrived
// (source "reconcile", announced like any update) and images the dashboard never heard of
// (source "backfill", recorded as known). See the README's "Connect Diun".
package reconcile

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"diundashboard/internal/textutil"
)

// Target is one Diun's gRPC address, with the hostname its webhooks carry when it was given
// (DIUN_GRPC "nas=diun-nas:42286"); "" means learn it with NotifTest.
type Target struct {
	Host string
	Addr string
}

// DefaultInterval is DIUN_RECONCILE's default.
const DefaultInterval = 15 * time.Minute

// ParseTargets reads DIUN_GRPC: addresses host:port, space or comma separated, each optionally
// prefixed by the hostname of its webhooks and "=". Empty: none.
func ParseTargets(s string) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		var t Target
		if host, addr, ok := strings.Cut(f, "="); ok {
			if host == "" {
				return nil, fmt.Errorf("DIUN_GRPC entry %q has an empty hostname before '=': write hostname=address, e.g. nas=diun:42286, or the address alone", f)
			}
			t.Host, f = host, addr
		}
		h, port, err := net.SplitHostPort(f)
		if err != nil || h == "" {
			return nil, fmt.Errorf("DIUN_GRPC entry %q is not host:port (Diun's gRPC server, GRPC_AUTHORITY, listens on :42286 by default; e.g. diun:42286)", f)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("DIUN_GRPC entry %q has port %q, not a number from 1 to 65535", f, port)
		}
		if strings.ContainsAny(f, "/?#@") {
			return nil, fmt.Errorf("DIUN_GRPC entry %q is not host:port: give no scheme, path or user (e.g. diun:42286)", f)
		}
		t.Addr = f
		if seen[t.Addr] {
			return nil, fmt.Errorf("DIUN_GRPC names %s twice", t.Addr)
		}
		seen[t.Addr] = true
		out = append(out, t)
	}
	return out, nil
}

// ParseInterval reads DIUN_RECONCILE: a duration of at least a minute (15m, 1h), a number of
// days written with its "d" like EVENT_RETENTION's (1d), or "off" (0: reconcile only on start,
// and after a webhook from a host that was silent). A bare number other than 0 is refused: 15
// could mean minutes as well as days.
func ParseInterval(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return DefaultInterval, nil
	case "off", "0":
		return 0, nil
	}
	bad := fmt.Errorf("DIUN_RECONCILE %q is not a duration of at least 1m (such as 15m, 1h or 1d) or off", s)
	if strings.HasSuffix(s, "d") {
		n, ok := textutil.ParseDays(s)
		if !ok || n < 1 || n > 365 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Minute {
		return 0, bad
	}
	return d, nil
}
