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

// SetLiveWindow sets how often at most a stream tells a browser of changes (0: every event at
// once) until the test ends. Call it before the server starts.
func SetLiveWindow(t testing.TB, d time.Duration) {
	old := liveWindow
	liveWindow = d
	t.Cleanup(func() { liveWindow = old })
}

// SetLiveClock makes the streams started from now on open their merge windows with after
// instead of time.After, until the test ends. Call it before the server starts.
func SetLiveClock(t testing.TB, after func(time.Duration) <-chan time.Time) {
	old := liveAfter
	liveAfter = after
	t.Cleanup(func() { liveAfter = old })
}
