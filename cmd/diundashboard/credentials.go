package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

// resetPassword replaces the generated admin password with a new one, printed this once on
// stdout, and ends every session. Running servers pick the new hash up on their next
// background tick (30 s), so no restart is needed.
func resetPassword(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if !generatesPassword(cfg) {
		mode, _ := auth.ParseMode(cfg.AuthMode, cfg.AuthUsername, cfg.AuthProxyHeader)
		if mode != auth.ModeBuiltin {
			return fmt.Errorf("sign-in is AUTH_MODE=%s: there is no password to reset here", mode)
		}
		return errors.New("the password is set by AUTH_PASSWORD_HASH: make a new hash with `diundashboard hash-password`, set it, and restart; sessions signed in with the old password then end by themselves")
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	password, err := webhook.GenerateToken()
	if err != nil {
		return err
	}
	password = password[:20]
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if err := st.PutSetting(ctx, generatedPasswordSetting, hash); err != nil {
		return fmt.Errorf("cannot store the new password: %w", err)
	}
	n, err := st.DeleteAllSessions(ctx)
	if err != nil {
		return fmt.Errorf("the new password is stored, but the old sessions could not be ended: %w; run `diundashboard sessions revoke-all`", err)
	}
	log.Info("reset the admin password and ended every session; running servers use the new password within 30 seconds", "sessions_ended", n)
	fmt.Fprintf(stdout, "Sign in as %s with the new password: %s\n", generatedUsername, password)
	return nil
}

// sessionsCommand runs `diundashboard sessions SUBCOMMAND`; revoke-all signs everybody out.
func sessionsCommand(ctx context.Context, cfg config, sub string, log *slog.Logger, stdout io.Writer) error {
	if sub != "revoke-all" {
		return fmt.Errorf("unknown sessions command %q: the one there is, is `diundashboard sessions revoke-all`", store.MaskSecrets(sub))
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.DeleteAllSessions(ctx)
	if err != nil {
		return fmt.Errorf("cannot end the sessions: %w", err)
	}
	log.Info("signed everybody out", "sessions_ended", n)
	fmt.Fprintf(stdout, "Ended %d sessions: everybody signs in again.\n", n)
	return nil
}
