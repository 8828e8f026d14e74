package web

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"diundashboard/internal/imageinfo"
	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":   h.assetURL,
		"rel":     func(t time.Time) string { return relTime(h.now(), t) },
		"exact":   exactTime,
		"days":    func(t time.Time) string { return relDays(h.now(), t) },
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"marks":   marksAttr,
		"msTime":  msTime,
		"deref":   func(t *time.Time) time.Time { return *t },
		"short":   shortDigest,
		"path":    url.PathEscape,
		"plural":  plural,
		"stateOf": func(s string) store.State { return store.State(s) },
		"status":  statusLabel,
		"link":    linkURL,
		// Diun writes an unknown platform as "/" (empty os and architecture): show nothing.
		"platform": func(p string) string {
			if strings.Trim(p, "/") == "" {
				return ""
			}
			return p
		},
	}
}

// linkURL is raw when it is an http(s) URL a page may link to (httpURL), "" otherwise: a hub_link
// of any other scheme is shown as text, not as a link html/template would neuter to #ZgotmplZ.
func linkURL(raw string) string {
	if _, ok := httpURL(raw); !ok {
		return ""
	}
	return strings.TrimSpace(raw)
}

// statusLabel is Diun's status in plain words: "new" is an image it reports for the first
// time, "update" a new digest under a tag it knew.
func statusLabel(s string) string {
	switch s {
	case "new":
		return "new image"
	case "update":
		return "new digest"
	}
	return s
}

// relTime says how long ago t was, or how long until it comes, the way a person would.
func relTime(now, t time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case future && d < time.Minute:
		// A retry due in seconds is not "just now": seconds begun, so that it never says 0.
		s = plural(int64((d+time.Second-1)/time.Second), "second")
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = plural(int64(d/time.Minute), "minute")
	case d < 24*time.Hour:
		s = plural(int64(d/time.Hour), "hour")
	case d < 60*24*time.Hour:
		s = plural(int64(d/(24*time.Hour)), "day")
	case d < 730*24*time.Hour:
		s = plural(int64(d/(30*24*time.Hour)), "month")
	default:
		s = plural(int64(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// plural is textutil.Plural, the name the templates and handlers use.
var plural = textutil.Plural

// exactTime writes t the one way the server writes a time for people: in UTC, which it says.
// app.js shows each such time, in a page or in a message, in the browser's own zone (the
// server cannot know it), so this layout is a contract with app.js's utcInText.
func exactTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// relDays says how long is left until t, for a time a person planned ("for 7 more days"):
// rounded to the nearest day, so that a snooze of 7 days made a moment ago still says 7;
// under a day, in hours begun.
func relDays(now, t time.Time) string {
	d := t.Sub(now)
	if d < 0 {
		return relTime(now, t)
	}
	if d < 24*time.Hour {
		return "for " + plural(int64((d+time.Hour-1)/time.Hour), "more hour")
	}
	return "for " + plural(int64((d+12*time.Hour)/(24*time.Hour)), "more day")
}

func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// imageRef is an image reference cut for display: "ghcr.io/acme/app:2.0@sha256:…" is the
// repository "ghcr.io/acme/app", the tag "2.0" and the digest "sha256:…"; either may be absent.
type imageRef struct {
	Repo, Tag, Digest string
}

// parseRef cuts a reference, and drops the docker.io/library/ a person never types. A
// reference with neither tag nor digest means the tag "latest"; one pinned by digest alone
// has no tag ("name@sha256:…" is not "name:sha256:…").
func parseRef(ref string) imageRef {
	var r imageRef
	repo := ref
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo, r.Digest = repo[:i], repo[i+1:]
	}
	// A colon after the last slash ends the name; one before it is a registry's port.
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo, r.Tag = repo[:i], repo[i+1:]
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	repo = strings.TrimPrefix(repo, "docker.io/")
	r.Repo = strings.TrimPrefix(repo, "library/")
	return r
}

// Version is what follows the repository on screen: ":tag", "@sha256:0123456789ab" (the
// digest cut to 12 hex digits, the whole reference being in the title) or both.
func (r imageRef) Version() string {
	s := ""
	if r.Tag != "" {
		s = ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + shortDigest(r.Digest)
	}
	return s
}

// Name is the reference as messages and titles name it: "nginx:1.29".
func (r imageRef) Name() string { return r.Repo + r.Version() }

// runsAs names what an image runs as, from the metadata each Diun provider sends.
func runsAs(m map[string]string) []string {
	if m == nil {
		return nil
	}
	var out []string
	if v := containerNames(m["ctn_names"]); v != "" { // docker
		out = append(out, "container "+v)
	}
	if pod := m["pod_name"]; pod != "" { // kubernetes
		if ns := m["pod_namespace"]; ns != "" {
			pod = ns + "/" + pod
		}
		out = append(out, "pod "+pod)
	}
	if m["svc_id"] != "" { // swarm
		name := m["ctn_name"]
		if name == "" {
			name = shortID(m["svc_id"])
		}
		out = append(out, "service "+name)
	} else if v := m["ctn_name"]; v != "" && m["pod_name"] == "" {
		out = append(out, "container "+v)
	}
	if job := firstNonEmpty(m["job_name"], m["job_id"]); job != "" { // nomad
		s := "job " + job
		if task := m["task_name"]; task != "" {
			s += ", task " + task
		}
		out = append(out, s)
	}
	return out
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// buildDate is the build time an image carries, or nil when it carries none or a placeholder
// (imageinfo.BuildDate: messages follow the same rule).
func buildDate(created *time.Time) *time.Time { return imageinfo.BuildDate(created) }

// ageClass colours the age of the new image: fresh under a week, older under a month, old.
func ageClass(now time.Time, created *time.Time) string {
	if buildDate(created) == nil {
		return ""
	}
	switch d := now.Sub(*created); {
	case d < 7*24*time.Hour:
		return "age-week"
	case d < 30*24*time.Hour:
		return "age-month"
	}
	return "age-old"
}
