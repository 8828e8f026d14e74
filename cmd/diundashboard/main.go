// Command diundashboard serves DiunDashboard: the webhook target for Diun, its JSON API and its
// UI, over SQLite (the default) or PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"diundashboard/server"
	"diundashboard/server/auth"
	"diundashboard/server/metrics"
	"diundashboard/server/retention"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if len(args) > 0 && cmd == "serve" && (args[0] == "--version" || args[0] == "-version") {
		cmd, args = "version", args[1:]
	}
	// `help` and `help COMMAND` are --help (of COMMAND).
	if cmd == "help" {
		cmd = "serve"
		if len(args) > 0 && slices.ContainsFunc(commands, func(c command) bool { return c.name == args[0] }) {
			cmd = args[0]
		}
		args = []string{"--help"}
	}
	if cmd == "version" && !helpAsked(args) {
		printVersion(stdout)
		return 0
	}
	if cmd == "hash-password" && !helpAsked(args) {
		if err := hashPassword(os.Stdin, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "diundashboard:", err)
			return 1
		}
		return 0
	}
	// `sessions revoke-all`: the subcommand is not a flag.
	var sub string
	if cmd == "sessions" {
		if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
			sub, args = args[0], args[1:]
		} else if !helpAsked(args) {
			fmt.Fprintln(stderr, "diundashboard: usage: diundashboard sessions revoke-all [--tokens]")
			return 2
		}
	}
	// Help that was asked for goes to stdout (to page or grep it); after a mistake, to stderr.
	helpOut := stderr
	if helpAsked(args) {
		helpOut = stdout
	}
	cfg, err := parseConfig("diundashboard "+cmd, args, getenv, helpOut)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "diundashboard:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, stderr)
	case "migrate":
		err = migrate(ctx, cfg, log)
	case "token":
		err = printToken(ctx, cfg, stdout)
	case "healthcheck":
		err = healthcheck(ctx, cfg)
	case "reset-password":
		err = resetPassword(ctx, cfg, log, stdout)
	case "sessions":
		err = sessionsCommand(ctx, cfg, sub, log, stdout)
	case "prune":
		err = prune(ctx, cfg, log, stdout)
	case "copy":
		err = copyDatabase(ctx, cfg, log, stdout, stderr)
	case "export":
		err = exportDatabase(ctx, cfg, log, stdout, stderr)
	case "import":
		err = importDatabase(ctx, cfg, log, stdin, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "diundashboard: unknown command %q; see --help\n", store.MaskSecrets(cmd))
		return 2
	}
	if err != nil {
		log.Error(err.Error())
		return 1
	}
	return 0
}

// helpAsked tells whether args ask for a command's help (flag's -h, -help, --help).
func helpAsked(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "--h" })
}

func migrate(ctx context.Context, cfg config, log *slog.Logger) error {
	if err := store.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	log.Info("database is up to date", "database", store.Redact(cfg.DatabaseURL))
	return nil
}

// openStore migrates, then opens, the configured database.
func openStore(ctx context.Context, cfg config) (store.Store, error) {
	if err := store.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DatabaseURL)
}

// openExisting is openStore for the commands that read or change what a server made (token,
// reset-password, sessions): a SQLite file that is not there is a mistyped DATABASE_URL, and
// creating an empty database there would print a token or a password that no server knows.
func openExisting(ctx context.Context, cfg config) (store.Store, error) {
	if err := requireExisting(cfg.DatabaseURL, "DATABASE_URL (the server's)"); err != nil {
		return nil, err
	}
	return openStore(ctx, cfg)
}

// requireExisting refuses a SQLite URL whose file is not there; setting names where the URL
// came from, for the message.
func requireExisting(databaseURL, setting string) error {
	t, err := store.ParseURL(databaseURL)
	if err != nil {
		return err
	}
	if t.Dialect == store.DialectSQLite {
		if _, err := os.Stat(t.Path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("there is no database at %s: check %s, or start the server (or `diundashboard migrate`) to create it", t.Path, setting)
		}
	}
	return nil
}

