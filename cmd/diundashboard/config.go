package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

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
		{"WEBHOOK_TOKEN", "webhook-token", "", "token Diun must send (Authorization: Bearer or ?token=); generated and kept in the database when empty", &c.WebhookToken},
		{"LOG_LEVEL", "log-level", "info", "debug, info, warn or error", &c.LogLevel},
		{"LOG_FORMAT", "log-format", "text", "text or json", &c.LogFormat},
	}
}

// parseConfig reads the environment, then the flags in args.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range c.settings() {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		shownDef := def
		if s.env == "WEBHOOK_TOKEN" || s.env == "DATABASE_URL" {
			shownDef = redactSetting(s.env, def)
		}
		fs.Func(s.flag, fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, shownDef), func(v string) error { *s.target = v; return nil })
		*s.target = def
	}
	fs.Usage = func() { usage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q; see --help", fs.Arg(0))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return c, err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("LOG_FORMAT %q is not text or json", c.LogFormat)
	}
	return c, nil
}

func redactSetting(env, v string) string {
	switch env {
	case "WEBHOOK_TOKEN":
		if v != "" {
			return "(set)"
		}
	case "DATABASE_URL":
		return store.Redact(v)
	}
	return v
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, `DiunDashboard: the dashboard for Diun's webhook notifications.

Usage:
  diundashboard [command] [flags]

Commands:
  serve        serve the webhook, the API and the UI (the default)
  migrate      apply database migrations and exit
  token        print the webhook token Diun must send
  healthcheck  exit 0 when the server at LISTEN_ADDR answers /healthz
  version      print the version

Flags (each also read from the environment variable named):
`)
	fs.PrintDefaults()
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
