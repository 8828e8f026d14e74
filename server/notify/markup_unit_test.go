package notify

import (
	"strings"
	"testing"
)

// Markdown and HTML destinations that render what they get: Telegram's parse modes (through
// its API's fixed host, redirected) are covered by untrusted's unit checks below.
func TestUntrustedEscapesEachFlavour(t *testing.T) {
	for _, tc := range []struct {
		f         flavour
		forbidden []string
	}{
		{markdown, []string{"[update now](", "*urgent*", "<img", "@everyone", "https://evil"}},
		{slack, []string{"<img", "<a ", "<!here>", "@everyone", "*urgent*", "https://evil"}},
		{htmlText, []string{"<img", "<a ", "https://evil"}},
		{telegramMarkdown, []string{"[update now](", "*urgent*", "https://evil"}},
		{telegramMarkdownV2, []string{"[update now](", "*urgent*", "https://evil", " (https"}},
		{plain, []string{"https://evil"}},
	} {
		got := untrusted(tc.f, hostileImage+"\u2028# heading\n- item")
		for _, f := range tc.forbidden {
			if strings.Contains(backslashed.ReplaceAllString(got, ""), f) {
				t.Errorf("flavour %d keeps %q: %s", tc.f, f, got)
			}
		}
		if strings.ContainsAny(got, "\n\u2028") {
			t.Errorf("flavour %d keeps a line break: %q", tc.f, got)
		}
	}
}

func TestFlavourOfEachService(t *testing.T) {
	for raw, want := range map[string]flavour{
		"smtp://u:p@mail:25/?from=a@x&to=b@y&usehtml=yes":        htmlText,
		"smtp://u:p@mail:25/?from=a@x&to=b@y":                    plain,
		"telegram://1:AA@telegram?chats=@c&parsemode=HTML":       htmlText,
		"telegram://1:AA@telegram?chats=@c&ParseMode=MarkdownV2": telegramMarkdownV2,
		"telegram://1:AA@telegram?chats=@c":                      plain,
		"discord://t@1":                                          markdown,
		"mattermost://h/t":                                       markdown,
		"slack://hook:a-b-c@webhook":                             slack,
		"ntfy://h/topic":                                         plain,
		"generic+https://h/x":                                    plain,
	} {
		if got := flavourOf(raw); got != want {
			t.Errorf("flavourOf(%s) = %d; want %d", raw, got, want)
		}
	}
}