func printToken(ctx context.Context, cfg config, stdout io.Writer) error {
	st, err := openExisting(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := webhook.CheckTokenSource(ctx, st, cfg.WebhookToken != ""); err != nil {
		return err
	}
	if cfg.cmd.Rotate {
		if cfg.WebhookToken != "" {
			return errors.New("WEBHOOK_TOKEN sets the webhook token: change it there (and in Diun's configuration), then restart")
		}
		secret, err := webhook.RotateToken(ctx, st)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret.Token)
		return nil
	}
	secret, _, err := webhook.EnsureToken(ctx, st, cfg.WebhookToken)
	if err != nil {
		return err
	}
	if secret.Token == "" {
		return errors.New("the webhook token is kept only as a hash (since Diun first sent it, or since a restore from an export without credentials), so it cannot be shown again; `diundashboard token --rotate` (or \"Make a new token\" on the Connect page) makes a new one, which Diun must then be given")
	}
	fmt.Fprintln(stdout, secret.Token)
	return nil
}

func serve(ctx context.Context, cfg config, log *slog.Logger, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, w := range store.Warnings(st) {
		log.Warn(w)
	}
	if err := checkFinished(ctx, st, cfg.DatabaseURL); err != nil {
		return err
	}
	webhookSecret, created, err := webhook.EnsureToken(ctx, st, cfg.WebhookToken)
	if err != nil {
		return err
	}
	// Recorded at start for the commands run right after it; the sweep keeps it so.
	if err := webhook.NoteTokenSource(ctx, st, cfg.WebhookToken != ""); err != nil {
		return err
	}
	if err := noteSignIn(ctx, st, cfg); err != nil {
		return err
	}
	if created {
		announceToken(log, stderr, cfg.LogFormat == "json", cfg.ListenAddr, cfg.BaseURL, webhookSecret.Token)
	}

	// METRICS_TOKEN goes to the server, which lets API tokens and signed-in people in beside it.
	m := metrics.New(st, metrics.Options{Version: version})
	authn, err := newAuthenticator(ctx, cfg, st, log, stderr)
	if err != nil {
		return err
	}
	srv := server.New(st, server.Options{WebhookToken: webhookSecret.Token, WebhookTokenHash: webhookSecret.Hash, Logger: log, Version: version, Metrics: m,
		WebhookTokenConfigured: cfg.WebhookToken != "", Auth: authn, BaseURL: cfg.BaseURL,
		AllowedHosts: cfg.allowedHosts, MetricsToken: cfg.MetricsToken, MQTT: cfg.mqtt,
		Notify: cfg.notify, NotifyRetention: cfg.Retention, Diun: cfg.diun, DiunReconcile: cfg.reconcileEvery})
	for _, t := range cfg.diun {
		log.Info("reconciling with Diun over gRPC", "diun", t.Addr, "hostname", t.Host, "every", cfg.DiunReconcile)
	}
	logHostCheck(log, cfg, authn.Mode(), srv.AllowedHostNames())
	httpServer := server.NewHTTPServer(cfg.ListenAddr, srv, log)
	// Live event streams never end by themselves: close them when shutting down.
	httpServer.RegisterOnShutdown(srv.Hub().Close)
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w; set LISTEN_ADDR to a free address", cfg.ListenAddr, err)
	}
	bgCtx, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	background := make(chan struct{})
	go func() { srv.RunBackground(bgCtx); close(background) }()
	go (&retention.Pruner{Store: st, Retention: cfg.Retention, Log: log}).Run(bgCtx)
	if cfg.PprofAddr != "" {
		go func() {
			if err := servePprof(bgCtx, cfg.PprofAddr, log); err != nil {
				log.Error("runtime profiles are not served", "err", err)
			}
		}()
	}

	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "database", store.Redact(cfg.DatabaseURL), "version", version)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		log.Warn("requests still in flight were cut off", "err", err)
	}
	stopBackground()
	<-background // it releases the server's running lease (server/running.go) before the store closes
	log.Info("stopped")
	return nil
}

