package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"diundashboard/server/auth"
)

// TestBrowserTagsCreateTwice: with app.js, the tags page's name field is empty again after a
// tag is made in place, so that the next name typed is a name of its own ("prod", then
// "media stuff", not "prodmedia stuff"; issue 11, finding 4).
func TestBrowserTagsCreateTwice(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	signIn(t, ctx, e.ts.URL)
	step(t, ctx, "the tags page", 10*time.Second,
		chromedp.Navigate(e.ts.URL+"/tags"),
		chromedp.WaitVisible(chromedp.CSS(`#tag-new`)),
	)
	for _, name := range []string{"prod", "media stuff"} {
		step(t, ctx, "create "+name, 10*time.Second,
			chromedp.SendKeys(chromedp.CSS(`#tag-new`), name),
			chromedp.Click(chromedp.CSS(`.tag-new button`)),
		)
		waitTrue(t, ctx, "the tag "+name+" in the list",
			fmt.Sprintf(`[...document.querySelectorAll(".tag-list a.chip")].some((a) => a.textContent === %q)`, name))
		if p := eval[string](t, ctx, `location.pathname`); p != "/tags" {
			t.Fatalf("creating %s left the page for %s", name, p)
		}
		if v := eval[string](t, ctx, `document.getElementById("tag-new").value`); v != "" {
			t.Errorf("after creating %s the name field still holds %q", name, v)
		}
	}
	for _, name := range []string{"prod", "media stuff"} {
		if _, ok := tagByName(t, e, name); !ok {
			t.Errorf("no tag %q was made", name)
		}
	}
	if _, ok := tagByName(t, e, "prodmedia stuff"); ok {
		t.Error(`the second name was added to the first: "prodmedia stuff"`)
	}

	// A refused name stays in the field, to be corrected.
	step(t, ctx, "create a taken name", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(`#tag-new`), "prod"),
		chromedp.Click(chromedp.CSS(`.tag-new button`)),
	)
	waitTrue(t, ctx, "the refusal", `document.getElementById("notice").textContent.includes("already")`)
	if v := eval[string](t, ctx, `document.getElementById("tag-new").value`); v != "prod" {
		t.Errorf("after a refused name the field holds %q, want what was typed", v)
	}
}

// TestBrowserImagePageOneZone: on an image's page, in a browser in Europe/Paris, the
// snooze's end reads the same in the header and in the timeline: the browser's local time,
// formatted alike, with UTC on hover (issue 11, finding 12).
func TestBrowserImagePageOneZone(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	seed(e)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Paris"}); err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, e.ts.URL)
	id := imageID(t, e, "nas", "docker.io/library/nginx:1.29-alpine")
	day := time.Now().In(paris).AddDate(0, 0, 5)
	until := time.Date(day.Year(), day.Month(), day.Day(), 12, 35, 0, 0, paris)
	step(t, ctx, "snooze until 12:35 Paris", 10*time.Second,
		chromedp.Navigate(fmt.Sprintf("%s/images/%d", e.ts.URL, id)),
		chromedp.WaitVisible(chromedp.CSS("#custom")),
		chromedp.SetValue(chromedp.CSS(`#custom input[name="until_local"]`), until.Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.CSS("#custom button")),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
	)
	// A fresh load, as someone coming to the page would see it.
	step(t, ctx, "the image page", 10*time.Second,
		chromedp.Navigate(fmt.Sprintf("%s/images/%d", e.ts.URL, id)),
		chromedp.WaitVisible(chromedp.CSS(".timeline li.change time[data-abs]")),
	)
	head := eval[string](t, ctx, `document.querySelector(".head time[data-abs]").textContent`)
	line := eval[string](t, ctx, `document.querySelector(".timeline li.change time[data-abs]").textContent`)
	if head != line {
		t.Errorf("the header says until %q, the timeline until %q: want one time written one way", head, line)
	}
	for _, shown := range []string{head, line} {
		if strings.Contains(shown, "UTC") || !strings.Contains(shown, "12:35") {
			t.Errorf("the snooze's end reads %q, want 12:35 in the browser's zone", shown)
		}
	}
	utc := until.UTC().Format("2006-01-02 15:04") + " UTC"
	for _, sel := range []string{".head time[data-abs]", ".timeline li.change time[data-abs]"} {
		if hover := eval[string](t, ctx, `document.querySelector(`+fmt.Sprintf("%q", sel)+`).title`); hover != utc {
			t.Errorf("hovering %s shows %q, want %q", sel, hover, utc)
		}
	}
	// No time on the page is left written in UTC once app.js ran.
	if text := eval[string](t, ctx, `document.querySelector("main").innerText`); strings.Contains(text, "UTC") {
		t.Errorf("the image page still shows a time in UTC:\n%s", text)
	}
}

