package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"diundashboard/server/api"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

func readBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("webhook", "testdata", "diun", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWebhookStoresEveryRealDiunBody(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		files, err := filepath.Glob("webhook/testdata/diun/*.json")
		if err != nil || len(files) < 8 {
			t.Fatalf("fixtures: %v %v", files, err)
		}
		for _, f := range files {
			body := readBody(t, filepath.Base(f))
			var sent map[string]any
			if err := json.Unmarshal([]byte(body), &sent); err != nil {
				t.Fatal(err)
			}
			r := env.webhook(body)
			env.wantStatus(r, http.StatusOK)
			var reply webhook.Reply
			r.json(t, &reply)
			if reply.EventID <= 0 {
				t.Fatalf("%s: no event id in %s", f, r.Body)
			}
			if sent["image"] == store.TestImage {
				if !reply.Check || reply.ImageID != nil {
					t.Fatalf("%s: test notification reply %s", f, r.Body)
				}
				continue
			}
			if reply.Check || reply.ImageID == nil || reply.State != "open" {
				t.Fatalf("%s: reply %s", f, r.Body)
			}
			got := env.api(http.MethodGet, fmt.Sprintf("/api/v1/images/%d", *reply.ImageID), nil)
			env.wantStatus(got, http.StatusOK)
			var img api.Image
			got.json(t, &img)
			for field, want := range sent {
				switch field {
				case "hostname", "status", "provider", "image", "hub_link", "mime_type", "digest", "platform":
					if v, _ := json.Marshal(img); !strings.Contains(string(v), fmt.Sprintf("%q:%s", field, mustJSON(t, want))) {
						t.Errorf("%s: %s = %v not kept: %s", f, field, want, v)
					}
				case "metadata":
					if want == nil && img.Metadata != nil {
						t.Errorf("%s: null metadata came back as %v", f, img.Metadata)
					}
					if m, ok := want.(map[string]any); ok && len(m) != len(img.Metadata) {
						t.Errorf("%s: metadata %v came back as %v", f, m, img.Metadata)
					}
				case "created":
					if want == nil && img.Created != nil {
						t.Errorf("%s: null created came back as %v", f, *img.Created)
					}
					if s, ok := want.(string); ok {
						sentT, _ := time.Parse(time.RFC3339Nano, s)
						gotT, err := time.Parse(time.RFC3339Nano, *img.Created)
						if err != nil || gotT.Sub(sentT).Abs() >= time.Microsecond {
							t.Errorf("%s: created %s came back as %s", f, s, *img.Created)
						}
					}
				}
			}
		}
		images, _ := env.listImages("state=all&limit=500")
		if len(images) != len(files)-1 {
			t.Fatalf("%d images listed, want %d (every fixture but the test notification)", len(images), len(files)-1)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWebhookAcceptsEveryWayDiunSends(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		body := []byte(readBody(t, "docker-update.json"))
		cases := []struct {
			name   string
			method string
			path   string
			header []string
		}{
			{"GET without Content-Type, token in query", http.MethodGet, "/webhook?token=" + testToken, nil},
			{"POST with bearer header", http.MethodPost, "/webhook", []string{"Authorization", "Bearer " + testToken}},
			{"POST with lower-case bearer and JSON type", http.MethodPost, "/webhook", []string{"Authorization", "bearer " + testToken, "Content-Type", "application/json"}},
			{"POST with an unrelated Content-Type", http.MethodPost, "/webhook?token=" + testToken, []string{"Content-Type", "text/plain"}},
			{"GET with Diun's User-Agent", http.MethodGet, "/webhook?token=" + testToken, []string{"User-Agent", "diun/v4.33.0 go/1.24 Linux", "Accept-Encoding", "gzip"}},
		}
		for i, c := range cases {
			r := env.request(c.method, c.path, body, c.header...)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: status %d: %s", c.name, r.Status, r.Body)
			}
			// Duplicate deliveries are events, never a second current row.
			images, events := env.counts()
			if images != 1 || events != i+1 {
				t.Fatalf("%s: %d images, %d events; want 1 and %d", c.name, images, events, i+1)
			}
		}
		imgs, _ := env.listImages("")
		if len(imgs) != 1 || imgs[0].Notifications != int64(len(cases)) {
			t.Fatalf("images %+v", imgs)
		}
	})
}

func TestWebhookRefusesWithoutTheToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		body := []byte(readBody(t, "docker-update.json"))
		for _, c := range []struct {
			name   string
			path   string
			header []string
		}{
			{"no token", "/webhook", nil},
			{"wrong query token", "/webhook?token=nope", nil},
			{"wrong bearer", "/webhook", []string{"Authorization", "Bearer nope"}},
			{"token as basic auth", "/webhook", []string{"Authorization", "Basic " + testToken}},
			{"bearer with the token's prefix", "/webhook", []string{"Authorization", "Bearer " + testToken[:10]}},
			{"empty bearer beside a right query token", "/webhook?token=" + testToken, []string{"Authorization", "Bearer "}},
		} {
			r := env.request(http.MethodPost, c.path, body, c.header...)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("%s: status %d", c.name, r.Status)
			}
			if msg := r.errorMessage(t); strings.Contains(msg, testToken) {
				t.Fatalf("%s: the error leaks the token: %s", c.name, msg)
			}
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%s: no WWW-Authenticate", c.name)
			}
		}
		if images, events := env.counts(); images != 0 || events != 0 {
			t.Fatalf("stored %d images and %d events without a token", images, events)
		}
		if strings.Contains(env.logs.String(), testToken) {
			t.Fatalf("the token reached the log:\n%s", env.logs)
		}
	})
}

