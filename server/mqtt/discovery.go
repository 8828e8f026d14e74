package mqtt

import (
	"diundashboard/internal/imageinfo"
	"encoding/json"
	"net/url"
	"strings"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// The Home Assistant discovery payloads. They are built with encoding/json from structs, never
// with text templates: Diun's names are untrusted text, and Home Assistant's own templates use
// {{ }} too.

// device is a Home Assistant device: one per Diun host, and one for the dashboard itself.
type device struct {
	Identifiers      []string `json:"identifiers"`
	Name             string   `json:"name"`
	Manufacturer     string   `json:"manufacturer,omitempty"`
	Model            string   `json:"model,omitempty"`
	SWVersion        string   `json:"sw_version,omitempty"`
	ConfigurationURL string   `json:"configuration_url,omitempty"`
	ViaDevice        string   `json:"via_device,omitempty"`
}

// origin tells Home Assistant which software made the discovery messages.
type origin struct {
	Name       string `json:"name"`
	SWVersion  string `json:"sw_version,omitempty"`
	SupportURL string `json:"support_url,omitempty"`
}

// availability is shared by every entity: they are unavailable while no dashboard is
// connected to the broker.
type availability struct {
	Topic        string `json:"availability_topic"`
	Available    string `json:"payload_available"`
	NotAvailable string `json:"payload_not_available"`
}

// entity holds what every discovery config carries.
type entity struct {
	Name            string `json:"name"`
	UniqueID        string `json:"unique_id"`
	DefaultEntityID string `json:"default_entity_id"`
	Icon            string `json:"icon,omitempty"`
	availability
	Device device `json:"device"`
	Origin origin `json:"origin"`
}

// updateConfig is the update entity of one image. Its Install button acknowledges the image;
// read-only entities (MQTT_COMMANDS=off) have no command topic, so Home Assistant offers no
// Install.
type updateConfig struct {
	entity
	EntityPicture  string `json:"entity_picture,omitempty"`
	StateTopic     string `json:"state_topic"`
	CommandTopic   string `json:"command_topic,omitempty"`
	PayloadInstall string `json:"payload_install,omitempty"`
}

// updateState is what the update entity shows. Versions are short digests that keep their
// "sha256:" prefix, so that Home Assistant never compares them as numbers.
type updateState struct {
	InstalledVersion string `json:"installed_version"`
	LatestVersion    string `json:"latest_version"`
	Title            string `json:"title"`
	ReleaseSummary   string `json:"release_summary"`
	ReleaseURL       string `json:"release_url,omitempty"`
}

// buttonConfig is the Ignore button of one image (Home Assistant's Skip stays inside Home
// Assistant and tells nobody).
type buttonConfig struct {
	entity
	CommandTopic string `json:"command_topic"`
	PayloadPress string `json:"payload_press"`
}

// sensorConfig counts open updates, of one host or of all.
type sensorConfig struct {
	entity
	StateTopic          string `json:"state_topic"`
	ValueTemplate       string `json:"value_template"`
	JSONAttributesTopic string `json:"json_attributes_topic"`
	StateClass          string `json:"state_class"`
	UnitOfMeasurement   string `json:"unit_of_measurement"`
}

// counts is the payload of the summary topics.
type counts struct {
	Hostname     *string `json:"hostname,omitempty"`
	Open         int64   `json:"open"`
	Acknowledged int64   `json:"acknowledged"`
	Snoozed      int64   `json:"snoozed"`
	Ignored      int64   `json:"ignored"`
}

// Payloads of the availability topic and of the commands.
const (
	payloadOnline  = "online"
	payloadOffline = "offline"
	payloadInstall = "install"
	payloadIgnore  = "ignore"
)

// Unacknowledged is the installed_version of an open image that the dashboard never saw
// acknowledged at another digest: Home Assistant then shows an update, as the dashboard does.
const Unacknowledged = "unacknowledged"

// shortDigest is a digest as Home Assistant shows it: the algorithm and 12 hex characters
// ("sha256:216e3ae7de4c"). The prefix stays, so that no version is ever all digits.
func shortDigest(d string) string {
	if d == "" {
		return "unknown"
	}
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		alg, hex = "digest", d
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return alg + ":" + hex
}

// installedVersion is what Home Assistant shows as installed. The dashboard does not know
// what runs on a host; it knows what a person acknowledged. So: an image that is not open
// (acknowledged, snoozed, ignored) shows as up to date (installed = latest); an open image
// shows the digest last acknowledged (acked, from the audit trail) when that differs from
// the newest one, else Unacknowledged.
func installedVersion(img store.Image, acked string) string {
	if img.State != store.StateOpen {
		return shortDigest(img.Digest)
	}
	if acked != "" && acked != img.Digest {
		return shortDigest(acked)
	}
	return Unacknowledged
}

// builder makes the discovery configs and states of one bridge.
type builder struct {
	t        topics
	baseURL  string
	version  string
	readOnly bool
}

// picture is the dashboard's icon, for the update entities: without one, Home Assistant
// shows the MQTT integration's logo in place of the entity's icon. It needs BASE_URL, which
// Home Assistant's pages can reach (static files need no sign-in).
func (b builder) picture() string {
	if b.baseURL == "" {
		return ""
	}
	return b.baseURL + "/static/icon.svg"
}

func (b builder) origin() origin {
	return origin{Name: "DiunDashboard", SWVersion: b.version, SupportURL: b.baseURL}
}

func (b builder) availability() availability {
	return availability{Topic: b.t.status(), Available: payloadOnline, NotAvailable: payloadOffline}
}

// hubDevice is the dashboard itself, which carries the total count.
func (b builder) hubDevice() device {
	return device{Identifiers: []string{b.t.node}, Name: "DiunDashboard", Manufacturer: "DiunDashboard",
		Model: "Dashboard", SWVersion: b.version, ConfigurationURL: b.baseURL}
}

// hostDevice is one Diun host.
func (b builder) hostDevice(host string) device {
	name := host
	if name == "" {
		name = "(no hostname)"
	}
	d := device{Identifiers: []string{b.t.uniqueID(hostKey(host))}, Name: "Diun " + textutil.Truncate(name, 100),
		Manufacturer: "DiunDashboard", Model: "Diun host", ViaDevice: b.t.node}
	if b.baseURL != "" {
		d.ConfigurationURL = b.baseURL + "/?" + url.Values{"host": {host}}.Encode()
	}
	return d
}

// message is one retained publication: a topic and its payload.
type message struct {
	topic   string
	payload string
}

// image adds the messages of one image: its update entity, its state and its Ignore button.
func (b builder) image(img store.Image, acked string, add func(message)) {
	base := b.t.imageBase(img.Hostname, img.Image)
	key := slug(img.Hostname)
	if key == "" {
		key = "nohost"
	}
	uid := b.t.uniqueID(key + "_" + imageKey(img.Hostname, img.Image))
	dev := b.hostDevice(img.Hostname)
	name := textutil.Truncate(shortImage(img.Image), 120)

	update := updateConfig{
		entity: entity{Name: name, UniqueID: uid, DefaultEntityID: "update." + uid, Icon: "mdi:docker",
			availability: b.availability(), Device: dev, Origin: b.origin()},
		EntityPicture: b.picture(), StateTopic: base + "/state",
	}
	if !b.readOnly {
		update.CommandTopic, update.PayloadInstall = base+"/"+installLevel, payloadInstall
	}
	add(jsonMessage(b.t.config("update", uid), update))
	add(jsonMessage(base+"/state", updateState{
		InstalledVersion: installedVersion(img, acked),
		LatestVersion:    shortDigest(img.Digest),
		Title:            textutil.Truncate(img.Image, 255),
		ReleaseSummary:   releaseSummary(img, b.readOnly),
		ReleaseURL:       releaseURL(img.Image),
	}))
	if b.readOnly {
		return
	}
	add(jsonMessage(b.t.config("button", uid+"_ignore"), buttonConfig{
		entity: entity{Name: "Ignore " + name, UniqueID: uid + "_ignore", DefaultEntityID: "button." + uid + "_ignore",
			Icon: "mdi:bell-off", availability: b.availability(), Device: dev, Origin: b.origin()},
		CommandTopic: base + "/" + ignoreLevel, PayloadPress: payloadIgnore,
	}))
}

// host adds the open-updates sensor of one host and its counts.
func (b builder) host(host string, c counts, add func(message)) {
	uid := b.t.uniqueID(hostKey(host) + "_open")
	h := host
	c.Hostname = &h
	add(jsonMessage(b.t.config("sensor", uid), b.sensor(uid, b.t.hostSummary(host), b.hostDevice(host))))
	add(jsonMessage(b.t.hostSummary(host), c))
}

// total adds the sensor of open updates over every host and its counts.
func (b builder) total(c counts, add func(message)) {
	uid := b.t.uniqueID("open_total")
	add(jsonMessage(b.t.config("sensor", uid), b.sensor(uid, b.t.summary(), b.hubDevice())))
	add(jsonMessage(b.t.summary(), c))
}

func (b builder) sensor(uid, stateTopic string, dev device) sensorConfig {
	return sensorConfig{
		entity: entity{Name: "Open updates", UniqueID: uid, DefaultEntityID: "sensor." + uid, Icon: "mdi:package-up",
			availability: b.availability(), Device: dev, Origin: b.origin()},
		StateTopic: stateTopic, ValueTemplate: "{{ value_json.open }}", JSONAttributesTopic: stateTopic,
		StateClass: "measurement", UnitOfMeasurement: "updates",
	}
}

// releaseSummary is one line about the image for Home Assistant's update dialog (at most
// 255 characters, Home Assistant's limit). It says what Install does, which is not what
// Home Assistant's Install does elsewhere: it updates nothing on the host.
func releaseSummary(img store.Image, readOnly bool) string {
	host := img.Hostname
	if host == "" {
		host = "(no hostname)"
	}
	s := "DiunDashboard: " + string(img.State) + "; Diun saw a"
	if img.Status == "new" {
		s += " new image"
	} else {
		s += "n update"
	}
	// Home Assistant renders this as Markdown: Diun's text goes in as text.
	s += " on " + textutil.MarkdownText(host)
	if img.Platform != "" && img.Platform != "/" {
		s += " (" + textutil.MarkdownText(img.Platform) + ")"
	}
	if readOnly {
		s = "Shown only: update it on the host yourself. " + s
	} else {
		s = "Install only acknowledges it in DiunDashboard: it updates nothing on the host. " + s
	}
	return textutil.Truncate(s, 255)
}

// releaseURL is a link the dashboard builds itself from the image's name (its Docker Hub or
// source page), never Diun's hub_link: whoever holds the webhook token chooses that one, and
// Home Assistant shows it as the release's link.
func releaseURL(ref string) string {
	source, releases := imageinfo.RegistryLinks(ref)
	if releases.URL != "" {
		return releases.URL
	}
	return source.URL
}

func jsonMessage(topic string, v any) message {
	b, err := json.Marshal(v)
	if err != nil {
		// Only strings and numbers go in: this cannot fail.
		panic(err)
	}
	return message{topic: topic, payload: string(b)}
}
