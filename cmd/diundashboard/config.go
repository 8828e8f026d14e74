package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"diundashboard/internal/textutil"
	"diundashboard/server"
	"diundashboard/server/mqtt"
	"diundashboard/server/notify"
	"diundashboard/server/reconcile"
	"diundashboard/server/retention"
	"diundashboard/server/store"
)

// config is the server's configuration: every setting is an environment variable and a flag
// of the same meaning; a flag wins over the variable.
type config struct {
	DatabaseURL  string
	ListenAddr   string
	WebhookToken string
	LogLevel     string
	LogFormat    string
	// EventRetention is EVENT_RETENTION as given; Retention is its parsed value (0: forever).
	EventRetention string
	Retention      time.Duration
	MetricsToken   string
	PprofAddr      string

	AuthMode         string
	AuthUsername     string
	AuthPasswordHash string
	AuthProxyHeader  string
	TrustedProxies   string
	CookieSecure     string
	BaseURL          string
	// AllowedHosts is ALLOWED_HOSTS as given; allowedHosts is its parsed value.
	AllowedHosts string
	allowedHosts server.AllowedHosts
	// MQTT_URL and its prefixes; mqtt is their parsed value, nil without MQTT_URL.
	MQTTURL             string
	MQTTDiscoveryPrefix string
	MQTTTopicPrefix     string
	MQTTBirthTopic      string
	MQTTCommands        string
	mqtt                *mqtt.Config
	// NOTIFY_URLS, NOTIFY_NEW and NOTIFY_DIGEST; notify is their parsed value.
	NotifyURLs   string
	NotifyNew    string
	NotifyDigest string
	notify       notify.Config
	// DIUN_GRPC and DIUN_RECONCILE; diun and reconcileEvery are their parsed values.
	DiunGRPC       string
	DiunReconcile  string
	diun           []reconcile.Target
	reconcileEvery time.Duration
	// Flags of single commands (prune, copy, import): see commands.go.
	cmd commandFlags
}

// setting describes one configuration value for flags, --help and the README.
type setting struct {
	env, flag, def, usage string
	target                *string
}

