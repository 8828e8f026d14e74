package web_test

import (
	"bufio"
	"context"
	"net/http"
	"testing"
	"time"

	"diundashboard/server/auth"
	"diundashboard/server/store"
	"diundashboard/server/web"
)

// An open stream ends once its credential is revoked: a revoked API token, or every session
// ended (found by an outside review: a revoked token's stream ran on for minutes).
func TestStreamsEndWhenTheCredentialIsRevoked(t *testing.T) {
	web.SetCredentialRecheck(t, 50*time.Millisecond)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	const tok = "dd_revoked-widget-token-0123456789abcdef"
	rec, err := e.st.CreateAPIToken(context.Background(), "widget", auth.Hash(tok), tok[:8], store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	e.login()
	session := openStream(t, e, nil)
	token := openStream(t, withOwnJar(e), map[string]string{"Authorization": "Bearer " + tok})
	for name, res := range map[string]*http.Response{"session": session, "token": token} {
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s stream: %d", name, res.StatusCode)
		}
	}
	if err := e.st.RevokeAPIToken(context.Background(), rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.DeleteAllSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	// No event flows: the streams must end by their own check, not wait for the next event.
	for name, res := range map[string]*http.Response{"session": session, "token": token} {
		ended := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
			}
			close(ended)
		}()
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Errorf("the %s stream goes on after its credential was revoked", name)
		}
	}
}