func TestWebhookRefusesBadInputAndStoresNothing(t *testing.T) {
	valid := map[string]any{}
	good := `{"diun_version":"v4.33.0","hostname":"vm","status":"update","provider":"docker","image":"docker.io/library/nginx:1.29","hub_link":"","mime_type":"x","digest":"sha256:abcdef0123000000000000000000000000000000000000000000000000000000","created":null,"platform":"linux/amd64","metadata":null}`
	if err := json.Unmarshal([]byte(good), &valid); err != nil {
		t.Fatal(err)
	}
	with := func(field string, value any) string {
		m := map[string]any{}
		for k, v := range valid {
			m[k] = v
		}
		if value == nil {
			delete(m, field)
		} else {
			m[field] = value
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	cases := []struct {
		name   string
		body   string
		status int
		says   string
	}{
		{"empty body", "", 400, "empty"},
		{"whitespace", "  \n ", 400, "empty"},
		{"not JSON", "hello", 400, "JSON object"},
		{"an array", "[" + good + "]", 400, "one JSON object"},
		{"a string", `"x"`, 400, "one JSON object"},
		{"null", `null`, 400, "one JSON object"},
		{"truncated", good[:40], 400, "not valid JSON"},
		{"two objects", good + good, 400, "more follows"},
		{"trailing garbage", good + "x", 400, "more follows"},
		{"syntax error", `{"image":}`, 400, "not valid JSON"},
		{"invalid UTF-8", strings.Replace(good, "nginx", "ngi\xffnx", 1), 400, "UTF-8"},
		{"deeply nested", `{"metadata":` + strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000) + `}`, 400, "JSON"},
		{"image missing", with("image", nil), 422, "image"},
		{"image empty", with("image", ""), 422, "image"},
		{"image blank", with("image", "   "), 422, "image"},
		{"digest missing", with("digest", nil), 422, "digest"},
		{"digest empty", with("digest", ""), 422, "digest"},
		{"digest without algorithm", with("digest", "abcdef"), 422, "digest"},
		{"digest with bad hex", with("digest", "sha256:not hex!"), 422, "digest"},
		{"digest too short", with("digest", "sha256:x"), 422, "digest"},
		{"sha256 digest of 63 digits", with("digest", "sha256:"+strings.Repeat("a", 63)), 422, "64"},
		{"digest in upper case", with("digest", "sha256:"+strings.Repeat("A", 64)), 422, "lower-case hex"},
		{"digest of another algorithm, too short", with("digest", "md5:abcd"), 422, "32 to 128"},
		{"digest with a bad algorithm", with("digest", "SHA256:"+strings.Repeat("a", 64)), 422, "algorithm"},
		{"hostname with a line break", with("hostname", "vm\nFAKE: all images are up to date"), 422, "hostname contains the control character U+000A"},
		{"hostname with a carriage return", with("hostname", "vm\rx"), 422, "hostname"},
		{"image with a line break", with("image", "docker.io/a:1\n\nignore this"), 422, "image contains the control character"},
		{"image with ESC", with("image", "docker.io/\u001b[31ma:1"), 422, "image contains the control character U+001B"},
		{"image with a right-to-left override", with("image", "docker.io/a\u202e:1"), 422, "image"},
		// Unicode's line and paragraph separators break lines too (JavaScript, many chat apps).
		{"hostname with a line separator", with("hostname", "vm\u2028FAKE: all images are up to date"), 422, "hostname contains the control character U+2028"},
		// Found by an outside review: these two were stored as sent, and the image page shows
		// Diun's version on the timeline's line.
		{"diun_version with a line break", with("diun_version", "4.28\n[ERROR] forged"), 422, "diun_version contains the control character U+000A"},
		{"diun_version with a right-to-left override", with("diun_version", "4.28\u202eXX"), 422, "diun_version contains the control character U+202E"},
		{"hub_link with a line break", with("hub_link", "https://x/\nINJECT"), 422, "hub_link contains the control character U+000A"},
		{"status with a paragraph separator", with("status", "new\u2029update"), 422, "status contains the control character U+2029"},
		{"digest with a line break inside", with("digest", "sha256:"+strings.Repeat("a", 32)+"\n"+strings.Repeat("a", 32)), 422, "digest"},
		{"platform with a tab", with("platform", "linux/\tamd64"), 422, "platform"},
		{"provider with DEL", with("provider", "docker\u007f"), 422, "provider"},
		{"status with a line break", with("status", "new\nupdate"), 422, "status"},
		{"mime_type with a C1 control", with("mime_type", "x\u0085"), 422, "mime_type"},
		{"image is a number", with("image", 5), 422, "image"},
		{"hostname is an object", with("hostname", map[string]any{"a": 1}), 422, "hostname"},
		{"status is a bool", with("status", true), 422, "status"},
		{"digest is an array", with("digest", []string{"sha256:aa"}), 422, "digest"},
		{"metadata is an array", with("metadata", []string{"a"}), 422, "metadata"},
		{"metadata value is a number", with("metadata", map[string]any{"a": 1}), 422, "metadata"},
		{"created is a number", with("created", 1700000000), 422, "created"},
		{"created is not RFC 3339", with("created", "yesterday"), 422, "created"},
		{"image with NUL", with("image", "a\u0000b"), 422, "NUL"},
		{"image too long", with("image", strings.Repeat("a", store.MaxImageLen+1)), 422, "image"},
		{"hostname too long", with("hostname", strings.Repeat("h", store.MaxHostnameLen+1)), 422, "hostname"},
		{"metadata with NUL", with("metadata", map[string]string{"k": "v\u0000"}), 422, "NUL"},
		{"metadata over 16 KiB in all", with("metadata", manyKeys(10, 2000)), 422, "metadata is"},
	}
	forEachStore(t, func(t *testing.T, env *testEnv) {
		for _, c := range cases {
			r := env.webhook(c.body)
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
				continue
			}
			if msg := r.errorMessage(t); !strings.Contains(msg, c.says) {
				t.Errorf("%s: error %q does not mention %q", c.name, msg, c.says)
			}
		}
		huge := `{"image":"x","digest":"sha256:aa00000000000000000000000000000000000000000000000000000000000000","metadata":{"k":"` + strings.Repeat("a", webhook.MaxBody) + `"}}`
		r := env.webhook(huge)
		env.wantStatus(r, http.StatusRequestEntityTooLarge)
		r.errorMessage(t)
		r = env.request(http.MethodPut, "/webhook?token="+testToken, []byte(good))
		env.wantStatus(r, http.StatusMethodNotAllowed)
		if !strings.Contains(r.Header.Get("Allow"), "POST") {
			t.Fatalf("405 without Allow: POST: %v", r.Header)
		}
		r.errorMessage(t)
		if images, events := env.counts(); images != 0 || events != 0 {
			t.Fatalf("bad input stored %d images and %d events", images, events)
		}
		// And the server still serves.
		env.wantStatus(env.webhook(good), http.StatusOK)
		// Metadata values keep their line breaks (a pod status spans lines; pages escape it),
		// and a sha512 digest is an OCI digest too.
		env.wantStatus(env.webhook(with("metadata", map[string]string{"status": "line 1\nline 2\u001b"})), http.StatusOK)
		env.wantStatus(env.webhook(with("digest", "sha512:"+strings.Repeat("ab", 64))), http.StatusOK)
	})
}

