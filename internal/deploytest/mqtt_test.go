package deploytest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// The README's broker for Home Assistant, merged into compose.yml as its section says, makes
// a project Compose accepts: a mosquitto service with its volume, and the dashboard pointed
// at it.
func TestREADMEMQTTCompose(t *testing.T) {
	m := regexp.MustCompile("(?s)<!-- compose-test: mqtt -->\n```yaml\n(.*?)```").FindStringSubmatch(readFile(t, "docs/home-assistant.md"))
	if m == nil {
		t.Fatal("docs/home-assistant.md has no block marked <!-- compose-test: mqtt -->")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"compose.yml": readFile(t, "compose.yml"), "mqtt.yml": m[1]} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yml"), filepath.Join(dir, "mqtt.yml")},
		cli.WithWorkingDirectory(dir), cli.WithEnv(nil), cli.WithEnvFiles(), cli.WithDotEnv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yml with the README's broker does not load: %v", err)
	}
	broker, err := p.GetService("mosquitto")
	if err != nil {
		t.Fatal(err)
	}
	if broker.Image != "eclipse-mosquitto:2" || len(broker.Volumes) != 2 {
		t.Errorf("mosquitto service: image %q, volumes %+v", broker.Image, broker.Volumes)
	}
	if _, ok := p.Volumes["mosquitto-data"]; !ok {
		t.Error("the volume mosquitto-data is not declared")
	}
	dash, err := p.GetService("dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if u := dash.Environment["MQTT_URL"]; u == nil || *u != "mqtt://diundashboard:change-me@mosquitto:1883" {
		t.Errorf("dashboard MQTT_URL %v", u)
	}
	if dash.Environment["DATABASE_URL"] == nil {
		t.Error("merging the broker dropped the dashboard's other settings")
	}
}
