package api_test

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The README's widget configurations (Homepage's customapi, Home Assistant's RESTful sensor)
// are read from the README itself, and the dashboard is asked exactly what they ask: the same
// path, the same Authorization header; every field they map must be in the answer, with the
// type their format needs.
func TestREADMEWidgets(t *testing.T) {
	st := storeFactories["sqlite"](t)
	e := newFeedEnv(t, st, "")
	e.record("nas", "docker.io/library/nginx:1.29", "sha256:216e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a", time.Now())
	blocks := readmeBlocks(t)

	// ask requests resource's path with the header the widget sends, the README's
	// placeholder token swapped for a real read token.
	ask := func(name, resource, authorization string) map[string]any {
		t.Helper()
		u, err := url.Parse(resource)
		if err != nil || u.Path != "/api/v1/summary" {
			t.Fatalf("%s: resource %q is not the summary", name, resource)
		}
		if !strings.HasPrefix(authorization, "Bearer dd_your_read_token") {
			t.Fatalf("%s: Authorization %q is not 'Bearer <token>'", name, authorization)
		}
		auth := strings.Replace(authorization, "dd_your_read_token", e.readTok, 1)
		status, _, body := e.get(u.RequestURI(), map[string]string{"Authorization": auth})
		if status != 200 {
			t.Fatalf("%s: %d %s", name, status, body)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("homepage", func(t *testing.T) {
		var services []map[string][]map[string]struct {
			Widget struct {
				Type     string            `yaml:"type"`
				URL      string            `yaml:"url"`
				Headers  map[string]string `yaml:"headers"`
				Mappings []struct {
					Field  any    `yaml:"field"`
					Label  string `yaml:"label"`
					Format string `yaml:"format"`
				} `yaml:"mappings"`
			} `yaml:"widget"`
		}
		if err := yaml.Unmarshal([]byte(blocks["homepage"]), &services); err != nil {
			t.Fatalf("the README's Homepage block is not YAML: %v", err)
		}
		if len(services) != 1 || len(services[0]["Updates"]) != 1 {
			t.Fatalf("the README's Homepage block has not one group with one service: %+v", services)
		}
		w := services[0]["Updates"][0]["Diun"].Widget
		if w.Type != "customapi" || len(w.Mappings) == 0 {
			t.Fatalf("widget %+v", w)
		}
		summary := ask("homepage", w.URL, w.Headers["Authorization"])
		for _, m := range w.Mappings {
			v, ok := homepageField(summary, m.Field)
			if !ok {
				t.Errorf("mapping %q: field %v is not in the summary %v", m.Label, m.Field, summary)
				continue
			}
			checkFormat(t, m.Label, m.Format, v)
		}
	})

	t.Run("home-assistant", func(t *testing.T) {
		var secrets map[string]string
		if err := yaml.Unmarshal([]byte(blocks["home-assistant-secrets"]), &secrets); err != nil {
			t.Fatal(err)
		}
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(blocks["home-assistant"]), &root); err != nil {
			t.Fatalf("the README's Home Assistant block is not YAML: %v", err)
		}
		// Home Assistant's !secret: the value comes from secrets.yaml.
		resolveSecrets(t, &root, secrets)
		var cfg struct {
			Rest []struct {
				Resource string            `yaml:"resource"`
				Headers  map[string]string `yaml:"headers"`
				Sensor   []struct {
					Name           string   `yaml:"name"`
					ValueTemplate  string   `yaml:"value_template"`
					JSONAttributes []string `yaml:"json_attributes"`
				} `yaml:"sensor"`
			} `yaml:"rest"`
		}
		if err := root.Decode(&cfg); err != nil {
			t.Fatal(err)
		}
		if len(cfg.Rest) != 1 || len(cfg.Rest[0].Sensor) == 0 {
			t.Fatalf("config %+v", cfg)
		}
		r := cfg.Rest[0]
		summary := ask("home-assistant", r.Resource, r.Headers["Authorization"])
		valueJSON := regexp.MustCompile(`^\{\{ value_json\.([a-z_.]+) \}\}$`)
		for _, s := range r.Sensor {
			m := valueJSON.FindStringSubmatch(s.ValueTemplate)
			if m == nil {
				t.Errorf("sensor %q: template %q is not {{ value_json.<path> }}", s.Name, s.ValueTemplate)
				continue
			}
			v, ok := path(summary, strings.Split(m[1], "."))
			if !ok {
				t.Errorf("sensor %q: value_json.%s is not in the summary %v", s.Name, m[1], summary)
				continue
			}
			checkFormat(t, s.Name, "number", v)
			for _, a := range s.JSONAttributes {
				if _, ok := summary[a]; !ok {
					t.Errorf("sensor %q: attribute %q is not in the summary", s.Name, a)
				}
			}
		}
	})
}

// readmeBlocks returns the fenced code blocks of docs/api.md that follow a
// <!-- widget-test: NAME --> line, by name.
func readmeBlocks(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	marker := regexp.MustCompile("(?m)^<!-- widget-test: ([a-z-]+) -->\\n```yaml\\n((?s:.*?))```")
	for _, m := range marker.FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = m[2]
	}
	for _, name := range []string{"homepage", "home-assistant", "home-assistant-secrets"} {
		if out[name] == "" {
			t.Fatalf("docs/api.md has no block marked <!-- widget-test: %s -->", name)
		}
	}
	return out
}

// homepageField resolves a customapi field: a key, or {key: {key: …}} for nested values.
func homepageField(v map[string]any, field any) (any, bool) {
	var keys []string
	for {
		switch f := field.(type) {
		case string:
			return path(v, append(keys, f))
		case map[string]any:
			if len(f) != 1 {
				return nil, false
			}
			for k, next := range f {
				keys = append(keys, k)
				field = next
			}
		default:
			return nil, false
		}
	}
}

func path(v map[string]any, keys []string) (any, bool) {
	var cur any = v
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// checkFormat fails unless v suits how the widget shows it.
func checkFormat(t *testing.T, label, format string, v any) {
	t.Helper()
	switch format {
	case "number":
		if _, ok := v.(float64); !ok {
			t.Errorf("%s: %v (%T) is not a number", label, v, v)
		}
	case "relativeDate", "date":
		s, ok := v.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			t.Errorf("%s: %v is not an RFC 3339 time", label, v)
		}
	default:
		t.Errorf("%s: format %q is not one the test knows", label, format)
	}
}

func resolveSecrets(t *testing.T, n *yaml.Node, secrets map[string]string) {
	if n.Tag == "!secret" {
		v, ok := secrets[n.Value]
		if !ok {
			t.Fatalf("!secret %s is not in the README's secrets.yaml", n.Value)
		}
		n.Tag, n.Value = "!!str", v
	}
	for _, c := range n.Content {
		resolveSecrets(t, c, secrets)
	}
}
