package webhook

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"diundashboard/server/httpx"
)

// smallBody is what every real notification fits in: Diun's bodies are a few hundred bytes, a
// Kubernetes pod's metadata a few kilobytes. Bodies up to it are read at once, however many.
const smallBody = 32 << 10

// maxLargeBodies bounds the bodies over smallBody (up to MaxBody) being read and decoded at
// once: each costs a few MiB while it is, and 256 concurrent 1 MB bodies took the process to
// 610 MB (found by an outside review, L4). With the bound, they cost at most about
// maxLargeBodies × 3 MiB together.
const maxLargeBodies = 4

// largeBodyWait is how long a large body waits for its turn before it is answered 503.
const largeBodyWait = 10 * time.Second

// answerGrace is how long the answer to a body that did not arrive in time may take to write.
const answerGrace = 5 * time.Second

// bodyReader reads webhook bodies, the large ones a few at a time.
type bodyReader struct {
	large chan struct{}
	wait  time.Duration
}

func newBodyReader() *bodyReader {
	return &bodyReader{large: make(chan struct{}, maxLargeBodies), wait: largeBodyWait}
}

// read reads the body of r, at most MaxBody bytes, and returns it with release, which gives
// back the large body's turn once it has been decoded. A body that cannot be read is
// answered (413, 400, 503) and status is that status, else 0.
func (b *bodyReader) read(w http.ResponseWriter, r *http.Request) (body []byte, release func(), status int) {
	release = func() {}
	if r.ContentLength > MaxBody {
		// Said up front: answered before a byte of it is read (nor a 100 Continue sent), rather
		// than after waiting for a megabyte that may never come.
		w.Header().Set("Connection", "close")
		return nil, release, readError(w, &http.MaxBytesError{Limit: MaxBody})
	}
	limited := http.MaxBytesReader(w, r.Body, MaxBody)
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= smallBody {
		// Room for the whole body and the read that finds its end: no regrowing on the way.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if r.ContentLength <= smallBody {
		n, err := io.CopyN(&buf, limited, smallBody+1)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, release, readError(w, err)
		}
		if n <= smallBody {
			return buf.Bytes(), release, 0
		}
	}
	timer := time.NewTimer(b.wait)
	defer timer.Stop()
	select {
	case b.large <- struct{}{}:
	case <-timer.C:
		w.Header().Set("Retry-After", "5")
		w.Header().Set("Connection", "close") // the rest of the body is not worth reading
		httpx.WriteError(w, http.StatusServiceUnavailable, "too many large notifications at once (over %d KiB each; Diun's are a few hundred bytes); send it again in a few seconds", smallBody>>10)
		return nil, release, http.StatusServiceUnavailable
	case <-r.Context().Done():
		return nil, release, http.StatusServiceUnavailable
	}
	release = func() { <-b.large }
	if _, err := io.Copy(&buf, limited); err != nil {
		release()
		return nil, func() {}, readError(w, err)
	}
	return buf.Bytes(), release, 0
}

func readError(w http.ResponseWriter, err error) int {
	if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
		httpx.WriteError(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes; Diun's notifications are far smaller", MaxBody)
		return http.StatusRequestEntityTooLarge
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The server's write deadline began as the headers were read and ends with the read
		// deadline that just passed: without more time the answer is lost, and the client
		// sees the connection close without one.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(answerGrace))
		w.Header().Set("Connection", "close")
		httpx.WriteError(w, http.StatusRequestTimeout, "the body did not arrive in time; send it whole, at once")
		return http.StatusRequestTimeout
	}
	httpx.WriteError(w, http.StatusBadRequest, "cannot read the body: %v", err)
	return http.StatusBadRequest
}
