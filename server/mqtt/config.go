package mqtt

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// Defaults of MQTT_DISCOVERY_PREFIX, MQTT_TOPIC_PREFIX and MQTT_BIRTH_TOPIC. Home Assistant
// sends its birth message on homeassistant/status whatever its discovery prefix.
const (
	DefaultDiscoveryPrefix = "homeassistant"
	DefaultTopicPrefix     = "diundashboard"
	DefaultBirthTopic      = "homeassistant/status"
)

// Broker is a parsed MQTT_URL: where to connect and as whom.
type Broker struct {
	// TLS is true for mqtts://.
	TLS bool
	// Address is host:port (1883 for mqtt://, 8883 for mqtts:// when the URL names none).
	Address  string
	Username string
	Password string
}

// ParseURL reads MQTT_URL: mqtt://[user[:password]@]host[:port] or mqtts://… . Its errors
// never repeat the password.
func ParseURL(raw string) (Broker, error) {
	shown := textutil.Truncate(maskURL(strings.TrimSpace(raw)), 200)
	bad := func(why string) error {
		return fmt.Errorf("MQTT_URL %q %s; write it as mqtt://user:password@host:1883 or mqtts://user:password@host:8883", shown, why)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Error quotes the URL, password included: say only that it does not parse.
		return Broker{}, bad("is not a URL")
	}
	var b Broker
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp":
		port = "1883"
	case "mqtts", "ssl", "tls":
		b.TLS, port = true, "8883"
	case "":
		return Broker{}, bad("has no scheme")
	default:
		return Broker{}, bad(fmt.Sprintf("has the scheme %q, not mqtt or mqtts", textutil.Truncate(u.Scheme, 20)))
	}
	if u.Hostname() == "" {
		return Broker{}, bad("names no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Broker{}, bad("has a port that is not 1 to 65535")
		}
		port = p
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return Broker{}, bad("has a path, query or fragment (topics are set with MQTT_TOPIC_PREFIX and MQTT_DISCOVERY_PREFIX)")
	}
	b.Address = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		b.Username = u.User.Username()
		b.Password, _ = u.User.Password()
	}
	return b, nil
}

// maskURL shows raw with its password as "***", the one mask of the dashboard's logs, whatever
// its scheme; a value that does not parse is masked wherever it looks like a password.
func maskURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxx")
			return strings.Replace(u.String(), ":xxx@", ":***@", 1)
		}
		return raw
	}
	return strings.ReplaceAll(store.MaskSecrets(raw), "xxxxx", "***")
}

// String shows the broker as logs may: the scheme, the user and the address, never the
// password.
func (b Broker) String() string {
	scheme := "mqtt"
	if b.TLS {
		scheme = "mqtts"
	}
	user := ""
	if b.Username != "" {
		user = url.User(b.Username).String()
		if b.Password != "" {
			user += ":***"
		}
		user += "@"
	}
	return scheme + "://" + user + b.Address
}

// serverURL is the broker as the MQTT client library takes it (credentials apart).
func (b Broker) serverURL() string {
	if b.TLS {
		return "ssl://" + b.Address
	}
	return "tcp://" + b.Address
}

// CheckPrefix validates a topic prefix (MQTT_DISCOVERY_PREFIX or MQTT_TOPIC_PREFIX, named by
// setting): levels separated by "/", none empty, no wildcards, not a $SYS-style topic.
func CheckPrefix(setting, prefix string) error {
	shown := textutil.Truncate(prefix, 100)
	switch {
	case prefix == "":
		return fmt.Errorf("%s is empty; leave it unset for the default", setting)
	case len(prefix) > 200:
		return fmt.Errorf("%s is longer than 200 bytes", setting)
	case strings.ContainsAny(prefix, "+#\x00"):
		return fmt.Errorf("%s %q contains an MQTT wildcard (+ or #) or NUL; use plain topic levels such as diundashboard", setting, shown)
	case strings.HasPrefix(prefix, "$"):
		return fmt.Errorf("%s %q starts with $, which brokers keep for their own topics", setting, shown)
	}
	for _, level := range strings.Split(prefix, "/") {
		if level == "" {
			return fmt.Errorf("%s %q has an empty topic level (a leading, trailing or double /)", setting, shown)
		}
	}
	return nil
}

// Config is the MQTT part of the server's configuration, as parsed from the environment.
type Config struct {
	Broker          Broker
	DiscoveryPrefix string
	TopicPrefix     string
	// BirthTopic is where Home Assistant says "online" when it starts (DefaultBirthTopic
	// when "").
	BirthTopic string
	// ReadOnly (MQTT_COMMANDS=off) publishes entities without commands: no Install, no
	// Ignore button, and no subscription to command topics.
	ReadOnly bool
}

// ParseCommands reads MQTT_COMMANDS: on (the default, also when empty) or off; readOnly is
// true for off.
func ParseCommands(v string) (readOnly bool, err error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "on":
		return false, nil
	case "off":
		return true, nil
	}
	return false, fmt.Errorf("MQTT_COMMANDS %q is not on or off; off publishes the entities without Install and Ignore", textutil.Truncate(v, 40))
}

// Settings are the MQTT variables as the environment gives them.
type Settings struct {
	URL, DiscoveryPrefix, TopicPrefix, BirthTopic, Commands string
}

// ParseConfig reads MQTT_URL, MQTT_DISCOVERY_PREFIX, MQTT_TOPIC_PREFIX, MQTT_BIRTH_TOPIC and
// MQTT_COMMANDS (empty ones take the defaults). enabled is false when MQTT_URL is empty.
func ParseConfig(s Settings) (c Config, enabled bool, err error) {
	discoveryPrefix, topicPrefix, rawURL := s.DiscoveryPrefix, s.TopicPrefix, s.URL
	if discoveryPrefix == "" {
		discoveryPrefix = DefaultDiscoveryPrefix
	}
	if topicPrefix == "" {
		topicPrefix = DefaultTopicPrefix
	}
	c = Config{DiscoveryPrefix: discoveryPrefix, TopicPrefix: topicPrefix, BirthTopic: s.BirthTopic}
	if c.BirthTopic == "" {
		c.BirthTopic = DefaultBirthTopic
	}
	if err := CheckPrefix("MQTT_DISCOVERY_PREFIX", discoveryPrefix); err != nil {
		return c, false, err
	}
	if err := CheckPrefix("MQTT_TOPIC_PREFIX", topicPrefix); err != nil {
		return c, false, err
	}
	if err := CheckPrefix("MQTT_BIRTH_TOPIC", c.BirthTopic); err != nil {
		return c, false, err
	}
	if c.ReadOnly, err = ParseCommands(s.Commands); err != nil {
		return c, false, err
	}
	if strings.TrimSpace(rawURL) == "" {
		return c, false, nil
	}
	if discoveryPrefix == topicPrefix {
		return c, false, errors.New("MQTT_TOPIC_PREFIX must differ from MQTT_DISCOVERY_PREFIX: Home Assistant reads every topic under the discovery prefix as a configuration")
	}
	c.Broker, err = ParseURL(rawURL)
	return c, err == nil, err
}