func (c *config) settings() []setting {
	return []setting{
		{"DATABASE_URL", "database-url", store.DefaultDatabaseURL, "database: sqlite:path/to/file.db or postgres://user:password@host:5432/dbname", &c.DatabaseURL},
		{"LISTEN_ADDR", "listen-addr", ":8080", "address the HTTP server listens on", &c.ListenAddr},
		{"WEBHOOK_TOKEN", "webhook-token", "", "token Diun must send (Authorization: Bearer or ?token=), at least 24 characters; generated and kept in the database when empty", &c.WebhookToken},
		{"LOG_LEVEL", "log-level", "info", "debug, info, warn or error", &c.LogLevel},
		{"LOG_FORMAT", "log-format", "text", "text or json", &c.LogFormat},
		{"AUTH_MODE", "auth-mode", "", "sign-in: builtin, proxy or none; empty picks proxy when only AUTH_PROXY_HEADER is set, builtin otherwise (with no AUTH_USERNAME: user admin, password generated on first start)", &c.AuthMode},
		{"AUTH_USERNAME", "auth-username", "", "the user of built-in sign-in", &c.AuthUsername},
		{"AUTH_PASSWORD_HASH", "auth-password-hash", "", "bcrypt or argon2id hash of that user's password (diundashboard hash-password prints one)", &c.AuthPasswordHash},
		{"AUTH_PROXY_HEADER", "auth-proxy-header", "", "header a trusted reverse proxy names the user in (AUTH_MODE=proxy; Remote-User when empty)", &c.AuthProxyHeader},
		{"TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated addresses or CIDRs of reverse proxies whose AUTH_PROXY_HEADER, X-Forwarded-For and X-Forwarded-Proto are believed", &c.TrustedProxies},
		{"COOKIE_SECURE", "cookie-secure", "auto", "Secure session cookie: auto (when served over HTTPS, directly or via a trusted proxy), true or false", &c.CookieSecure},
		{"BASE_URL", "base-url", "", "public URL of the dashboard (e.g. https://diun.example.com), for the webhook URL on the Connect page, and a host name the dashboard answers to; empty uses the browser's", &c.BaseURL},
		{"ALLOWED_HOSTS", "allowed-hosts", "", "comma-separated host names (and *.example.com patterns) that browsers may reach the dashboard by, besides BASE_URL's host, localhost and IP addresses; others are answered 421 (protection against DNS rebinding)", &c.AllowedHosts},
		{"EVENT_RETENTION", "event-retention", "365d", "how long events are kept: days (365 or 365d), a duration (8760h), or 0 to keep them forever", &c.EventRetention},
		{"MQTT_URL", "mqtt-url", "", "MQTT broker to show the images in Home Assistant through (MQTT discovery): mqtt://user:password@host:1883 or mqtts://…; empty: off", &c.MQTTURL},
		{"MQTT_DISCOVERY_PREFIX", "mqtt-discovery-prefix", mqtt.DefaultDiscoveryPrefix, "Home Assistant's MQTT discovery prefix", &c.MQTTDiscoveryPrefix},
		{"NOTIFY_URLS", "notify-urls", "", "shoutrrr URLs (space or comma separated) to send notifications to: ntfy://…, gotify://…, discord://…, smtp://…, generic+https://…; empty: off", &c.NotifyURLs},
		{"NOTIFY_NEW", "notify-new", notify.DefaultNew, "when images become open, wait this long from the first for the rest of Diun's burst, then send one message grouped by host; off: none", &c.NotifyNew},
		{"NOTIFY_DIGEST", "notify-digest", notify.DefaultDigest, "a summary of every open update: daily@08:00 or weekly@mon@08:00 (in TZ), or off", &c.NotifyDigest},
		{"MQTT_TOPIC_PREFIX", "mqtt-topic-prefix", mqtt.DefaultTopicPrefix, "prefix of the dashboard's own MQTT topics (states, commands, availability); one per dashboard sharing a broker", &c.MQTTTopicPrefix},
		{"MQTT_BIRTH_TOPIC", "mqtt-birth-topic", mqtt.DefaultBirthTopic, "topic of Home Assistant's birth message (MQTT integration, Configure), after which the dashboard publishes everything again", &c.MQTTBirthTopic},
		{"MQTT_COMMANDS", "mqtt-commands", "on", "on: Home Assistant's Install acknowledges an image and an Ignore button ignores it; off: read-only entities, no command topics", &c.MQTTCommands},
		{"DIUN_GRPC", "diun-grpc", "", "Diun gRPC addresses (space or comma separated, e.g. diun:42286, or nas=diun-nas:42286 to name the hostname its webhooks carry) to recover missed updates from and backfill a new install; without a hostname it is learned with a test notification; empty: off", &c.DiunGRPC},
		{"DIUN_RECONCILE", "diun-reconcile", "15m", "how often to reconcile with DIUN_GRPC: a duration (15m, 1h) or days (1d); also on start and after a webhook from a host silent longer than this; off: on start only", &c.DiunReconcile},
		{"METRICS_TOKEN", "metrics-token", "", "token GET /metrics accepts (Authorization: Bearer) besides API tokens and signed-in users; /metrics is open to anyone only with AUTH_MODE=none and no METRICS_TOKEN", &c.MetricsToken},
		{"PPROF_ADDR", "pprof-addr", "", "loopback address (such as 127.0.0.1:6060) to serve Go's runtime profiles on (/debug/pprof/), for measuring; empty: off", &c.PprofAddr},
	}
}

