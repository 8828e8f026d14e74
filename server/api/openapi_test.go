package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"diundashboard/server/api"
)

// docs/openapi.yaml is checked against the code three ways: its paths and methods are exactly
// the routes the server registers, each schema named after a Go type has exactly that type's
// JSON fields, and real answers of a running server validate against the schemas.

const openAPIDoc = "../../docs/openapi.yaml"

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", openAPIDoc, err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("%s is OpenAPI %q, want 3.1.x", openAPIDoc, v)
	}
	return doc
}

// registeredRoutes reads "METHOD /path" patterns of the API, the webhook and health checks from
// the files that register them.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	pattern := regexp.MustCompile(`\.Handle(?:Func)?\("([A-Z]+) (/(?:api/|webhook|healthz|readyz)[^"]*)"`)
	var routes []string
	for _, file := range []string{"api.go", "../server.go", "../webhook/webhook.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllStringSubmatch(string(src), -1) {
			routes = append(routes, m[1]+" "+m[2])
		}
	}
	sort.Strings(routes)
	return slices.Compact(routes)
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	var documented []string
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(documented)
	registered := registeredRoutes(t)
	if len(registered) < 20 {
		t.Fatalf("found only %d routes in the code: the scan is broken: %v", len(registered), registered)
	}
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but not in %s", r, openAPIDoc)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("%s is in %s but not served", d, openAPIDoc)
		}
	}
}

// TestOpenAPISchemasMatchTheGoTypes: the schema of each answer type has exactly its JSON
// fields, and requires every field that is always present.
func TestOpenAPISchemasMatchTheGoTypes(t *testing.T) {
	schemas := loadOpenAPI(t)["components"].(map[string]any)["schemas"].(map[string]any)
	for name, v := range map[string]any{"Image": api.Image{}, "Event": api.Event{}, "Tag": api.Tag{}, "Change": api.Change{},
		"Summary": api.Summary{}, "HostSummary": api.HostSummary{}} {
		schema, ok := schemas[name].(map[string]any)
		if !ok {
			t.Errorf("%s has no schema %s", openAPIDoc, name)
			continue
		}
		var fields, always []string
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			tag := strings.Split(typ.Field(i).Tag.Get("json"), ",")
			fields = append(fields, tag[0])
			if !slices.Contains(tag[1:], "omitempty") {
				always = append(always, tag[0])
			}
		}
		var props, required []string
		for p := range schema["properties"].(map[string]any) {
			props = append(props, p)
		}
		for _, r := range schema["required"].([]any) {
			required = append(required, r.(string))
		}
		for _, s := range [][]string{fields, always, props, required} {
			sort.Strings(s)
		}
		if !slices.Equal(fields, props) {
			t.Errorf("schema %s has the properties %v; the Go type has the fields %v", name, props, fields)
		}
		if !slices.Equal(always, required) {
			t.Errorf("schema %s requires %v; the Go type always has %v", name, required, always)
		}
	}
}

// TestOpenAPIDescribesRealAnswers asks a running server (real store, real HTTP) every read and
// a few changes, and validates each answer against the schema the document gives for it.
func TestOpenAPIDescribesRealAnswers(t *testing.T) {
	doc := loadOpenAPI(t)
	// The document as JSON, so that the validator sees what a JSON client would.
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	asJSON, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("openapi.json", asJSON); err != nil {
		t.Fatal(err)
	}
	schema := func(name string) *jsonschema.Schema {
		s, err := c.Compile("openapi.json#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		return s
	}

	st := storeFactories["sqlite"](t)
	e := newFeedEnv(t, st, "")
	id := e.record("nas", "docker.io/library/nginx:1.29", "sha256:216e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a", time.Now())
	e.record("pi", "ghcr.io/immich-app/immich-server:v2", "sha256:116e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a", time.Now())

	check := func(method, path, body, schemaName string, wantStatus int) {
		t.Helper()
		req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.writeTok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, err := jsonschema.UnmarshalJSON(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: not JSON: %v", method, path, err)
		}
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s %s: %d %v, want %d", method, path, resp.StatusCode, got, wantStatus)
		}
		if err := schema(schemaName).Validate(got); err != nil {
			t.Errorf("%s %s does not match the schema %s: %v", method, path, schemaName, err)
		}
	}
	img := fmt.Sprint(id)
	check("GET", "/api/v1/images?state=all", "", "ImagePage", 200)
	check("GET", "/api/v1/images/"+img, "", "Image", 200)
	check("GET", "/api/v1/images/"+img+"/events", "", "EventPage", 200)
	check("POST", "/api/v1/images/"+img+"/snooze", `{"for":"7d"}`, "Image", 200)
	check("GET", "/api/v1/images/"+img+"/changes", "", "ChangeList", 200)
	check("POST", "/api/v1/tags", `{"name":"prod"}`, "Tag", 201)
	check("GET", "/api/v1/tags", "", "TagList", 200)
	check("POST", "/api/v1/hosts/pi/acknowledge", "", "HostAcknowledged", 200)
	check("GET", "/api/v1/summary", "", "Summary", 200)
	check("GET", "/api/v1/images/999999", "", "Error", 404)
}
