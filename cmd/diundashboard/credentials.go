package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"diundashboard/internal/textutil"
	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/webhook"
)

// signInSourceSetting says how the last server started on the database signs people in:
// "generated" (the generated admin) or "configured" (AUTH_PASSWORD_HASH, a proxy, none), so
// that reset-password, run from a shell without the server's environment, does not reset a
// password nobody signs in with while it ends everyone's sessions (found by an outside tester).
const signInSourceSetting = "signin_source"

// noteSignIn records, at a server's start, how it signs people in (signInSourceSetting).
func noteSignIn(ctx context.Context, st store.Store, cfg config) error {
	source := "configured"
	if generatesPassword(cfg) {
		source = "generated"
	}
	if err := st.PutSetting(ctx, signInSourceSetting, source); err != nil {
		return fmt.Errorf("cannot store how the server signs people in: %w", err)
	}
	return nil
}

// resetPassword replaces the generated admin password with a new one, printed this once on
// stdout, ends every session and revokes every API token. Running servers read the new hash
// at the next sign-in, so no restart is needed.
func resetPassword(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if !generatesPassword(cfg) {
		mode, _ := auth.ParseMode(cfg.AuthMode, cfg.AuthUsername, cfg.AuthProxyHeader)
		if mode != auth.ModeBuiltin {
			return fmt.Errorf("sign-in is AUTH_MODE=%s: there is no password to reset here", mode)
		}
		if cfg.AuthPasswordHash == "" {
			return fmt.Errorf("AUTH_USERNAME is set (%q), so the sign-in is configured, not generated, and needs AUTH_PASSWORD_HASH too: make one with `diundashboard hash-password`, set both, and restart; reset-password replaces only a generated admin's password", cfg.AuthUsername)
		}
		return errors.New("the password is set by AUTH_PASSWORD_HASH: make a new hash with `diundashboard hash-password`, set it, and restart; sessions signed in with the old password then end by themselves")
	}
	st, err := openExisting(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if source, err := st.Setting(ctx, signInSourceSetting); err == nil && source == "configured" {
		return errors.New("the server last started on this database does not sign in the generated admin: its environment sets AUTH_PASSWORD_HASH, a proxy or AUTH_MODE=none, which this command's does not; change the password there (`diundashboard hash-password`), or run this with the server's settings; nothing was changed")
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
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
		return fmt.Errorf("the new password is stored, but the old sessions could not be ended: %w; run `diundashboard sessions revoke-all --tokens`", err)
	}
	// A reset is a recovery: whoever had the old password may have made API tokens with it.
	revoked, err := revokeAllAPITokens(ctx, st)
	if err != nil {
		return fmt.Errorf("the new password is stored and every session ended, but the API tokens could not all be revoked: %w; run `diundashboard sessions revoke-all --tokens`", err)
	}
	log.Info("reset the admin password, ended every session and revoked every API token; servers use the new password at once", "sessions_ended", n, "api_tokens_revoked", revoked)
	fmt.Fprintf(stdout, "%s: reset the admin password.\nSign in as %s with the new password: %s\n", store.Redact(cfg.DatabaseURL), generatedUsername, password)
	if revoked > 0 {
		fmt.Fprintf(stdout, "Revoked %s: make new ones on the Connect page for the widgets and scripts that used them.\n", textutil.Plural(int64(revoked), "API token"))
	}
	return nil
}

// revokeAllAPITokens revokes every API token and tells how many there were.
func revokeAllAPITokens(ctx context.Context, st store.Store) (int, error) {
	toks, err := st.ListAPITokens(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range toks {
		if err := st.RevokeAPIToken(ctx, t.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
	}
	return len(toks), nil
}

// sessionsCommand runs `diundashboard sessions SUBCOMMAND`; revoke-all signs everybody out,
// and with --tokens revokes every API token too.
func sessionsCommand(ctx context.Context, cfg config, sub string, log *slog.Logger, stdout io.Writer) error {
	if sub != "revoke-all" {
		return fmt.Errorf("unknown sessions command %q: the one there is, is `diundashboard sessions revoke-all`", store.MaskSecrets(sub))
	}
	st, err := openExisting(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.DeleteAllSessions(ctx)
	if err != nil {
		return fmt.Errorf("cannot end the sessions: %w", err)
	}
	log.Info("signed everybody out", "sessions_ended", n)
	fmt.Fprintf(stdout, "%s: ended %s: everybody signs in again.\n", store.Redact(cfg.DatabaseURL), textutil.Plural(n, "session"))
	if !cfg.cmd.Tokens {
		fmt.Fprintln(stdout, "API tokens still work; add --tokens to revoke them too.")
		return nil
	}
	revoked, err := revokeAllAPITokens(ctx, st)
	if err != nil {
		return fmt.Errorf("every session ended, but the API tokens could not all be revoked: %w", err)
	}
	log.Info("revoked every API token", "api_tokens_revoked", revoked)
	fmt.Fprintf(stdout, "Revoked %s.\n", textutil.Plural(int64(revoked), "API token"))
	return nil
}
