package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"diundashboard/server/store"
)

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":   h.assetURL,
		"rel":     func(t time.Time) string { return relTime(h.now(), t) },
		"exact":   exactTime,
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"deref":   func(t *time.Time) time.Time { return *t },
		"short":   shortDigest,
		"path":    url.PathEscape,
		"plural":  plural,
		"stateOf": func(s string) store.State { return store.State(s) },
	}
}

// relTime says how long ago t was, the way a person would.
func relTime(now, t time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
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

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func exactTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// splitImage cuts a reference into repository and tag ("latest" when there is none), and
// drops the docker.io/library/ a person never types.
func splitImage(ref string) (repo, tag string) {
	repo = ref
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo, tag = repo[:i], repo[i+1:]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo, tag = repo[:i], repo[i+1:]
	}
	if tag == "" {
		tag = "latest"
	}
	repo = strings.TrimPrefix(repo, "docker.io/")
	repo = strings.TrimPrefix(repo, "library/")
	return repo, tag
}

// runsAs names what an image runs as, from the metadata each Diun provider sends.
func runsAs(m map[string]string) []string {
	if m == nil {
		return nil
	}
	var out []string
	if v := m["ctn_names"]; v != "" { // docker
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

// ageClass colours the age of the new image: fresh under a week, older under a month, old.
func ageClass(now time.Time, created *time.Time) string {
	if created == nil {
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
