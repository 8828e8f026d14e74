package web

import (
	"slices"
	"testing"

	"diundashboard/server/store"
)

func TestRowContextGroupsAndNames(t *testing.T) {
	cases := []struct {
		name                    string
		provider                string
		meta                    map[string]string
		stack, namespace, group string
		runs                    []string
		stopped                 string
	}{
		{name: "no metadata"},
		{name: "docker with a stack label",
			meta:  map[string]string{"ctn_names": "webapp-1", "ctn_state": "running", "stack": "shop"},
			stack: "shop", group: "shop", runs: []string{"container webapp-1"}},
		{name: "compose project",
			meta:  map[string]string{"ctn_names": "db", "com.docker.compose.project": "media", "ctn_state": "exited"},
			stack: "media", group: "media", runs: []string{"container db"}, stopped: "exited"},
		{name: "the stack label wins over the compose project",
			meta:  map[string]string{"stack": "a", "com.docker.compose.project": "b"},
			stack: "a", group: "a"},
		{name: "swarm stack namespace",
			meta:  map[string]string{"svc_id": "abcdef1234567890", "ctn_name": "web", "com.docker.stack.namespace": "edge"},
			stack: "edge", group: "edge", runs: []string{"service web"}},
		{name: "swarm: a service that docker stack deploy named <stack>_<service>", provider: "swarm",
			meta:  map[string]string{"svc_id": "abcdef1234567890", "ctn_name": "media_plex"},
			stack: "media", group: "media", runs: []string{"service media_plex"}},
		{name: "swarm: a service made by hand has no stack", provider: "swarm",
			meta: map[string]string{"svc_id": "abcdef1234567890", "ctn_name": "plex"},
			runs: []string{"service plex"}},
		{name: "kubernetes: a container name with an underscore names no stack", provider: "kubernetes",
			meta:      map[string]string{"pod_name": "api-7d9", "pod_namespace": "prod", "ctn_name": "api_server"},
			namespace: "prod", group: "prod", runs: []string{"pod prod/api-7d9"}},
		{name: "kubernetes: the namespace groups, pod_status is not shown",
			meta:      map[string]string{"pod_name": "api-7d9", "pod_namespace": "prod", "ctn_name": "api", "pod_status": `{"phase":"Running","conditions":[…]}`},
			namespace: "prod", group: "prod", runs: []string{"pod prod/api-7d9"}},
		{name: "a stack label and a namespace",
			meta:  map[string]string{"pod_namespace": "prod", "stack": "shop"},
			stack: "shop", namespace: "prod", group: "shop"},
		{name: "nomad",
			meta:      map[string]string{"job_name": "cache", "task_name": "redis", "job_namespace": "default", "job_status": "dead"},
			namespace: "default", group: "default", runs: []string{"job cache, task redis"}, stopped: "job dead"},
		{name: "restarting, in capitals",
			meta: map[string]string{"ctn_names": "x", "ctn_state": "Restarting"},
			runs: []string{"container x"}, stopped: "restarting"},
		{name: "docker's names: leading slashes dropped, a space after each comma",
			meta: map[string]string{"ctn_names": "/nginx-proxy,/nginx-proxy-2"},
			runs: []string{"container nginx-proxy, nginx-proxy-2"}},
		{name: "names that are only slashes and commas say nothing",
			meta: map[string]string{"ctn_names": "/, /"}},
		{name: "an unknown state is free text: not shown",
			meta: map[string]string{"ctn_state": "<b>on fire</b>"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := newRowContext(store.Image{Image: "example.org/x:1", Provider: c.provider, Metadata: c.meta})
			if got.Stack != c.stack || got.Namespace != c.namespace || got.Group != c.group || got.Stopped != c.stopped {
				t.Errorf("stack %q namespace %q group %q stopped %q; want %q %q %q %q", got.Stack, got.Namespace, got.Group, got.Stopped, c.stack, c.namespace, c.group, c.stopped)
			}
			if runs := runsAs(c.meta); !slices.Equal(runs, c.runs) {
				t.Errorf("runs as %q, want %q", runs, c.runs)
			}
			if got.Group != store.StackOf(c.provider, c.meta) {
				t.Errorf("group %q differs from the store's stack %q: the filter would not find the row", got.Group, store.StackOf(c.provider, c.meta))
			}
		})
	}
}

