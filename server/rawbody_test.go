package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"diundashboard/server/store"
)

// Each notification kept up to 64 KiB of fields Diun never sends, shown with its history (an
// outside review, L4): the event keeps Diun's fields only, as sent.
func TestEventsKeepOnlyDiunsFields(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		body := `{"diun_version":"4.29.0","hostname":"vm","status":"new","provider":"docker","image":"docker.io/library/nginx:1.29",` +
			`"hub_link":"","mime_type":"application/vnd.oci.image.index.v1+json","digest":"sha256:` + strings.Repeat("ab", 32) + `",` +
			`"created":"2026-06-27T13:20:19Z","platform":"linux/amd64","metadata":{"ctn_names":"web <1>"},"pad":"` + strings.Repeat("x", 60<<10) + `","extra":{"a":[1,2]}}`
		r := env.webhook(body)
		env.wantStatus(r, http.StatusOK)
		img, err := env.store.ListImages(context.Background(), store.ImageFilter{}, store.SortLastSeen, store.PageRequest{Limit: 1})
		if err != nil || len(img.Images) != 1 {
			t.Fatalf("images %v %v", img.Images, err)
		}
		evs, err := env.store.ListEvents(context.Background(), img.Images[0].ID, store.PageRequest{Limit: 1})
		if err != nil || len(evs.Events) != 1 {
			t.Fatalf("events %v %v", evs.Events, err)
		}
		raw := evs.Events[0].RawBody
		if strings.Contains(raw, "pad") || strings.Contains(raw, "extra") || len(raw) > 1<<10 {
			t.Errorf("the event keeps %d bytes, fields Diun never sends among them: %.300s", len(raw), raw)
		}
		for _, want := range []string{`"diun_version":"4.29.0"`, `"image":"docker.io/library/nginx:1.29"`, `"hub_link":""`, `"created":"2026-06-27T13:20:19Z"`, `"metadata":{"ctn_names":"web <1>"}`} {
			if !strings.Contains(raw, want) {
				t.Errorf("the event lost %s: %s", want, raw)
			}
		}
	})
}
