package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

// authConfig turns the AUTH_* settings into the sign-in configuration, refusing incomplete
// ones at start-up rather than at the first sign-in.
func authConfig(c config) (auth.Config, error) {
	mode, err := auth.ParseMode(c.AuthMode, c.AuthUsername, c.AuthProxyHeader)
	if err != nil {
		return auth.Config{}, err
	}
	proxies, err := auth.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		return auth.Config{}, err
	}
	header := c.AuthProxyHeader
	if header == "" && mode == auth.ModeProxy {
		header = auth.DefaultProxyHeader
	}
	ac := auth.Config{
		Mode: mode, Username: c.AuthUsername, PasswordHash: c.AuthPasswordHash,
		ProxyHeader: header, TrustedProxies: proxies, CookieSecure: c.CookieSecure,
		PublicHTTPS: strings.HasPrefix(strings.ToLower(c.BaseURL), "https://"),
	}
	return ac, ac.Validate()
}

// Built-in sign-in with nothing configured signs in "admin" with a password generated on first
// start: the server starts safe on a fresh machine with no setting at all.
const (
	generatedUsername        = "admin"
	generatedPasswordSetting = auth.GeneratedPasswordSetting
)

// generatesPassword reports whether c signs in the generated admin: builtin sign-in with no
// user or hash configured.
func generatesPassword(c config) bool {
	if c.AuthUsername != "" || c.AuthPasswordHash != "" {
		return false
	}
	mode, err := auth.ParseMode(c.AuthMode, "", c.AuthProxyHeader)
	return err == nil && mode == auth.ModeBuiltin
}

// newAuthenticator builds the sign-in of the configuration; a password generated on first start
// is shown on stderr.
func newAuthenticator(ctx context.Context, c config, st store.Store, log *slog.Logger, stderr io.Writer) (*auth.Authenticator, error) {
	generated := generatesPassword(c)
	if generated {
		hash, err := generatedPassword(ctx, st, log, stderr, c.LogFormat == "json")
		if err != nil {
			return nil, err
		}
		c.AuthUsername, c.AuthPasswordHash = generatedUsername, hash
	}
	ac, err := authConfig(c)
	if err != nil {
		return nil, err
	}
	ac.GeneratedPassword = generated
	a, err := auth.New(ac, st, log)
	if err != nil {
		return nil, err
	}
	switch ac.Mode {
	case auth.ModeNone:
		log.Warn("sign-in is off (AUTH_MODE=none): anyone who reaches the dashboard can read and change it; keep it on a trusted network or behind a proxy that signs people in")
	case auth.ModeProxy:
		log.Info("sign-in by reverse proxy", "header", ac.ProxyHeader, "trusted_proxies", c.TrustedProxies)
	default:
		log.Info("built-in sign-in", "user", ac.Username)
	}
	// Behind a TLS proxy that is not trusted, the cookie is Secure because BASE_URL says https,
	// but the client address (for the sign-in limit) is the proxy's and X-Forwarded-Proto is
	// not believed.
	if ac.PublicHTTPS && len(ac.TrustedProxies) == 0 {
		log.Warn("BASE_URL is https but TRUSTED_PROXIES is empty: if a reverse proxy terminates TLS, set TRUSTED_PROXIES to its address so that sign-in limits apply per client and not to the proxy as a whole")
	}
	return a, nil
}

// generatedPassword returns the hash of the generated admin password, creating the password
// on first start and showing it that once, on stderr. Replicas share it through the database.
func generatedPassword(ctx context.Context, st store.Store, log *slog.Logger, stderr io.Writer, jsonLogs bool) (string, error) {
	hash, err := st.Setting(ctx, generatedPasswordSetting)
	if err == nil {
		return hash, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("cannot read the admin password: %w", err)
	}
	password, err := webhook.GenerateToken()
	if err != nil {
		return "", err
	}
	password = password[:20]
	fresh, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	stored, err := st.InitSetting(ctx, generatedPasswordSetting, fresh)
	if err != nil {
		return "", fmt.Errorf("cannot store the admin password: %w", err)
	}
	if stored == fresh {
		log.Info("no sign-in is configured: generated a password for the user admin, shown once")
		if jsonLogs {
			// One JSON record, so that every line of stderr stays JSON for log collectors.
			log.Info("sign in with this user and password, shown this once (lost it? `diundashboard reset-password` prints a new one; set AUTH_USERNAME and AUTH_PASSWORD_HASH, AUTH_MODE=proxy, or AUTH_MODE=none to choose otherwise)",
				"user", generatedUsername, "password", password)
		} else {
			fmt.Fprintf(stderr, "\nSign in as %s with the password: %s\n(Lost it? `diundashboard reset-password` prints a new one. Set AUTH_USERNAME and AUTH_PASSWORD_HASH, AUTH_MODE=proxy, or AUTH_MODE=none to choose otherwise.)\n\n", generatedUsername, password)
		}
	}
	return stored, nil
}

// hashPassword prompts for a password twice on a terminal, or reads one line from a pipe,
// and prints its argon2id hash.
func hashPassword(stdin *os.File, stdout, stderr io.Writer) error {
	var pw string
	if term.IsTerminal(int(stdin.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(stdin.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(stdin.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return err
		}
		if string(a) != string(b) {
			return errors.New("the two passwords differ")
		}
		pw = string(a)
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if len(pw) < 8 {
		return errors.New("use a password of at least 8 characters")
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	fmt.Fprintln(stderr, "Set AUTH_PASSWORD_HASH to the line above (in a compose file, write each $ as $$).")
	return nil
}
