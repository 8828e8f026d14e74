package mqtt

import (
	"regexp"
	"strings"
	"testing"

	"diundashboard/server/store"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		raw           string
		tls           bool
		addr, user    string
		pass, display string
	}{
		{"mqtt://broker", false, "broker:1883", "", "", "mqtt://broker:1883"},
		{"mqtts://ha:s3cret@broker.lan", true, "broker.lan:8883", "ha", "s3cret", "mqtts://ha:***@broker.lan:8883"},
		{"mqtt://u:p%40ss@10.0.0.2:1884", false, "10.0.0.2:1884", "u", "p@ss", "mqtt://u:***@10.0.0.2:1884"},
		{"mqtt://[::1]:1883/", false, "[::1]:1883", "", "", "mqtt://[::1]:1883"},
	} {
		b, err := ParseURL(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if b.TLS != tc.tls || b.Address != tc.addr || b.Username != tc.user || b.Password != tc.pass || b.String() != tc.display {
			t.Errorf("%s: got %+v shown as %s", tc.raw, b, b)
		}
	}
	for raw, want := range map[string]string{
		"":                                  "no scheme",
		"broker:1883":                       "not mqtt or mqtts",
		"http://user:hunter22@broker":       "not mqtt or mqtts",
		"mqtt://user:hunter22@":             "names no host",
		"mqtt://user:hunter22@broker:99999": "port",
		"mqtt://user:hunter22@broker/topic": "path",
		"mqtt://user:hunter22@broker?x=1":   "query",
		"mqtt://user:hunter22@bro ker":      "is not a URL",
	} {
		_, err := ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "MQTT_URL") {
			t.Errorf("%q: error %v, want one about %q", raw, err, want)
			continue
		}
		if strings.Contains(err.Error(), "hunter22") {
			t.Errorf("%q: the error shows the password: %v", raw, err)
		}
		// One mask everywhere, whatever the scheme: "***", as notifications and logs show.
		if strings.Contains(raw, "hunter22") && (!strings.Contains(err.Error(), "user:***@") || strings.Contains(err.Error(), "xxxxx")) {
			t.Errorf("%q: the error should mask the password as user:***@: %v", raw, err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	c, on, err := ParseConfig(Settings{URL: ""})
	if err != nil || on || c.DiscoveryPrefix != "homeassistant" || c.TopicPrefix != "diundashboard" {
		t.Errorf("no MQTT_URL: %+v %v %v", c, on, err)
	}
	if _, on, err := ParseConfig(Settings{URL: "mqtt://b", DiscoveryPrefix: "ha", TopicPrefix: "home/diun"}); err != nil || !on {
		t.Errorf("nested prefix: %v %v", on, err)
	}
	for _, bad := range [][2]string{{"home/#", "diun"}, {"homeassistant", "diun/+"}, {"homeassistant", "/diun"}, {"homeassistant", "a//b"},
		{"$SYS", "diun"}, {"same", "same"}} {
		if _, _, err := ParseConfig(Settings{URL: "mqtt://b", DiscoveryPrefix: bad[0], TopicPrefix: bad[1]}); err == nil {
			t.Errorf("prefixes %q accepted", bad)
		}
	}
}

func TestIDs(t *testing.T) {
	entityID := regexp.MustCompile(`^[a-z0-9_]+$`)
	keys := map[string]string{}
	for _, hi := range [][2]string{
		{"h1", "docker.io/library/nginx:1.29"}, {"h1", "docker.io/library/nginx_1.29"}, {"h1", "nginx:1.29"},
		{"h2", "docker.io/library/nginx:1.29"}, {"", "nginx:1.29"}, {"Ünïcode host", "ghcr.io/ÄCME/app:latest"},
		{"h1", strings.Repeat("very-long-name/", 30) + "img:tag"}, {"h1", "<script>:{{ x }}"},
	} {
		k := hostKey(hi[0]) + "/" + imageKey(hi[0], hi[1])
		if prev, dup := keys[k]; dup {
			t.Errorf("%q and %q share the key %s", prev, hi, k)
		}
		keys[k] = hi[0] + " " + hi[1]
		for _, part := range strings.Split(k, "/") {
			if !entityID.MatchString(part) || len(part) > maxIDPart+21 {
				t.Errorf("%q: key part %q is not a short [a-z0-9_] id", hi, part)
			}
		}
	}
	if got := imageKey("h1", "docker.io/library/nginx:1.29-alpine"); !strings.HasPrefix(got, "nginx_1_29_alpine_") {
		t.Errorf("image key %q", got)
	}
}

// Two images whose names agree over the readable part of the id (48 characters) are told
// apart by the hash alone. These two were found in 84,811 tries: their 32-bit hashes (the
// ids of earlier versions) are both 491a5985, so they shared one entity.
func TestIDsDoNotCollide(t *testing.T) {
	a := "registry.example.org/platform-team/payments-service-api:build-67903"
	b := "registry.example.org/platform-team/payments-service-api:build-84811"
	if ka, kb := imageKey("h1", a), imageKey("h1", b); ka == kb {
		t.Errorf("%s and %s share the id %s", a, b, ka)
	}
	if len(idHash("image", "h1", a)) < 20 {
		t.Errorf("the hash in ids has %d hex digits; want 20 (80 bits) or more", len(idHash("image", "h1", a)))
	}
}

func TestVersions(t *testing.T) {
	for d, want := range map[string]string{
		"sha256:216e3ae7de4c0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a": "sha256:216e3ae7de4c",
		"sha256:123456789012345": "sha256:123456789012",
		"1234567890123456":       "digest:123456789012",
		"":                       "unknown",
		"sha512:abc":             "sha512:abc",
	} {
		if got := shortDigest(d); got != want {
			t.Errorf("shortDigest(%q) = %q, want %q", d, got, want)
		}
	}
	img := store.Image{State: store.StateOpen, Digest: digestA2}
	for _, tc := range []struct {
		state store.State
		acked string
		want  string
	}{
		{store.StateOpen, "", Unacknowledged},
		{store.StateOpen, digestA2, Unacknowledged}, // reopened by hand at the acknowledged digest
		{store.StateOpen, digestA, "sha256:216e3ae7de4c"},
		{store.StateAcknowledged, "", "sha256:fe25d3d22124"},
		{store.StateSnoozed, digestA, "sha256:fe25d3d22124"},
		{store.StateIgnored, "", "sha256:fe25d3d22124"},
	} {
		img.State = tc.state
		if got := installedVersion(img, tc.acked); got != tc.want {
			t.Errorf("%s, acked %q: installed %q, want %q", tc.state, tc.acked, got, tc.want)
		}
	}
	if got := releaseURL("ghcr.io/immich-app/immich-server:v2"); got != "https://github.com/immich-app/immich-server/releases" {
		t.Errorf("releaseURL of a ghcr.io image: %q, want its GitHub releases", got)
	}
	if got := releaseURL("registry.example/x/y:1"); got != "" {
		t.Errorf("releaseURL of an unknown registry: %q, want none", got)
	}
}
