package mqtt

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Home Assistant takes only [a-zA-Z0-9_-] in discovery node and object ids, and only
// [a-z0-9_] in entity ids, so every id made from a host or image name is reduced to
// [a-z0-9_] and made unique again by a hash of what was reduced: "nginx:1.29" and
// "nginx_1.29" must not meet in one entity.

// maxIDPart bounds the readable part of an id: topics and entity ids stay short.
const maxIDPart = 48

// slug lowers s and turns every run of characters outside [a-z0-9] into one "_".
func slug(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
			continue
		}
		if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	out := strings.TrimSuffix(b.String(), "_")
	if len(out) > maxIDPart {
		out = strings.TrimSuffix(out[:maxIDPart], "_")
	}
	return out
}

// idHash is 20 hex characters (80 bits) of the SHA-256 of parts (NUL-separated, so that the
// split between them counts). 80 bits: two names meet in one id only after about 2^40 tries,
// where the 32 bits of earlier versions met after 78,000.
func idHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:10])
}

// hostKey identifies a Diun host in topics and ids: its slug and a hash of its exact name.
// Images Diun sent without a hostname go under "nohost".
func hostKey(host string) string {
	s := slug(host)
	if s == "" {
		s = "nohost"
	}
	return s + "_" + idHash("host", host)
}

// imageKey identifies one image of one host: the slug of its short name and a hash of the
// exact host and image.
func imageKey(host, image string) string {
	s := slug(shortImage(image))
	if s == "" {
		s = "image"
	}
	return s + "_" + idHash("image", host, image)
}

// shortImage drops the registry and namespace that Docker Hub adds to official images:
// "docker.io/library/nginx:1.29" reads as "nginx:1.29".
func shortImage(image string) string {
	for _, p := range []string{"docker.io/library/", "docker.io/"} {
		if rest, ok := strings.CutPrefix(image, p); ok && rest != "" {
			return rest
		}
	}
	return image
}

// topics names every topic of one bridge.
type topics struct {
	discovery string // MQTT_DISCOVERY_PREFIX
	base      string // MQTT_TOPIC_PREFIX
	birth     string // MQTT_BIRTH_TOPIC
	// node is the discovery node id: MQTT_TOPIC_PREFIX as an id. It is in every discovery
	// topic, so that the bridge can find the configurations it made (and only those).
	node string
}

func newTopics(c Config) topics {
	node := slug(c.TopicPrefix)
	if node == "" {
		node = "diundashboard"
	}
	birth := c.BirthTopic
	if birth == "" {
		birth = DefaultBirthTopic
	}
	return topics{discovery: c.DiscoveryPrefix, base: c.TopicPrefix, birth: birth, node: node}
}

// status is the availability topic: "online" while a dashboard is connected, "offline" (the
// Will) when the last one is gone.
func (t topics) status() string { return t.base + "/status" }

// summary carries the counts over every host; hostSummary those of one host.
func (t topics) summary() string                { return t.base + "/summary" }
func (t topics) hostSummary(host string) string { return t.base + "/" + hostKey(host) + "/summary" }

// imageBase is the topic under which one image's state and commands live.
func (t topics) imageBase(host, image string) string {
	return t.base + "/" + hostKey(host) + "/" + imageKey(host, image)
}

// Command topics end with these levels.
const (
	installLevel = "install"
	ignoreLevel  = "ignore"
)

// commandFilters are the subscriptions that receive Home Assistant's commands.
func (t topics) commandFilters() []string {
	return []string{t.base + "/+/+/" + installLevel, t.base + "/+/+/" + ignoreLevel}
}

// parseCommand splits a command topic into its image base and the command.
func (t topics) parseCommand(topic string) (base, command string, ok bool) {
	i := strings.LastIndexByte(topic, '/')
	if i < 0 {
		return "", "", false
	}
	base, command = topic[:i], topic[i+1:]
	if command != installLevel && command != ignoreLevel || !strings.HasPrefix(base, t.base+"/") {
		return "", "", false
	}
	return base, command, true
}

// config is the discovery topic of one component (update, button, sensor).
func (t topics) config(component, objectID string) string {
	return t.discovery + "/" + component + "/" + t.node + "/" + objectID + "/config"
}

// configFilter matches every discovery topic of this bridge: what it subscribes to in order
// to find configurations left behind by images deleted while it was away.
func (t topics) configFilter() string { return t.discovery + "/+/" + t.node + "/+/config" }

// retainedFilters match the retained topics of this bridge outside discovery: the state of
// each image and the counts of each host. The bridge subscribes to them to find those left
// behind by images (or hosts) deleted while it was away.
func (t topics) retainedFilters() []string {
	return []string{t.base + "/+/+/state", t.base + "/+/summary"}
}

// isConfig tells a discovery config topic from the dashboard's own topics.
func (t topics) isConfig(topic string) bool {
	rest, ok := strings.CutPrefix(topic, t.discovery+"/")
	levels := strings.Split(rest, "/")
	return ok && len(levels) == 4 && levels[1] == t.node && levels[3] == "config"
}

// uniqueID makes a Home Assistant unique_id (and object id) from an id of this bridge.
func (t topics) uniqueID(key string) string { return t.node + "_" + key }