// parseConfig reads the environment, then the flags in args.
// Its usage (--help) and flag errors go to out.
func parseConfig(name string, args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	for _, s := range c.settings() {
		def, label := s.def, "default"
		if v := getenv(s.env); v != "" {
			def, label = v, "set to" // --help shows the value in effect, from the environment
		}
		// Every value goes through redactSetting, so a secret setting added later cannot be
		// forgotten here: --help shows the environment's values, which land in CI logs.
		shownDef := redactSetting(s.env, def)
		fs.Func(s.flag, fmt.Sprintf("%s (env %s, %s %q)", s.usage, s.env, label, shownDef), func(v string) error { *s.target = v; return nil })
		*s.target = def
	}
	c.cmd.register(fs, name)
	fs.Usage = func() { usage(out, fs) }
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q; see --help", store.MaskSecrets(fs.Arg(0)))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return c, err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("LOG_FORMAT %q is not text or json", c.LogFormat)
	}
	retain, err := retention.Parse(c.EventRetention)
	if err != nil {
		return c, err
	}
	c.Retention = retain
	if err := c.checkHostsAndWebhookToken(); err != nil {
		return c, err
	}
	mq, on, err := mqtt.ParseConfig(mqtt.Settings{URL: c.MQTTURL, DiscoveryPrefix: c.MQTTDiscoveryPrefix,
		TopicPrefix: c.MQTTTopicPrefix, BirthTopic: c.MQTTBirthTopic, Commands: c.MQTTCommands})
	if err != nil {
		return c, err
	}
	if on {
		c.mqtt = &mq
	}
	if c.notify, err = notify.ParseConfig(c.NotifyURLs, c.NotifyNew, c.NotifyDigest); err != nil {
		return c, err
	}
	if c.diun, err = reconcile.ParseTargets(c.DiunGRPC); err != nil {
		return c, err
	}
	if c.reconcileEvery, err = reconcile.ParseInterval(c.DiunReconcile); err != nil {
		return c, err
	}
	if err := checkPprofAddr(c.PprofAddr); err != nil {
		return c, err
	}
	if c.notify.Digest.On() {
		if err := notify.CheckTZ(getenv("TZ")); err != nil {
			return c, err
		}
	}
	return c, nil
}

// minWebhookToken is the shortest WEBHOOK_TOKEN (and METRICS_TOKEN) accepted: with wrong
// guesses throttled per client, 24 random characters are far beyond guessing; a word or a
// short phrase is not, from many addresses.
const minWebhookToken = 24

// checkHostsAndWebhookToken refuses a guessable WEBHOOK_TOKEN or METRICS_TOKEN (without ever
// printing them), and
// reads ALLOWED_HOSTS and the host of BASE_URL, which decide the names the dashboard answers to.
func (c *config) checkHostsAndWebhookToken() error {
	if n := utf8.RuneCountInString(c.WebhookToken); c.WebhookToken != "" && n < minWebhookToken {
		return fmt.Errorf("WEBHOOK_TOKEN has %d characters; use at least %d random ones (`openssl rand -base64 32` prints some), or leave it unset to have one generated and kept in the database", n, minWebhookToken)
	}
	// /metrics names every host; its token is guessed as easily as the webhook's.
	if n := utf8.RuneCountInString(c.MetricsToken); c.MetricsToken != "" && n < minWebhookToken {
		return fmt.Errorf("METRICS_TOKEN has %d characters; use at least %d random ones (`openssl rand -base64 32` prints some), or an API token of scope read", n, minWebhookToken)
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			return fmt.Errorf("BASE_URL %q is not an absolute http(s) URL such as https://diun.example.com: the Connect page shows it and its host is one the dashboard answers to", textutil.Truncate(c.BaseURL, 200))
		}
		// The pages link from the root: a dashboard behind a sub-path would break every link.
		if u, _ := url.Parse(c.BaseURL); strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("BASE_URL %q has a path, query or fragment: the dashboard is served at the root of a host name (such as https://diun.example.com), not under a sub-path", textutil.Truncate(c.BaseURL, 200))
		}
	}
	hosts, err := server.ParseAllowedHosts(c.AllowedHosts)
	if err != nil {
		return err
	}
	c.allowedHosts = hosts
	return nil
}

// redactSetting returns v as --help may show it: "(set)" for a token or hash, DATABASE_URL
// through store.Redact (only a value that parses, password masked; a placeholder otherwise).
func redactSetting(env, v string) string {
	switch env {
	case "WEBHOOK_TOKEN", "METRICS_TOKEN", "AUTH_PASSWORD_HASH":
		if v != "" {
			return "(set)"
		}
	case "DATABASE_URL":
		return store.Redact(v)
	case "NOTIFY_URLS":
		return notify.MaskURLs(v)
	case "MQTT_URL":
		if v == "" {
			return v
		}
		if b, err := mqtt.ParseURL(v); err == nil {
			return b.String()
		}
		return "(set)"
	}
	return v
}

// command is one entry of --help's command list: its name, its arguments, what it does and
// the settings it reads besides LOG_LEVEL and LOG_FORMAT.
type command struct {
	name, args, text string
	reads            []string
}

