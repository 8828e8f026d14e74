package server

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"diundashboard/server/store"
)

func setting(t *testing.T, st store.Store, key string) string {
	t.Helper()
	v, err := storedSetting(context.Background(), st, key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Finding 11: the generated webhook token is kept in the clear only until Diun first presents
// it; from then on the database holds its SHA-256 alone, and Diun keeps working.
func TestWebhookTokenKeptHashed(t *testing.T) {
	for name, open := range storeFactories {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			secret, created, err := EnsureWebhookToken(ctx, st, "")
			if err != nil || !created || len(secret.Token) < 40 || secret.Hash != hashToken(secret.Token) {
				t.Fatalf("first start: %+v, created=%v, %v", secret, created, err)
			}
			if setting(t, st, WebhookTokenHashSetting) != secret.Hash || setting(t, st, WebhookTokenSetting) != secret.Token {
				t.Fatal("first start: the hash and the token (to show until Diun uses it) are not both stored")
			}
			// A second replica starting now shares the token and may show it too.
			again, created, err := EnsureWebhookToken(ctx, st, "")
			if err != nil || created || again != secret {
				t.Fatalf("second start: %+v, created=%v, %v; want the same token, still shown", again, created, err)
			}

			srv := New(st, Options{WebhookToken: secret.Token, WebhookTokenHash: secret.Hash, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			// Background ticks before Diun sends anything change nothing.
			srv.sweep(ctx)
			if srv.token.Token() != secret.Token || setting(t, st, WebhookTokenSetting) != secret.Token {
				t.Fatal("the token was forgotten before Diun presented it")
			}
			if srv.token.matches(secret.Token + "x") {
				t.Fatal("a wrong token matched")
			}
			if !srv.token.matches(secret.Token) {
				t.Fatal("the token does not match")
			}
			srv.sweep(ctx)
			if got := setting(t, st, WebhookTokenSetting); got != "" {
				t.Errorf("after Diun presented the token the database still holds it: %q", got)
			}
			if srv.token.Token() != "" {
				t.Error("the Connect page still shows a token Diun already uses")
			}
			if !srv.token.matches(secret.Token) {
				t.Error("Diun's token stopped working once only its hash was kept")
			}
			// A restart: the token cannot be shown, and it still works.
			later, created, err := EnsureWebhookToken(ctx, st, "")
			if err != nil || created || later.Token != "" || later.Hash != secret.Hash {
				t.Fatalf("restart: %+v, created=%v, %v; want the hash only", later, created, err)
			}
			restarted := New(st, Options{WebhookToken: later.Token, WebhookTokenHash: later.Hash})
			if !restarted.token.matches(secret.Token) || restarted.token.matches("") {
				t.Error("after a restart the hashed token is not checked right")
			}

			// Rotation shows the new token until Diun uses it; the other replica follows.
			fresh, err := srv.token.Rotate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if srv.token.matches(secret.Token) || !srv.token.matches(fresh) {
				t.Error("after rotation the old token works or the new one does not")
			}
			if err := restarted.token.reload(ctx); err != nil {
				t.Fatal(err)
			}
			if restarted.token.Token() != fresh || !restarted.token.matches(fresh) || restarted.token.matches(secret.Token) {
				t.Error("the other replica did not pick up the rotation")
			}
			srv.sweep(ctx)
			if err := restarted.token.reload(ctx); err != nil {
				t.Fatal(err)
			}
			if setting(t, st, WebhookTokenSetting) != "" || restarted.token.Token() != "" {
				t.Error("the rotated token is still kept after Diun presented it")
			}
		})
	}
}

// A database from before hashing keeps working with the token Diun has.
func TestWebhookTokenFromBeforeHashing(t *testing.T) {
	ctx := context.Background()
	st := storeFactories["sqlite"](t)
	const legacy = "legacy-token-that-diun-already-has-0123456789"
	if err := st.PutSetting(ctx, WebhookTokenSetting, legacy); err != nil {
		t.Fatal(err)
	}
	secret, created, err := EnsureWebhookToken(ctx, st, "")
	if err != nil || created || secret.Token != legacy || secret.Hash != hashToken(legacy) {
		t.Fatalf("upgrade: %+v, created=%v, %v", secret, created, err)
	}
	if setting(t, st, WebhookTokenHashSetting) != hashToken(legacy) {
		t.Error("the upgrade did not store the hash")
	}
	srv := New(st, Options{WebhookToken: secret.Token, WebhookTokenHash: secret.Hash})
	if !srv.token.matches(legacy) {
		t.Error("the legacy token is refused after the upgrade")
	}
}

// A configured token (WEBHOOK_TOKEN) is not stored at all, and rotation is refused.
func TestConfiguredWebhookTokenIsNotStored(t *testing.T) {
	ctx := context.Background()
	st := storeFactories["sqlite"](t)
	secret, created, err := EnsureWebhookToken(ctx, st, "configured-token-0123456789abcdef")
	if err != nil || created || secret.Token != "configured-token-0123456789abcdef" {
		t.Fatalf("%+v %v %v", secret, created, err)
	}
	if setting(t, st, WebhookTokenSetting) != "" || setting(t, st, WebhookTokenHashSetting) != "" {
		t.Error("a configured token went into the database")
	}
	srv := New(st, Options{WebhookToken: secret.Token, WebhookTokenConfigured: true})
	if _, err := srv.token.Rotate(ctx); err == nil || !strings.Contains(err.Error(), "WEBHOOK_TOKEN") {
		t.Errorf("rotating a configured token: %v", err)
	}
}
