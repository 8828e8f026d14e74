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
func setNotice(q url.Values, msg string) { setNoticeUndo(q, msg, "") }

// setNoticeUndo adds a signed notice to q, with the undo of the action it reports: the
// address of the undo's form post with its fields as the query ("/restore?item=…"). The
// signature covers both, so that a link cannot offer an "Undo" that posts something else.
// An undo from an earlier notice in q goes.
func setNoticeUndo(q url.Values, msg, undo string) {
	q.Del("undo")
	q.Set("notice", msg)
	if undo != "" {
		q.Set("undo", undo)
	}
	q.Set("ns", signNotice(noticeSigned(msg, undo)))
}

func noticeSigned(msg, undo string) string {
	if undo == "" {
		return msg
	}
	return msg + "\x00" + undo
}

// noticeFrom returns the notice of q when its signature is right, and "" otherwise.
func noticeFrom(q url.Values) string {
	msg, _ := signedNotice(q)
	return msg
}

// signedNotice returns the notice of q and its undo when their signature is right.
func signedNotice(q url.Values) (msg, undo string) {
	msg, undo = q.Get("notice"), q.Get("undo")
	if msg == "" || !hmac.Equal([]byte(q.Get("ns")), []byte(signNotice(noticeSigned(msg, undo)))) {
		return "", ""
	}
	return msg, undo
}