// TestBrowserConnectSnippetsMasked: the snippets show the token masked until "Show the token"
// is opened, with app.js and without it (the details element and the stylesheet do it); the
// copy buttons copy the settings with the real token (issue 11, finding 15).
func TestBrowserConnectSnippetsMasked(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, databases["sqlite"](t), auth.ModeBuiltin)
	signIn(t, ctx, e.ts.URL)
	shows := func(id string) string {
		return eval[string](t, ctx, `document.getElementById(`+fmt.Sprintf("%q", id)+`).innerText`)
	}
	check := func(how string) {
		t.Helper()
		if s := shows("snippet-env"); strings.Contains(s, webhookToken) || !strings.Contains(s, "Bearer ••••") {
			t.Errorf("%s: before the token is shown, the env file reads\n%s", how, s)
		}
		step(t, ctx, how+": show the token", 5*time.Second, chromedp.Click(chromedp.CSS(`details.secret summary`)))
		if how == "with app.js" {
			fullScreenshot(t, ctx, "connect-token-shown-light.png")
		}
		for _, id := range []string{"webhook-token", "snippet-env", "snippet-yml"} {
			if s := shows(id); !strings.Contains(s, webhookToken) || strings.Contains(s, "••••") {
				t.Errorf("%s: with the token shown, %s reads\n%s", how, id, s)
			}
		}
		step(t, ctx, how+": hide the token", 5*time.Second, chromedp.Click(chromedp.CSS(`details.secret summary`)))
		if s := shows("snippet-yml"); strings.Contains(s, webhookToken) {
			t.Errorf("%s: the token hidden again, diun.yml reads\n%s", how, s)
		}
	}

	step(t, ctx, "connect page", 10*time.Second,
		chromedp.Navigate(e.ts.URL+"/connect"),
		chromedp.WaitVisible(chromedp.CSS(`button.copy[data-copy="snippet-env"]`)),
	)
	fullScreenshot(t, ctx, "connect-token-masked-light.png")
	check("with app.js")
	// Copying takes the settings with the token, and leaves the token masked.
	eval[bool](t, ctx, `Object.defineProperty(navigator, "clipboard", {value: {writeText: async (s) => { window.copied = s; }}}), true`)
	step(t, ctx, "copy the env file", 5*time.Second,
		chromedp.Click(chromedp.CSS(`button.copy[data-copy="snippet-env"]`)),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
	)
	if got := eval[string](t, ctx, `window.copied || ""`); !strings.Contains(got, "DIUN_NOTIF_WEBHOOK_HEADERS_AUTHORIZATION=Bearer "+webhookToken+"\n") || strings.Contains(got, "••••") {
		t.Errorf("the copy button copied\n%s\nwant the env file with the token", got)
	}
	if s := shows("snippet-env"); strings.Contains(s, webhookToken) {
		t.Errorf("copying showed the token in the page:\n%s", s)
	}

	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "connect page without scripts", 10*time.Second,
		chromedp.Navigate(e.ts.URL+"/connect"),
		chromedp.WaitVisible(chromedp.CSS(`details.secret summary`)),
	)
	if eval[bool](t, ctx, `document.documentElement.classList.contains("js")`) {
		t.Fatal("app.js ran: the page is not without scripts")
	}
	check("without app.js")
}