// commands are the commands --help lists, in its order; `diundashboard COMMAND --help`
// prints the command's own entry, flags and settings.
var commands = []command{
	{"serve", "", "serve the webhook, the API and the UI (the default)", nil},
	{"migrate", "", "apply database migrations and exit", []string{"DATABASE_URL"}},
	{"token", "[--rotate]", "print the webhook token Diun must send, while it is still kept\n(--rotate: make a new one and print it)", []string{"DATABASE_URL", "WEBHOOK_TOKEN"}},
	{"hash-password", "", "print the argon2id hash of a password (prompted, or one line of stdin)\nfor AUTH_PASSWORD_HASH", nil},
	{"healthcheck", "", "exit 0 when the server at LISTEN_ADDR answers /healthz", []string{"LISTEN_ADDR"}},
	{"reset-password", "", "replace the generated admin password with a new one, printed once,\nsign everybody out and revoke every API token (no restart needed)",
		[]string{"DATABASE_URL", "AUTH_MODE", "AUTH_USERNAME", "AUTH_PASSWORD_HASH", "AUTH_PROXY_HEADER"}},
	{"sessions", "revoke-all [--tokens]", "sign everybody out everywhere (and revoke every\nAPI token)", []string{"DATABASE_URL"}},
	{"prune", "[--dry-run]", "delete events older than EVENT_RETENTION now (--dry-run: only count them)", []string{"DATABASE_URL", "EVENT_RETENTION"}},
	{"export", "[--with-credentials] > FILE", "write every row of the database to stdout as JSON Lines (a backup)", []string{"DATABASE_URL"}},
	{"import", "[--force] [--with-credentials] [--no-verify] < FILE", "read what export wrote from stdin into an empty database (--force: replace)", []string{"DATABASE_URL"}},
	{"copy", "--to URL [--from URL] [--force]", "copy every row from --from URL to --to URL, then verify (--force: replace)", []string{"DATABASE_URL"}},
	{"version", "", "print the version", nil},
}

// usage is --help: for serve (and plain `diundashboard --help`) every command and setting;
// for another command its own line, flags and the settings it reads.
func usage(w io.Writer, fs *flag.FlagSet) {
	fs.SetOutput(w)
	name := strings.TrimPrefix(fs.Name(), "diundashboard ")
	if i := slices.IndexFunc(commands, func(c command) bool { return c.name == name }); i > 0 {
		commandUsage(w, fs, commands[i])
		return
	}
	fmt.Fprintf(w, "DiunDashboard: the dashboard for Diun's webhook notifications.\n\nUsage:\n  diundashboard [command] [flags]\n\nCommands:\n")
	for _, c := range commands {
		head := c.name
		if c.name == "sessions" {
			head += " " + c.args // its subcommand is part of its name
		}
		for i, line := range strings.Split(c.text, "\n") {
			if i > 0 {
				head = ""
			}
			fmt.Fprintf(w, "  %s%s%s\n", head, strings.Repeat(" ", max(2, 13-len(head))), line)
		}
	}
	fmt.Fprintf(w, "\nFlags (each also read from the environment variable named):\n")
	fs.PrintDefaults()
}

// commandUsage is `diundashboard COMMAND --help`.
func commandUsage(w io.Writer, fs *flag.FlagSet, c command) {
	text := strings.ReplaceAll(c.text, "\n", " ")
	fmt.Fprintf(w, "Usage:\n  diundashboard %s\n\n%s%s.\n", strings.TrimSpace(c.name+" "+c.args), strings.ToUpper(text[:1]), text[1:])
	own := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	own.SetOutput(w)
	new(commandFlags).register(own, fs.Name())
	if hasFlags(own) {
		fmt.Fprintf(w, "\nFlags:\n")
		own.PrintDefaults()
	}
	if c.reads == nil {
		return // it reads no setting
	}
	reads := map[string]bool{"LOG_LEVEL": true, "LOG_FORMAT": true}
	for _, env := range c.reads {
		reads[env] = true
	}
	settings := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	settings.SetOutput(w)
	for _, s := range (&config{}).settings() {
		if f := fs.Lookup(s.flag); f != nil && reads[s.env] {
			settings.Var(f.Value, f.Name, f.Usage)
		}
	}
	fmt.Fprintf(w, "\nSettings it reads (each a flag or the environment variable named; the others of\n`diundashboard --help` are checked too):\n")
	settings.PrintDefaults()
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("LOG_LEVEL %q is not debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(c config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
