package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"

	"diundashboard/internal/textutil"
	"diundashboard/server/api"
	"diundashboard/server/httpx"
)

// DNS rebinding: a web page on a name its author controls (evil.example) can make that name
// resolve to the dashboard's address, and then read and change the dashboard with same-origin
// requests, which carry whatever authority the dashboard grants without a credential
// (AUTH_MODE=none, a trusted proxy's header). Such requests always name the attacker's host in
// their Host header, so the dashboard answers them only for host names it knows to be its own.

// AllowedHosts is the parsed ALLOWED_HOSTS: host names, and *.example.com patterns that match
// every subdomain of example.com (not example.com itself). The zero value allows no extra name.
type AllowedHosts struct {
	names    []string // lower case, without a trailing dot
	suffixes []string // ".example.com" for "*.example.com"
}

// ParseAllowedHosts reads a comma-separated list of host names and *.domain patterns, without
// scheme or port (every port of an allowed name is allowed).
func ParseAllowedHosts(raw string) (AllowedHosts, error) {
	var h AllowedHosts
	for _, f := range strings.Split(raw, ",") {
		f = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f)), ".")
		if f == "" {
			continue
		}
		if f == "*" {
			return AllowedHosts{}, errors.New(`ALLOWED_HOSTS: "*" would allow every host name and give up the protection against DNS rebinding; list the names the dashboard is reached by, such as dashboard.example.com or *.example.com`)
		}
		name, wildcard := strings.CutPrefix(f, "*.")
		if !validHostName(name) {
			return AllowedHosts{}, fmt.Errorf("ALLOWED_HOSTS: %q is not a host name or a *.domain pattern; list names such as dashboard.example.com or *.example.com, separated by commas, without scheme or port (IP addresses and localhost are always allowed)", textutil.Truncate(f, 100))
		}
		// *.com, *.co.uk or *.github.io would allow anybody's name, just as "*" would. A private
		// top-level name (*.lan, *.home.arpa, *.internal) is nobody else's: the public suffix
		// list knows it only by its default rule, so it is not an ICANN suffix of one label.
		// home.arpa is the special-use domain of home networks (RFC 8375), nobody's to register.
		if ps, icann := publicsuffix.PublicSuffix(name); wildcard && ps == name && name != "home.arpa" && (icann || strings.Contains(name, ".")) {
			return AllowedHosts{}, fmt.Errorf("ALLOWED_HOSTS: %q would allow every name under the public suffix %q, anybody's, and give up the protection against DNS rebinding; name your own domain, such as *.example.com", textutil.Truncate(f, 100), name)
		}
		if wildcard {
			h.suffixes = append(h.suffixes, "."+name)
		} else {
			h.names = append(h.names, name)
		}
	}
	return h, nil
}

// validHostName accepts a DNS name: labels of letters, digits, hyphens and underscores (Docker
// service names may have them), at most 63 characters each and 253 in all.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// String lists the names and patterns as ALLOWED_HOSTS would.
func (h AllowedHosts) String() string {
	out := append([]string(nil), h.names...)
	for _, s := range h.suffixes {
		out = append(out, "*"+s)
	}
	return strings.Join(out, ",")
}

// hostPolicy is what the server accepts in Host: localhost and its subdomains (browsers
// resolve them to loopback themselves), IP literals (an address cannot be rebound), the host
// of BASE_URL and ALLOWED_HOSTS.
type hostPolicy struct {
	baseHost string
	extra    AllowedHosts
}

func newHostPolicy(baseURL string, extra AllowedHosts) hostPolicy {
	p := hostPolicy{extra: extra}
	if u, err := url.Parse(baseURL); err == nil {
		p.baseHost = strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	}
	return p
}

// allows tells whether a request's Host header (with or without a port) names this dashboard.
func (p hostPolicy) allows(hostport string) bool {
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		// "127.0.0.1:18471.evil.com" or "localhost:evil" name no port of ours: without this,
		// the name before the colon would be judged alone.
		if !validPort(port) {
			return false
		}
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		// HTTP/1.0 without Host: no browser sends that, so it is no rebinding attempt.
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || host == p.baseHost {
		return true
	}
	for _, n := range p.extra.names {
		if host == n {
			return true
		}
	}
	for _, s := range p.extra.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// validPort accepts the port of a Host header: empty (RFC 3986 allows "host:") or decimal
// digits up to 65535.
func validPort(port string) bool {
	if len(port) > 5 {
		return false
	}
	n := 0
	for _, r := range port {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n <= 65535
}

// describe lists what the policy accepts, for the start-up log.
func (p hostPolicy) describe() []string {
	out := []string{"localhost", "*.localhost", "IP addresses"}
	if p.baseHost != "" {
		out = append(out, p.baseHost+" (BASE_URL)")
	}
	out = append(out, p.extra.names...)
	for _, s := range p.extra.suffixes {
		out = append(out, "*"+s)
	}
	return out
}

// AllowedHostNames lists the host names the server answers requests without a token for:
// what the start-up log shows.
func (s *Server) AllowedHostNames() []string { return s.hosts.describe() }

// checkHost answers 421 Misdirected Request to a request for a host name that is not the
// dashboard's, unless the request needs no ambient authority: it carries a token (a rebinding
// page has none; the feed's ?token= is judged alone too), or it is the webhook (Diun's token
// is its only credential) or a health check.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hosts.allows(r.Host) || s.auth.ByTokenOnly(r) || api.HasFeedToken(r) {
			next.ServeHTTP(w, r)
			return
		}
		switch r.URL.Path {
		case "/webhook", "/healthz", "/readyz":
			next.ServeHTTP(w, r)
			return
		}
		const why = "This dashboard does not answer to the host name %q. Requests that rely on a sign-in session, a proxy's user header or AUTH_MODE=none are served only for the host of BASE_URL, localhost, IP addresses and the names in ALLOWED_HOSTS, so that another web site cannot reach the dashboard by DNS rebinding. If you reach the dashboard by this name, add it to ALLOWED_HOSTS (comma-separated; *.example.com allows every subdomain) or set BASE_URL to the dashboard's public URL, and restart."
		host := textutil.Truncate(r.Host, 260)
		if wantsJSONError(r) {
			httpx.WriteError(w, http.StatusMisdirectedRequest, why, host)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMisdirectedRequest)
		fmt.Fprintf(w, "421 Misdirected Request\n\n"+why+"\n", host)
	})
}

// wantsJSONError tells API clients and the UI's fetch calls, which read JSON errors, from
// browsers loading a page.
func wantsJSONError(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json")
}
