package web_test

import (
	"strings"
	"testing"

	"diundashboard/server/auth"
)

// Issue 11, finding 15: the Connect page hides the webhook token behind "Show the token",
// and its snippets do the same: the text shown has the token masked, the full text (what the
// copy buttons copy, and what "Show the token" shows) is in the page beside it.
func TestConnectSnippetsMaskTheToken(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	_, body := e.get("/connect", nil)
	if !strings.Contains(body, `id="snippets-masked"`) {
		t.Error("the page does not say that the snippets mask the token")
	}
	for _, id := range []string{"snippet-yml", "snippet-compose", "snippet-env", "snippet-run"} {
		masked := snippetPart(t, body, id, "masked")
		if strings.Contains(masked, webhookToken) {
			t.Errorf("%s shows the token in full:\n%s", id, masked)
		}
		if !strings.Contains(masked, "Bearer ••••") {
			t.Errorf("%s does not show where the token goes:\n%s", id, masked)
		}
		if full := snippet(t, body, id); !strings.Contains(full, "Bearer "+webhookToken) {
			t.Errorf("%s's full text lacks the token:\n%s", id, full)
		}
		// Masked and full differ only by the token.
		if full := snippet(t, body, id); strings.ReplaceAll(full, webhookToken, "••••••••••••••••") != masked {
			t.Errorf("%s: the masked text is not the full text with the token masked:\n%s\n---\n%s", id, masked, full)
		}
	}
	if !strings.Contains(body, `<code class="full" hidden>`) {
		t.Error("the full snippets are not hidden until the token is shown")
	}
}
