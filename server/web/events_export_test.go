package web

import (
	"testing"
	"time"
)

// SetStreamWriteTimeout shortens the write deadline of event streams until the test ends. Call
// it before the server starts: its cleanup must run after the server's, once no stream reads it.
func SetStreamWriteTimeout(t testing.TB, d time.Duration) {
	old := streamWriteTimeout
	streamWriteTimeout = d
	t.Cleanup(func() { streamWriteTimeout = old })
}

// MaxStreams is the cap on the event streams of one principal.
const MaxStreams = maxStreams

// SetCredentialRecheck makes open streams check their credential every d until the test ends.
func SetCredentialRecheck(t testing.TB, d time.Duration) {
	old := credentialRecheck
	credentialRecheck = d
	t.Cleanup(func() { credentialRecheck = old })
}
