package web

import (
	"net/url"
	"testing"
)

func TestNoticeShowsOnlyWhatTheServerSigned(t *testing.T) {
	q := url.Values{}
	setNotice(q, "Acknowledged 3 images")
	if got := noticeFrom(q); got != "Acknowledged 3 images" {
		t.Fatalf("signed notice read back as %q", got)
	}
	forged := url.Values{"notice": {"Your session expired: sign in at evil.example"}, "ns": {q.Get("ns")}}
	if got := noticeFrom(forged); got != "" {
		t.Fatalf("a forged notice was shown: %q", got)
	}
	if got := noticeFrom(url.Values{"notice": {"unsigned"}}); got != "" {
		t.Fatalf("an unsigned notice was shown: %q", got)
	}
}
