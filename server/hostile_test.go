package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"diundashboard/server/api"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

// The hostile-input corpus: requests an attacker, a broken client or a fuzzer would send to the
// webhook and the API. Each must get its documented status with a JSON {"error": …} body, store
// nothing, leak nothing, and leave the server serving.
//
// It adds to, and does not repeat, the cases of TestWebhookRefusesBadInputAndStoresNothing and
// TestWebhookRefusesWithoutTheToken (webhook_test.go) and TestAPIRefusesBadQueries and
// TestAPIWritesNeedAuthAndSameOrigin (api_test.go).

// hostileCase is one request of the corpus. Header values "$API" and "$HOOK" stand for a valid
// API token and the webhook token.
type hostileCase struct {
	name   string
	method string
	path   string
	body   string
	header []string
	status int
}

// leakMarkers must never appear in an error body: SQL, driver names, secrets.
var leakMarkers = []string{"SELECT", "INSERT", "UPDATE ", "DELETE FROM", "pq:", "pgx", "sqlite", "SQLSTATE", "syntax error at", "goroutine", ".go:"}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func hostileCorpus(imageID int64) []hostileCase {
	good := `{"diun_version":"v4.33.0","hostname":"vm","status":"update","provider":"docker","image":"docker.io/library/redis:8","hub_link":"","mime_type":"x","digest":"sha256:abcdef0123000000000000000000000000000000000000000000000000000000","created":null,"platform":"linux/amd64","metadata":null}`
	with := func(field, raw string) string { // good with one field's JSON value replaced
		return strings.Replace(good, `"`+field+`":`, `"`+field+`":`+raw+`,"_was":`, 1)
	}
	hook := "/webhook?token=" + testToken
	img := fmt.Sprint(imageID)
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	var cs []hostileCase
	add := func(name, method, path, body string, status int, header ...string) {
		cs = append(cs, hostileCase{name: name, method: method, path: path, body: body, status: status, header: header})
	}

	// Webhook: bodies that are not one JSON object.
	add("hook: byte-order mark before the object", "POST", hook, "\xef\xbb\xbf"+good, 400)
	add("hook: top-level number", "POST", hook, `12345`, 400)
	add("hook: top-level true", "POST", hook, `true`, 400)
	add("hook: array depth bomb in an unknown field", "POST", hook, `{"x":`+deep+`}`, 400)
	add("hook: object depth bomb in an unknown field", "POST", hook, `{"x":`+strings.Repeat(`{"a":`, 50_000)+`1`+strings.Repeat(`}`, 50_000)+`}`, 400)
	add("hook: raw NUL byte between fields", "POST", hook, strings.Replace(good, `,"status"`, ",\x00\"status\"", 1), 400)
	add("hook: invalid UTF-8 in a key", "POST", hook, strings.Replace(good, `"hub_link"`, "\"hub\xc3\x28link\"", 1), 400)
	add("hook: overlong UTF-8 encoding of /", "POST", hook, strings.Replace(good, "library/redis", "library\xc0\xafredis", 1), 400)
	add("hook: trailing comma", "POST", hook, strings.TrimSuffix(good, "}")+",}", 400)
	add("hook: single-quoted strings", "POST", hook, `{'image':'a','digest':'sha256:aa'}`, 400)
	add("hook: comment", "POST", hook, `{/* c */"image":"a","digest":"sha256:aa00000000000000000000000000000000000000000000000000000000000000"}`, 400)
	add("hook: NaN literal", "POST", hook, `{"image":"a","digest":"sha256:aa00000000000000000000000000000000000000000000000000000000000000","created":NaN}`, 400)
	add("hook: unterminated string", "POST", hook, `{"image":"docker.io/a`, 400)
	add("hook: only an opening brace", "POST", hook, `{`, 400)
	add("hook: huge body of a single string", "POST", hook, `{"image":"`+strings.Repeat("x", webhook.MaxBody+1)+`"}`, 413)
	// Webhook: a JSON object with a wrong type for each field the existing tests do not cover.
	add("hook: diun_version is a number", "POST", hook, with("diun_version", `4.33`), 422)
	add("hook: provider is an array", "POST", hook, with("provider", `["docker"]`), 422)
	add("hook: hub_link is an object", "POST", hook, with("hub_link", `{"u":"x"}`), 422)
	add("hook: mime_type is a bool", "POST", hook, with("mime_type", `false`), 422)
	add("hook: platform is a number", "POST", hook, with("platform", `64`), 422)
	add("hook: created is an object", "POST", hook, with("created", `{"t":1}`), 422)
	add("hook: created is a bool", "POST", hook, with("created", `true`), 422)
	add("hook: metadata is a string", "POST", hook, with("metadata", `"a=b"`), 422)
	add("hook: metadata is a number", "POST", hook, with("metadata", `7`), 422)
	add("hook: metadata value is an object", "POST", hook, with("metadata", `{"k":{"n":1}}`), 422)
	add("hook: image is a huge number", "POST", hook, with("image", `1e400`), 422)
	add("hook: duplicate key with a wrong type", "POST", hook, strings.TrimSuffix(good, "}")+`,"image":5}`, 422)
	add("hook: hostname with an escaped NUL", "POST", hook, with("hostname", `"vm\u0000"`), 422)
	add("hook: platform of 100 kB", "POST", hook, with("platform", `"`+strings.Repeat("p", 100_000)+`"`), 422)
	add("hook: digest with an SQL comment", "POST", hook, with("digest", `"sha256:aa' OR 1=1 --"`), 422)
	// Webhook: tokens.
	add("hook: token given twice, wrong first", "POST", "/webhook?token=wrong&token="+testToken, good, 401)
	add("hook: token with a trailing space", "POST", "/webhook?token="+url.QueryEscape(testToken+" "), good, 401)
	add("hook: token in upper case", "POST", "/webhook?token="+strings.ToUpper(testToken), good, 401)
	add("hook: token of 5 kB", "POST", "/webhook?token="+strings.Repeat("t", 5_000), good, 401)
	// An address over maxRequestURI is refused before anything reads it.
	add("hook: token of 10 kB", "POST", "/webhook?token="+strings.Repeat("t", 10_000), good, 414)
	add("hook: token as a cookie", "POST", "/webhook", good, 401, "Cookie", "token="+testToken)
	add("hook: token scheme instead of Bearer", "POST", "/webhook", good, 401, "Authorization", "Token "+testToken)
	add("hook: an API token is not the webhook token", "POST", "/webhook", good, 401, "Authorization", "Bearer $API")
	// Webhook: wrong methods and paths.
	add("hook: PUT", "PUT", hook, good, 405)
	add("hook: DELETE", "DELETE", hook, "", 405)
	add("hook: PATCH", "PATCH", hook, good, 405)
	add("hook: sub-path", "POST", "/webhook/x?token="+testToken, good, 404)

	// API: limits.
	for _, l := range []string{"-9223372036854775808", "9223372036854775808", "5.0", "0x10", "1e3", "%205", "-0"} {
		add("api: limit="+l, "GET", "/api/v1/images?limit="+l, "", 400, "Authorization", "Bearer $API")
	}
	add("api: events limit=-5", "GET", "/api/v1/images/"+img+"/events?limit=-5", "", 400, "Authorization", "Bearer $API")
	add("api: events limit=100000", "GET", "/api/v1/images/"+img+"/events?limit=100000", "", 400, "Authorization", "Bearer $API")
	// API: cursors.
	for name, c := range map[string]string{
		"negative id":           b64(`{"s":"last_seen","t":"2026-01-01T00:00:00Z","i":-1}`),
		"time not a time":       b64(`{"s":"last_seen","t":"yesterday","i":1}`),
		"id overflows int64":    b64(`{"s":"last_seen","t":"2026-01-01T00:00:00Z","i":1e30}`),
		"JSON null":             b64(`null`),
		"JSON array":            b64(`[1,2]`),
		"padded base64":         "e30=",
		"standard base64 chars": "ab+/cd",
		"invalid UTF-8 inside":  b64("{\"s\":\"image\",\"m\":\"\xff\"}") + "%ff",
		"SQL in the cursor":     b64(`{"s":"last_seen","t":"2026-01-01T00:00:00Z","i":"1 OR 1=1"}`),
		"unknown sort":          b64(`{"s":"digest","i":1}`),
	} {
		add("api: cursor "+name, "GET", "/api/v1/images?cursor="+c, "", 400, "Authorization", "Bearer $API")
	}
	add("api: events cursor not base64", "GET", "/api/v1/images/"+img+"/events?cursor=!!", "", 400, "Authorization", "Bearer $API")
	add("api: events cursor before=0", "GET", "/api/v1/images/"+img+"/events?cursor="+b64(`{"b":0}`), "", 400, "Authorization", "Bearer $API")
	add("api: events cursor of the image list", "GET", "/api/v1/images/"+img+"/events?cursor="+b64(`{"s":"last_seen","i":5}`), "", 400, "Authorization", "Bearer $API")
	// API: SQL-looking filters match nothing and answer 200.
	for _, v := range []string{"host=" + url.QueryEscape("' OR 1=1 --"), "q=" + url.QueryEscape("' OR '1'='1"), "tag=" + url.QueryEscape(`x"; DROP TABLE images; --`),
		"provider=" + url.QueryEscape("docker' --"), "q=%25", "q=_", "host=" + url.QueryEscape(`\`), "q=" + url.QueryEscape("redis') UNION SELECT * FROM api_tokens --")} {
		add("api: SQL-looking filter "+v, "GET", "/api/v1/images?state=all&"+v, "", 200, "Authorization", "Bearer $API")
	}
	// API: ids and path traversal.
	for _, id := range []string{"99999999999999999999", "1e3", "0x1", "%201", "%2e%2e", "1%2F..%2F2", "1%00", "-0"} {
		add("api: image id "+id, "GET", "/api/v1/images/"+id, "", 400, "Authorization", "Bearer $API")
	}
	add("api: traversal in a tag id", "PATCH", "/api/v1/tags/..%2f1", `{"name":"x"}`, 400, "Authorization", "Bearer $API")
	add("api: NUL as a tag id", "PUT", "/api/v1/images/"+img+"/tags/%00", "", 400, "Authorization", "Bearer $API")
	add("api: image id ..", "GET", "/api/v1/images/..", "", 404, "Authorization", "Bearer $API")
	add("api: traversal out of the API", "GET", "/api/v1/images/../../../etc/passwd", "", 404, "Authorization", "Bearer $API")
	// API: bodies.
	add("api: tag body is an array", "POST", "/api/v1/tags", `[{"name":"x"}]`, 400, "Authorization", "Bearer $API")
	add("api: tag name is a number", "POST", "/api/v1/tags", `{"name":5}`, 422, "Authorization", "Bearer $API")
	add("api: tag name with NUL", "POST", "/api/v1/tags", `{"name":"a\u0000b"}`, 422, "Authorization", "Bearer $API")
	add("api: tag name with a control character", "POST", "/api/v1/tags", `{"name":"a\u001bb"}`, 422, "Authorization", "Bearer $API")
	add("api: tag body over 64 kB", "POST", "/api/v1/tags", `{"name":"`+strings.Repeat("n", 70_000)+`"}`, 413, "Authorization", "Bearer $API")
	add("api: tag body depth bomb", "POST", "/api/v1/tags", `{"name":`+strings.Repeat("[", 20_000)+`}`, 400, "Authorization", "Bearer $API")
	add("api: tag body truncated", "POST", "/api/v1/tags", `{"name":"x`, 400, "Authorization", "Bearer $API")
	add("api: snooze for a negative time", "POST", "/api/v1/images/"+img+"/snooze", `{"for":"-1d"}`, 422, "Authorization", "Bearer $API")
	add("api: snooze for 10^11 days", "POST", "/api/v1/images/"+img+"/snooze", `{"for":"99999999999d"}`, 422, "Authorization", "Bearer $API")
	add("api: snooze until year 9999", "POST", "/api/v1/images/"+img+"/snooze", `{"until":"9999-12-31T00:00:00Z"}`, 422, "Authorization", "Bearer $API")
	add("api: snooze until is a number", "POST", "/api/v1/images/"+img+"/snooze", `{"until":1700000000}`, 422, "Authorization", "Bearer $API")
	// API: methods.
	add("api: POST to the image list", "POST", "/api/v1/images", `{}`, 405, "Authorization", "Bearer $API")
	add("api: PUT to the tag list", "PUT", "/api/v1/tags", `{}`, 405, "Authorization", "Bearer $API")
	add("api: DELETE the summary", "DELETE", "/api/v1/summary", "", 405, "Authorization", "Bearer $API")
	// API: missing and wrong credentials.
	add("api: read without credentials", "GET", "/api/v1/images", "", 401)
	add("api: webhook token as API bearer", "GET", "/api/v1/images", "", 401, "Authorization", "Bearer "+testToken)
	add("api: API token in the query", "GET", "/api/v1/images?token=$API", "", 401)
	add("api: empty bearer", "GET", "/api/v1/summary", "", 401, "Authorization", "Bearer ")
	add("api: bearer of 10 kB", "GET", "/api/v1/summary", "", 401, "Authorization", "Bearer "+strings.Repeat("x", 10_000))
	add("api: write without credentials", "POST", "/api/v1/tags", `{"name":"x"}`, 401)
	return cs
}

func TestHostileInputCorpus(t *testing.T) {
	forEachStore(t, func(t *testing.T, env *testEnv) {
		seed := env.webhook(`{"hostname":"vm","image":"docker.io/library/nginx:1.29","digest":"sha256:0123abcd00000000000000000000000000000000000000000000000000000000","status":"new","provider":"docker"}`)
		env.wantStatus(seed, http.StatusOK)
		var reply webhook.Reply
		seed.json(t, &reply)
		apiToken, _, err := env.srv.auth.NewAPIToken(context.Background(), "hostile-corpus", store.ScopeWrite)
		if err != nil {
			t.Fatal(err)
		}
		images, events := env.counts()
		corpus := hostileCorpus(*reply.ImageID)
		if len(corpus) < 40 {
			t.Fatalf("the corpus has %d cases, want at least 40", len(corpus))
		}
		for _, c := range corpus {
			header := append([]string(nil), c.header...)
			for i := range header {
				header[i] = strings.ReplaceAll(header[i], "$API", apiToken)
			}
			path := strings.ReplaceAll(c.path, "$API", apiToken)
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			r := env.request(c.method, path, body, header...)
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %.300s", c.name, r.Status, c.status, r.Body)
				continue
			}
			if c.status >= 400 {
				msg := r.errorMessage(t)
				for _, m := range append(leakMarkers, testToken, apiToken) {
					if strings.Contains(msg, m) {
						t.Errorf("%s: the error leaks %q: %s", c.name, m, msg)
					}
				}
			} else {
				var page struct {
					Images []api.Image `json:"images"`
				}
				r.json(t, &page)
				if len(page.Images) != 0 {
					t.Errorf("%s: a SQL-looking filter matched %d images", c.name, len(page.Images))
				}
			}
		}
		if i, e := env.counts(); i != images || e != events {
			t.Errorf("the corpus changed the store: %d images and %d events, had %d and %d", i, e, images, events)
		}
		tags, err := env.store.ListTags(context.Background())
		if err != nil || len(tags) != 0 {
			t.Errorf("the corpus created tags: %v %v", tags, err)
		}
		// Still serving: a good notification and a good read succeed.
		env.wantStatus(env.webhook(`{"hostname":"vm","image":"docker.io/library/nginx:1.29","digest":"sha256:4567000000000000000000000000000000000000000000000000000000000000","status":"update"}`), http.StatusOK)
		env.wantStatus(env.request(http.MethodGet, "/api/v1/images?state=all", nil, "Authorization", "Bearer "+apiToken), http.StatusOK)
		if strings.Contains(env.logs.String(), apiToken) || strings.Contains(env.logs.String(), testToken) {
			t.Errorf("a token reached the log")
		}
	})
}
