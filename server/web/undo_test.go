package web_test

import (
	"net/url"
	"strings"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store"
)

// Issue 18 B4: an old Undo (Back, a reload, a race with another tab, MQTT or a token) changes
// back only what is still as its action left it; a later change is kept, and the notice says
// how many were.
func TestOldUndoKeepsLaterChanges(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("h", "docker.io/acme/a:1", digestN(1), "")
		e.notify("h", "docker.io/acme/b:1", digestN(2), "")
		ack := postJSON(t, e, "/bulk", url.Values{"action": {"acknowledge"}, "id": {"1", "2"}})
		// Meanwhile someone else ignores b.
		postJSON(t, e, "/images/2/ignore", nil)
		if ack.Undo == nil {
			t.Fatalf("%q offers no undo", ack.Message)
		}
		form := url.Values{}
		for _, f := range ack.Undo.Fields {
			form.Add(f[0], f[1])
		}
		res := postJSON(t, e, ack.Undo.Action, form)
		if got := stateOf(t, e, 1).State; got != store.StateOpen {
			t.Errorf("a: %s after the undo, want open", got)
		}
		if got := stateOf(t, e, 2).State; got != store.StateIgnored {
			t.Errorf("the old undo turned the later ignore of b into %s", got)
		}
		if !strings.Contains(res.Message, "1 image back") || !strings.Contains(res.Message, "1 image changed since") {
			t.Errorf("the undo says %q, want how many went back and how many were kept", res.Message)
		}
		// The same undo once more: nothing is as the action left it.
		res = postJSON(t, e, ack.Undo.Action, form)
		if !strings.HasPrefix(res.Message, "Nothing undone") || stateOf(t, e, 1).State != store.StateOpen {
			t.Errorf("the same undo twice says %q, leaves a %s", res.Message, stateOf(t, e, 1).State)
		}
	})
}

// An undo from a page older than the compare-and-set form (id:state:until) is refused, not
// applied blindly.
func TestUndoOfTheOldFormIsRefused(t *testing.T) {
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	e.login()
	e.notify("h", "docker.io/acme/a:1", digestN(1), "")
	postJSON(t, e, "/images/1/ignore", nil)
	res, body := e.postBody("/restore", url.Values{"item": {"1:open:"}}, jsonAccept)
	if res.StatusCode != 400 || !strings.Contains(body, "Reload the page") {
		t.Errorf("an undo of the old form: %d %s, want 400 and what to do", res.StatusCode, body)
	}
	if got := stateOf(t, e, 1).State; got != store.StateIgnored {
		t.Errorf("an undo of the old form moved the image to %s", got)
	}
}

// Issue 18 F9: the image's timeline says what reopened it (Diun, with a new digest) and which
// change was an undo.
func TestTimelineSaysWhatReopenedAndWhatWasUndone(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.login()
		e.notify("h", "docker.io/acme/a:1", digestN(1), "")
		undoWith(t, e, postJSON(t, e, "/images/1/ignore", nil))
		postJSON(t, e, "/images/1/acknowledge", nil)
		e.notify("h", "docker.io/acme/a:1", digestN(2), "") // a new digest reopens it
		if got := stateOf(t, e, 1).State; got != store.StateOpen {
			t.Fatalf("a new digest left the image %s", got)
		}
		_, body := e.get("/images/1", nil)
		for _, want := range []string{"by <strong><bdi>Diun</bdi></strong>", "(new digest; was acknowledged)", "(undo; was ignored)"} {
			if !strings.Contains(body, want) {
				t.Errorf("the timeline does not say %q", want)
			}
		}
	})
}