// manyKeys is metadata of n keys with values of size bytes each.
func manyKeys(n, size int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("key%03d", i)] = strings.Repeat("v", size)
	}
	return m
}

func TestWebhookTestNotificationIsAConnectionCheck(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		r := env.webhook(readBody(t, "testnotif.json"))
		env.wantStatus(r, http.StatusOK)
		var reply webhook.Reply
		r.json(t, &reply)
		if !reply.Check || reply.ImageID != nil || !strings.Contains(reply.Message, "test notification") {
			t.Fatalf("reply %s", r.Body)
		}
		if imgs, _ := env.listImages("state=all"); len(imgs) != 0 {
			t.Fatalf("the test image became an update: %+v", imgs)
		}
		var sum api.Summary
		s := env.api(http.MethodGet, "/api/v1/summary", nil)
		env.wantStatus(s, http.StatusOK)
		s.json(t, &sum)
		if sum.LastTestNotification == nil || sum.TotalOpen != 0 {
			t.Fatalf("summary %s", s.Body)
		}
	})
}

func TestWebhookConcurrentDeliveries(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		const senders, perSender, images = 16, 20, 8
		var wg sync.WaitGroup
		errs := make(chan string, senders*perSender)
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perSender {
					body := fmt.Sprintf(`{"hostname":"h%d","image":"docker.io/acme/app%d:1","digest":"sha256:%064x","status":"update"}`, (s+i)%2, (s*perSender+i)%images, s*perSender+i)
					req, _ := http.NewRequest(http.MethodPost, env.http.URL+"/webhook?token="+testToken, strings.NewReader(body))
					resp, err := env.http.Client().Do(req)
					if err != nil {
						errs <- err.Error()
						continue
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- resp.Status
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatal(e)
		}
		imgs, _ := env.listImages("state=all&limit=500")
		var total int64
		for _, img := range imgs {
			total += img.Notifications
		}
		_, events := env.counts()
		if events != senders*perSender || total != senders*perSender {
			t.Fatalf("%d events and %d counted notifications, want %d", events, total, senders*perSender)
		}
		if len(imgs) > 2*images {
			t.Fatalf("%d current rows for at most %d (host, image) pairs", len(imgs), 2*images)
		}
	})
}

func TestWebhookAnswers503WhenTheDatabaseIsGone(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		if err := env.store.Close(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r := env.webhook(readBody(t, "docker-update.json"))
		env.wantStatus(r, http.StatusServiceUnavailable)
		if msg := r.errorMessage(t); !strings.Contains(msg, "not stored") {
			t.Fatalf("error %q", msg)
		}
		if time.Since(start) > 6*time.Second {
			t.Fatalf("took %v", time.Since(start))
		}
		env.wantStatus(env.request(http.MethodGet, "/readyz", nil), http.StatusServiceUnavailable)
		env.wantStatus(env.request(http.MethodGet, "/healthz", nil), http.StatusOK)
		if !strings.Contains(env.logs.String(), "cannot store a notification") {
			t.Fatalf("the failure was not logged:\n%s", env.logs)
		}
	})
}

func TestReadyzWhenTheDatabaseAnswers(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		r := env.request(http.MethodGet, "/readyz", nil)
		env.wantStatus(r, http.StatusOK)
		var body map[string]string
		r.json(t, &body)
		if body["database"] != string(env.store.Dialect()) {
			t.Fatalf("readyz %s", r.Body)
		}
	})
}
