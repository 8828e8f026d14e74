package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
)

// A plain form post (no JavaScript) is answered with a redirect that carries its outcome in the
// URL. The notice is signed with a key of this process, so that a crafted link cannot make the
// dashboard display text of someone else's choosing; a redirect served by another replica
// simply shows no notice.
var noticeKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return k
}()

func signNotice(msg string) string {
	m := hmac.New(sha256.New, noticeKey)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setNotice adds a signed notice to q.
func setNotice(q url.Values, msg string) {
	q.Set("notice", msg)
	q.Set("ns", signNotice(msg))
}

// noticeFrom returns the notice of q when its signature is right, and "" otherwise.
func noticeFrom(q url.Values) string {
	msg := q.Get("notice")
	if msg == "" || !hmac.Equal([]byte(q.Get("ns")), []byte(signNotice(msg))) {
		return ""
	}
	return msg
}
