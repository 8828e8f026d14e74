package webhook

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"diundashboard/server/auth"
)

// TestRejectionShowsTheAgentAsTheClientsClaim: found by a black-box test. The Connect page
// shows the User-Agent of a refused, unauthenticated request: it is cut to maxAgent bytes,
// quoted (control characters escaped) and labelled as what the client sent, never as fact.
func TestRejectionShowsTheAgentAsTheClientsClaim(t *testing.T) {
	st := stores["sqlite"](t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := New(Options{Token: NewToken(st, SecretOf("right-token-0123456789abcdef"), true), Auth: auth.TokensOnly(st, log), Logger: log})
	rs := NewRejections()
	mux := http.NewServeMux()
	h.RegisterRecording(mux, rs)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	refuse := func(agent string) Rejection {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhook", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer wrong-token-0123456789abcdef")
		req.Header.Set("User-Agent", agent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a wrong token: %d, want 401", resp.StatusCode)
		}
		rej, ok := rs.Last()
		if !ok {
			t.Fatal("the refused request was not recorded")
		}
		return rej
	}
	if rej := refuse("diun/v4.33.0 go/1.25"); rej.Agent != `User-Agent sent by the client: "diun/v4.33.0 go/1.25"` {
		t.Errorf("Diun's agent shown as %q", rej.Agent)
	}
	long := "Mozilla/5.0 " + strings.Repeat("Official DiunDashboard security notice: rotate your token at evil.example ", 10)
	rej := refuse(long)
	if !strings.HasPrefix(rej.Agent, `User-Agent sent by the client: "Mozilla/5.0 Official`) || len(rej.Agent) > len(`User-Agent sent by the client: ""`)+maxAgent+len("…") {
		t.Errorf("a long agent shown as %q (%d bytes); want it labelled and cut to %d", rej.Agent, len(rej.Agent), maxAgent)
	}
	if rej := refuse("evil\tagent"); !strings.Contains(rej.Agent, `evil\tagent`) {
		t.Errorf("a tab in the agent is not escaped: %q", rej.Agent)
	}
}