// announceToken shows a generated token once, with what to paste into Diun's configuration.
// With JSON logs it is one log record with the values as fields, so that every line of stderr
// stays JSON for log collectors.
func announceToken(log *slog.Logger, stderr io.Writer, jsonLogs bool, listenAddr, baseURL, token string) {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "dashboard"
	}
	if port == "" {
		port = "8080"
	}
	endpoint := fmt.Sprintf("http://%s/webhook", net.JoinHostPort(host, port))
	// intro says which Diun the settings are for: with a loopback address, only one on this
	// machine outside a container can reach the dashboard at all.
	intro := "Paste this into diun.yml"
	if baseURL != "" {
		endpoint = strings.TrimRight(baseURL, "/") + "/webhook"
	} else if loopbackHost(host) {
		// The Connect page gives the same advice: in Diun's configuration a loopback
		// address is Diun's own container, so this endpoint only works for a Diun on this
		// machine outside any container.
		log.Warn("the dashboard listens on a loopback address: only a Diun on this machine, outside a container, can reach it (in a container the address means Diun's own container); for Diun in a container or on another machine, set LISTEN_ADDR=:"+port+" and use http://dashboard:"+port+"/webhook on the dashboard's compose network, or this machine's LAN address (e.g. http://192.168.1.10:"+port+"/webhook), and set BASE_URL to the dashboard's public URL so that the Connect page shows it",
			"endpoint", endpoint)
		intro = "For a Diun on this machine, outside a container, paste this into diun.yml"
	}
	if jsonLogs {
		log.Info("generated a webhook token and stored it in the database; it is shown here this once (`diundashboard token` prints it again until Diun first sends it): give Diun these settings",
			"DIUN_NOTIF_WEBHOOK_ENDPOINT", endpoint, "DIUN_NOTIF_WEBHOOK_METHOD", "POST", "DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION", "Bearer "+token)
		return
	}
	log.Info("generated a webhook token and stored it in the database; it is shown below this once (`diundashboard token` prints it again)")
	// The settings start at the first column: pasted as they are into diun.yml, notif: is a
	// top-level key (indented, it would belong to the key above it and Diun would not start).
	fmt.Fprintf(stderr, `
%s (notif: is a top-level key):

notif:
  webhook:
    endpoint: %s
    method: POST
    headers:
      content-type: application/json
      authorization: Bearer %s
    timeout: 10s

or set these environment variables on Diun:

DIUN_NOTIF_WEBHOOK_ENDPOINT=%s
DIUN_NOTIF_WEBHOOK_METHOD=POST
DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION=Bearer %s

`, intro, endpoint, token, endpoint, token)
}

// loopbackHost tells whether host (from LISTEN_ADDR) is this machine to itself only.
func loopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// logHostCheck says which host names the dashboard answers requests without a token for, and
// warns when sign-in is off and BASE_URL does not say the dashboard's own name: the host check
// is then all that keeps other web sites out (DNS rebinding), and browsers reaching the
// dashboard by a name get 421 until it is in BASE_URL or ALLOWED_HOSTS.
func logHostCheck(log *slog.Logger, cfg config, mode auth.Mode, allowed []string) {
	log.Info("browsers are answered only for these host names, others get 421 (add a name to ALLOWED_HOSTS or set BASE_URL); requests with a token, the webhook and the health checks are not checked",
		"allowed_hosts", strings.Join(allowed, ", "))
	if mode == auth.ModeNone && cfg.BaseURL == "" {
		log.Warn("sign-in is off and BASE_URL is not set: browsers that reach the dashboard by a host name other than localhost or an IP address get 421 Misdirected Request unless the name is in ALLOWED_HOSTS; set BASE_URL to the dashboard's public URL (e.g. http://nas.lan:8080)")
	}
}

// healthcheck asks the server at LISTEN_ADDR for /healthz, for container health checks.
func healthcheck(ctx context.Context, cfg config) error {
	host, port, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR %q is not host:port", cfg.ListenAddr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
