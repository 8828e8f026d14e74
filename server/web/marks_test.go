package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// seedMarks gives each mark of an open row one row on host "marks" (issue 18, F2): a new
// image, one reopened by a new digest, one that got another new digest while open, one back
// from its snooze, one a person reopened (marked as new only when it is). It returns their ids
// by the mark they should carry, and a time after the first reports and before the rest, in
// a later second: with the last look then, each row's first news is its mark (with the last
// look before the first reports, every row is "new"), and the person's reopening is none.
func seedMarks(t *testing.T, e *env) (map[string]int64, time.Time) {
	t.Helper()
	refs := map[string]string{
		"new":                               "docker.io/acme/fresh:1",
		"new digest since you acknowledged": "docker.io/acme/reopened:1",
		"newer digest since it opened":      "docker.io/acme/newer:1",
		"back from snooze":                  "docker.io/acme/woken:1",
		"person":                            "docker.io/acme/handled:1",
	}
	n := 700
	for mark, ref := range refs {
		if mark != "new" {
			n++
			e.notify("marks", ref, digestN(n), `{"ctn_names":"svc"}`)
		}
	}
	e.login()
	looked := nextSecond()
	e.notify("marks", refs["new"], digestN(710), `{"ctn_names":"svc"}`)
	ids := map[string]int64{}
	for mark, ref := range refs {
		ids[mark] = imageID(t, e, "marks", ref)
	}
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
	return ids, looked
}

// nextSecond waits for the next whole second and returns it: a last look then is after what
// came before and before what follows, whatever the precision of the times compared.
func nextSecond() time.Time {
	at := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(at) + 10*time.Millisecond)
	return at
}

// TestOverviewMarksSayWhatHappened: each open row tells app.js what changed in it and since
// when; a row back from its snooze and one with another new digest while open are no longer
// read as a person's reopening (which is news only as far as the image itself is new).
// On each store (the marks read what the ingest and triage write).
func TestOverviewMarksSayWhatHappened(t *testing.T) {
	eachStore(t, testOverviewMarks)
}

func testOverviewMarks(t *testing.T, e *env) {
	ids, _ := seedMarks(t, e)
	_, body := e.get("/?host=marks", nil)
	marks := func(id int64) []string {
		m := regexp.MustCompile(fmt.Sprintf(`id="img-%d" data-marks="([^"]+)"`, id)).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("row %d has no data-marks", id)
		}
		return strings.Split(m[1], ";")
	}
	at := func(pair string) time.Time {
		when, err := time.Parse(time.RFC3339Nano, strings.SplitN(pair, " ", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		return when
	}
	for mark, id := range ids {
		got := marks(id)
		// Every open row was new once, first; its last mark is what happened last.
		if !strings.HasSuffix(got[0], " new") {
			t.Errorf("row %d (%s): the first mark is %q, not new", id, mark, got[0])
		}
		want := mark
		if mark == "person" {
			want = "new"
		}
		if last := got[len(got)-1]; !strings.HasSuffix(last, " "+want) {
			t.Errorf("row %d: the last mark is %q, want %q", id, last, want)
		}
		for i := 1; i < len(got); i++ {
			if at(got[i]).Before(at(got[i-1])) {
				t.Errorf("row %d: the marks are not oldest first: %q", id, got)
			}
		}
	}
	// The times: the snooze's end is the timer's time, two hours on; the person's reopening
	// adds nothing to the image's first report.
	back := marks(ids["back from snooze"])
	if s := at(back[len(back)-1]); time.Until(s) < time.Hour {
		t.Errorf("back from snooze at %s, want the timer's time, two hours on", s)
	}
	img, err := e.st.GetImage(t.Context(), ids["person"])
	if err != nil {
		t.Fatal(err)
	}
	if p := marks(ids["person"]); len(p) != 1 || at(p[0]).Before(img.FirstSeen) || at(p[0]).Sub(img.FirstSeen) >= time.Millisecond {
		t.Errorf("the row a person reopened is marked %q, not only new at the image's first report (%s)", p, img.FirstSeen)
	}
	// The page says when its data was read, for app.js to save as the last look.
	if !regexp.MustCompile(`data-rendered="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`).MatchString(body) {
		t.Error("the overview does not say when its data was read (data-rendered)")
	}
}