func TestRowContextLinks(t *testing.T) {
	cases := []struct {
		name, ref, hub string
		meta           map[string]string
		source, label  string
		releases       string
	}{
		{name: "OCI source label on GitHub", ref: "docker.io/acme/app:1",
			meta:   map[string]string{"org.opencontainers.image.source": "https://github.com/acme/app"},
			source: "https://github.com/acme/app", label: "source", releases: "https://github.com/acme/app/releases"},
		{name: "OCI source with .git and a sub-path", ref: "example.org/app:1",
			meta:   map[string]string{"org.opencontainers.image.source": "https://github.com/acme/app.git"},
			source: "https://github.com/acme/app", label: "source", releases: "https://github.com/acme/app/releases"},
		{name: "OCI source elsewhere: a link, no release notes", ref: "example.org/app:1",
			meta:   map[string]string{"org.opencontainers.image.source": "https://git.example.org/team/app"},
			source: "https://git.example.org/team/app", label: "source"},
		{name: "GitLab", ref: "registry.gitlab.com/g/p:1",
			meta:   map[string]string{"org.opencontainers.image.source": "https://gitlab.com/g/p"},
			source: "https://gitlab.com/g/p", label: "source", releases: "https://gitlab.com/g/p/-/releases"},
		{name: "javascript: in the label is no link", ref: "example.org/app:1",
			meta: map[string]string{"org.opencontainers.image.source": "javascript:alert(1)"}},
		{name: "data: in the label is no link, the registry convention applies", ref: "ghcr.io/acme/app:1",
			meta:   map[string]string{"org.opencontainers.image.source": "data:text/html,<script>alert(1)</script>"},
			source: "https://github.com/acme/app", label: "source", releases: "https://github.com/acme/app/releases"},
		{name: "user info is refused", ref: "example.org/app:1",
			meta: map[string]string{"org.opencontainers.image.source": "https://github.com@evil.example/acme/app"}},
		{name: "hub_link on GitHub (Diun's docker provider with a label)", ref: "127.0.0.1:5000/acme/webapp:1.4",
			hub: "https://github.com/acme/webapp", releases: "https://github.com/acme/webapp/releases"},
		{name: "ghcr.io", ref: "ghcr.io/home-assistant/home-assistant:2026.6",
			source: "https://github.com/home-assistant/home-assistant", label: "source", releases: "https://github.com/home-assistant/home-assistant/releases"},
		{name: "ghcr.io with a digest", ref: "ghcr.io/acme/tool/sub@sha256:0123",
			source: "https://github.com/acme/tool", label: "source", releases: "https://github.com/acme/tool/releases"},
		{name: "lscr.io linuxserver", ref: "lscr.io/linuxserver/sonarr:latest",
			source: "https://github.com/linuxserver/docker-sonarr", label: "source", releases: "https://github.com/linuxserver/docker-sonarr/releases"},
		{name: "docker.io library", ref: "docker.io/library/nginx:1.29",
			source: "https://hub.docker.com/_/nginx", label: "Docker Hub"},
		{name: "docker.io library, same as hub_link: shown once", ref: "docker.io/library/nginx:1.29", hub: "https://hub.docker.com/_/nginx"},
		{name: "Docker Hub beside another registry link: that one is enough", ref: "docker.io/acme/app:1", hub: "https://hub.docker.com/r/acme/app/tags"},
		{name: "a source beside a registry link stays", ref: "ghcr.io/acme/app:1", hub: "https://hub.docker.com/r/acme/app",
			source: "https://github.com/acme/app", label: "source", releases: "https://github.com/acme/app/releases"},
		{name: "docker.io owner", ref: "docker.io/grafana/grafana:11",
			source: "https://hub.docker.com/r/grafana/grafana", label: "Docker Hub"},
		{name: "short Docker Hub names", ref: "redis:7",
			source: "https://hub.docker.com/_/redis", label: "Docker Hub"},
		{name: "a private registry has no convention", ref: "registry.example:5000/team/api:latest"},
		{name: "odd characters in a path are no link", ref: `ghcr.io/acme/"><script>:1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := newRowContext(store.Image{Image: c.ref, HubLink: c.hub, Metadata: c.meta})
			if got.Source.URL != c.source || got.Source.URL != "" && got.Source.Label != c.label {
				t.Errorf("source %+v, want %q labelled %q", got.Source, c.source, c.label)
			}
			if got.Releases.URL != c.releases {
				t.Errorf("release notes %q, want %q", got.Releases.URL, c.releases)
			}
			if got.Releases.URL != "" && got.Releases.Label != "release notes" {
				t.Errorf("release notes labelled %q", got.Releases.Label)
			}
		})
	}
}
