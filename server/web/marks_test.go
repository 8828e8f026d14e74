package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// seedMarks gives each mark of an open row one row on host "marks" (issue 18, F2): a new
// image, one reopened by a new digest, one that got another new digest while open, one back
// from its snooze, one a person reopened (marked as new only when it is). It returns their ids
// by the mark they should carry.
func seedMarks(t *testing.T, e *env) map[string]int64 {
	t.Helper()
	refs := map[string]string{
		"new":                               "docker.io/acme/fresh:1",
		"new digest since you acknowledged": "docker.io/acme/reopened:1",
		"newer digest since it opened":      "docker.io/acme/newer:1",
		"back from snooze":                  "docker.io/acme/woken:1",
		"person":                            "docker.io/acme/handled:1",
	}
	n := 700
	for _, ref := range refs {
		n++
		e.notify("marks", ref, digestN(n), `{"ctn_names":"svc"}`)
	}
	ids := map[string]int64{}
	for mark, ref := range refs {
		ids[mark] = imageID(t, e, "marks", ref)
	}
	e.login()
	postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", ids["new digest since you acknowledged"]), nil)
	e.notify("marks", refs["new digest since you acknowledged"], digestN(720), `{"ctn_names":"svc"}`)
	e.notify("marks", refs["newer digest since it opened"], digestN(721), `{"ctn_names":"svc"}`)
	postJSON(t, e, fmt.Sprintf("/images/%d/snooze", ids["back from snooze"]), url.Values{"for": {"1h"}})
	// The snooze timer, run as if two hours had passed.
	if _, err := e.st.WakeSnoozed(t.Context(), time.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	postJSON(t, e, fmt.Sprintf("/images/%d/acknowledge", ids["person"]), nil)
	postJSON(t, e, fmt.Sprintf("/images/%d/reopen", ids["person"]), nil)
	return ids
}

// TestOverviewMarksSayWhatHappened: each open row tells app.js what changed in it and since
// when; a row back from its snooze and one with another new digest while open are no longer
// read as a person's reopening (which is news only as far as the image itself is new).
// On each store (the marks read what the ingest and triage write).
func TestOverviewMarksSayWhatHappened(t *testing.T) {
	eachStore(t, testOverviewMarks)
}

func testOverviewMarks(t *testing.T, e *env) {
	ids := seedMarks(t, e)
	_, body := e.get("/?host=marks", nil)
	for mark, id := range ids {
		if mark == "person" {
			mark = "new"
		}
		if !regexp.MustCompile(fmt.Sprintf(`id="img-%d" data-since="[^"]+" data-mark="%s"`, id, regexp.QuoteMeta(mark))).MatchString(body) {
			t.Errorf("row %d is not marked %q:\n%s", id, mark, regexp.MustCompile(fmt.Sprintf(`id="img-%d"[^>]*>`, id)).FindString(body))
		}
	}
	// The times: the snooze's end is the timer's time, two hours on; the person's reopening
	// keeps the image's first report.
	since := func(id int64) time.Time {
		m := regexp.MustCompile(fmt.Sprintf(`id="img-%d" data-since="([^"]+)"`, id)).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("row %d has no data-since", id)
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	if s := since(ids["back from snooze"]); time.Until(s) < time.Hour {
		t.Errorf("back from snooze since %s, want the timer's time, two hours on", s)
	}
	img, err := e.st.GetImage(t.Context(), ids["person"])
	if err != nil {
		t.Fatal(err)
	}
	if s := since(ids["person"]); !s.Equal(img.FirstSeen.Truncate(time.Second)) {
		t.Errorf("the row a person reopened is marked since %s, not the image's first report (%s)", s, img.FirstSeen)
	}
}
