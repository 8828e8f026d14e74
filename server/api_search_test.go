package server

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// GET /api/v1/images takes the overview's stack filter and finds images by the names in
// their metadata, as the UI does (both read query.ParseImages).
func TestAPIImagesStackAndNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		for i, c := range []struct{ image, meta string }{
			{"lscr.io/linuxserver/plex:latest", `{"ctn_names":"plex-server","com.docker.compose.project":"media"}`},
			{"docker.io/library/nginx:1", `{"ctn_names":"web","stack":"shop"}`},
			{"ghcr.io/acme/api:2", `{"pod_name":"api-7d9","pod_namespace":"prod"}`},
		} {
			env.wantStatus(env.webhook(fmt.Sprintf(`{"hostname":"vm","image":%q,"digest":"sha256:%064x","metadata":%s}`, c.image, i+1, c.meta)), http.StatusOK)
		}
		for query, want := range map[string][]string{
			"stack=media":          {"lscr.io/linuxserver/plex:latest"},
			"stack=prod":           {"ghcr.io/acme/api:2"},
			"stack=med":            nil,
			"q=PLEX-SERVER":        {"lscr.io/linuxserver/plex:latest"},
			"q=api-7d9":            {"ghcr.io/acme/api:2"},
			"q=shop&stack=shop":    {"docker.io/library/nginx:1"},
			"q=shop&stack=media":   nil,
			"stack=shop&state=all": {"docker.io/library/nginx:1"},
		} {
			images, _ := env.listImages(query)
			var got []string
			for _, img := range images {
				got = append(got, img.Image)
			}
			if !slices.Equal(got, want) {
				t.Errorf("?%s: %v, want %v", query, got, want)
			}
		}
		r := env.api(http.MethodGet, "/api/v1/images?stack="+fmt.Sprintf("%02000d", 0), nil)
		if r.Status != http.StatusBadRequest {
			t.Errorf("a stack of 2,000 bytes: %d, want 400", r.Status)
		}
	})
}
