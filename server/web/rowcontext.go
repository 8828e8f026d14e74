package web

import (
	"net/url"
	"strings"

	"diundashboard/internal/imageinfo"
	"diundashboard/server/store"
)

// rowContext is what a row tells, beside what it runs as (runsAs), about where an image runs and where to read about its
// update, derived from the notification alone: no network call, so that it costs nothing to
// render for every row. Metadata and references come from Diun and the labels people set:
// untrusted text, escaped by the templates, and only http(s) addresses ever become links.
type rowContext struct {
	// Stack is the compose project or swarm stack (labels diun.metadata.stack,
	// com.docker.compose.project, com.docker.stack.namespace, or a swarm service's name);
	// Namespace the Kubernetes or Nomad namespace.
	Stack, Namespace string
	// Group is what the overview's stack filter matches and what grouping by stack groups on:
	// store.StackOf, the stack or else the namespace, as the store's search table has it.
	Group string
	// Stopped is the container's state when it is not running ("exited", "restarting").
	Stopped string
	// Source is where the image's code or registry page is; Releases its release notes.
	Source   link
	Releases link
}

// link is an http(s) address and the word a row shows for it.
type link struct {
	URL, Label string
}

// containerStates are the Docker states worth a warning (ctn_state); "running" is not one,
// and a value that is none of these is not shown (it is free text from a label).
var containerStates = map[string]bool{"created": true, "paused": true, "restarting": true, "removing": true, "exited": true, "dead": true}

// newRowContext derives the context of img. Kubernetes' pod_status is a dump of the whole pod
// status: it is not shown here (the image page lists it with the rest of the metadata).
func newRowContext(img store.Image) rowContext {
	m := img.Metadata
	c := rowContext{
		Stack:     firstNonEmpty(m["stack"], m["com.docker.compose.project"], m["com.docker.stack.namespace"], store.SwarmStack(img.Provider, m)),
		Namespace: firstNonEmpty(m["pod_namespace"], m["job_namespace"]),
		Group:     store.StackOf(img.Provider, m),
	}
	if s := strings.ToLower(m["ctn_state"]); containerStates[s] {
		c.Stopped = s
	} else if strings.EqualFold(m["job_status"], "dead") {
		c.Stopped = "job dead"
	}
	c.Source, c.Releases = sourceLinks(img)
	if c.Source.URL == strings.TrimSuffix(img.HubLink, "/") || c.Source.Label == "Docker Hub" && img.HubLink != "" {
		// The row already links the registry page Diun gave: one registry link is enough.
		c.Source = link{}
	}
	return c
}

// sourceLinks finds where an image comes from, first match wins: the OCI source label in the
// metadata, Diun's hub_link when it points at GitHub or GitLab, then the conventions of the
// registries (imageinfo.RegistryLinks). Release notes are inferred for GitHub and GitLab
// projects only.
func sourceLinks(img store.Image) (source, releases link) {
	var u *url.URL
	if s, ok := httpURL(img.Metadata["org.opencontainers.image.source"]); ok {
		u = s
	} else if h, ok := httpURL(img.HubLink); ok && imageinfo.CodeHost(h.Host) {
		u = h
	}
	if u == nil {
		source, releases := imageinfo.RegistryLinks(img.Image)
		return link(source), link(releases)
	}
	source = link{URL: u.String(), Label: "source"}
	return source, link(imageinfo.ReleasesOf(u))
}

// httpURL parses an absolute http(s) URL with a host and no user info (which would let
// "https://github.com@evil.example" pass for GitHub); anything else is no link at all.
func httpURL(raw string) (*url.URL, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 2048 {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return nil, false
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil, false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if strings.HasSuffix(u.Path, ".git") && imageinfo.CodeHost(u.Host) {
		u.Path = strings.TrimSuffix(u.Path, ".git")
	}
	return u, true
}

// containerNames is Docker's ctn_names as a person reads it: the API's names carry a leading
// slash and Diun joins them with bare commas ("/nginx-proxy,/nginx-proxy-2"), shown as
// "nginx-proxy, nginx-proxy-2".
func containerNames(v string) string {
	var names []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimPrefix(strings.TrimSpace(n), "/"); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}
