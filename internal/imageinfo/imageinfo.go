// Package imageinfo derives what the dashboard says about an image from Diun's fields alone,
// the same way on every page and in every message: whether its build date is a real one, and
// the registry and source pages it infers from the image's reference (server/web's rows and
// server/notify's messages). No network call.
package imageinfo

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// noBuildDate is the build time of an image built without one: reproducible builds stamp
// 1970-01-01 (SOURCE_DATE_EPOCH=0), some tools 0001-01-01 (Go's zero time) or 1980-01-01 (the
// zip epoch). No container image is older than Docker (2013); anything before 2000 is such a
// placeholder, not an age, and is shown as "build date not set".
var noBuildDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// BuildDate is the build time an image carries, or nil when it carries none or a placeholder.
func BuildDate(created *time.Time) *time.Time {
	if created == nil || created.Before(noBuildDate) {
		return nil
	}
	return created
}

// BuildDateUnset reports whether created is a placeholder: the image says when it was built,
// but not truly ("build date not set").
func BuildDateUnset(created *time.Time) bool {
	return created != nil && BuildDate(created) == nil
}

// Link is an http(s) address and the word shown for it.
type Link struct {
	URL, Label string
}

// CodeHost reports whether host is GitHub or GitLab, whose project paths the links know.
func CodeHost(host string) bool {
	h := strings.TrimPrefix(strings.ToLower(host), "www.")
	return h == "github.com" || h == "gitlab.com"
}

// ReleasesOf is the release notes page of a GitHub or GitLab project URL, or nothing.
func ReleasesOf(u *url.URL) Link {
	if !CodeHost(u.Host) {
		return Link{}
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || !pathSegment.MatchString(parts[0]) || !pathSegment.MatchString(parts[1]) {
		return Link{}
	}
	owner, repo := parts[0], strings.TrimSuffix(parts[1], ".git")
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	rel := "/releases"
	if host == "gitlab.com" {
		rel = "/-/releases"
	}
	return Link{URL: "https://" + host + "/" + owner + "/" + repo + rel, Label: "release notes"}
}

// pathSegment is a name that may stand in a URL path as it is: registries and code hosts
// allow no more in an owner or repository name.
var pathSegment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// RegistryLinks applies the registries' conventions to a reference (ghcr.io/OWNER/REPO is
// github.com/OWNER/REPO, lscr.io/linuxserver/NAME is github.com/linuxserver/docker-NAME,
// docker.io images have a Docker Hub page). The dashboard picks every host itself, and the
// path only from names a registry allows: these links are safe to show from untrusted input.
func RegistryLinks(ref string) (source, releases Link) {
	name := ref
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name = name[:i]
	}
	parts := strings.Split(name, "/")
	// A first part without a dot, a colon or "localhost" is a Docker Hub path, not a registry.
	if len(parts) == 1 || !strings.ContainsAny(parts[0], ".:") && parts[0] != "localhost" {
		parts = append([]string{"docker.io"}, parts...)
	}
	for _, p := range parts[1:] {
		if !pathSegment.MatchString(p) {
			return Link{}, Link{}
		}
	}
	registry, path := strings.ToLower(parts[0]), parts[1:]
	dockerHub := registry == "docker.io" || registry == "index.docker.io" || registry == "registry-1.docker.io"
	if dockerHub && len(path) == 1 {
		path = []string{"library", path[0]} // "redis" is docker.io/library/redis
	}
	switch {
	case registry == "ghcr.io" && len(path) >= 2:
		u := &url.URL{Scheme: "https", Host: "github.com", Path: "/" + path[0] + "/" + path[1]}
		return Link{URL: u.String(), Label: "source"}, ReleasesOf(u)
	case registry == "lscr.io" && len(path) == 2 && strings.EqualFold(path[0], "linuxserver"):
		u := &url.URL{Scheme: "https", Host: "github.com", Path: "/linuxserver/docker-" + strings.ToLower(path[1])}
		return Link{URL: u.String(), Label: "source"}, ReleasesOf(u)
	case dockerHub && len(path) == 2 && path[0] == "library":
		return Link{URL: "https://hub.docker.com/_/" + path[1], Label: "Docker Hub"}, Link{}
	case dockerHub && len(path) == 2:
		return Link{URL: "https://hub.docker.com/r/" + path[0] + "/" + path[1], Label: "Docker Hub"}, Link{}
	}
	return Link{}, Link{}
}
