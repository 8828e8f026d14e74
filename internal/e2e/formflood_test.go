//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFormFloodMemory is finding 2 of issue 9 replayed against the real binary: eight
// concurrent 40 MiB sign-in bodies and four 40 MiB bodies posted to /bulk without signing in,
// in every shape that used to be read (urlencoded with a length, chunked, multipart with the
// whole 40 MiB in the username). Before the UI bounded its forms, this attack took the
// process's peak from 59 to 826 MiB and wrote 84 MB of log: the multipart usernames, 40 MiB
// each, logged whole (and sent back in the sign-in page).
//
// The bound on the peak resident set (VmHWM) is 80 MiB. An idle server peaks at about 40 MiB;
// each of the twelve requests may now hold at most its form limit (16 KiB for sign-in, none for
// a request that is not signed in, whose body is never read) plus the net/http buffers and
// the 256 KiB net/http reads to drain a refused body, about 4 MiB for all of them. 80 MiB leaves
// room for the runtime and allocator while staying below what a single unbounded 40 MiB form
// (or ten 10 MiB ones, the old urlencoded cap) costs.
func TestFormFloodMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the peak resident set")
	}
	const (
		bodySize  = 40 << 20
		peakBound = 80 << 20
		// logBound: a dozen refused requests make a dozen request lines of a few hundred bytes.
		logBound = 32 << 10
	)
	p := start(t, "sqlite:"+filepath.Join(t.TempDir(), "flood.db"), "AUTH_MODE=builtin", "LOG_LEVEL=info")
	defer p.stop()
	pid := childPID(t, binary(t))

	// Warm up the pages the attack reaches, so that the baseline includes their first use.
	for _, path := range []string{"/login", "/"} {
		if res, err := http.Get(p.URL(path)); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	baseline := vmHWM(t, pid)
	logBefore := len(p.Logs.String())

	type shot struct {
		name, path string
		body       func() (contentType string, r io.Reader, length int64)
		want       []int // statuses that mean "refused without reading it"
	}
	urlencoded := func(field string) func() (string, io.Reader, int64) {
		return func() (string, io.Reader, int64) {
			prefix := field + "="
			return "application/x-www-form-urlencoded", io.MultiReader(strings.NewReader(prefix), filler(bodySize-int64(len(prefix)))), bodySize
		}
	}
	chunked := func(field string) func() (string, io.Reader, int64) {
		return func() (string, io.Reader, int64) {
			ct, r, _ := urlencoded(field)()
			return ct, r, -1
		}
	}
	multipartBody := func(field string) func() (string, io.Reader, int64) {
		return func() (string, io.Reader, int64) {
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				w, err := mw.CreateFormField(field)
				if err == nil {
					_, err = io.Copy(w, filler(bodySize))
				}
				if err == nil {
					err = mw.Close()
				}
				pw.CloseWithError(err)
			}()
			return mw.FormDataContentType(), pr, -1
		}
	}
	login := []int{http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType}
	signedOut := []int{http.StatusSeeOther}
	shots := []shot{
		{"login urlencoded 1", "/login", urlencoded("username"), login},
		{"login urlencoded 2", "/login", urlencoded("password"), login},
		{"login urlencoded 3", "/login", urlencoded("username"), login},
		{"login chunked 1", "/login", chunked("username"), login},
		{"login chunked 2", "/login", chunked("next"), login},
		{"login multipart 1", "/login", multipartBody("username"), login},
		{"login multipart 2", "/login", multipartBody("username"), login},
		{"login multipart 3", "/login", multipartBody("password"), login},
		{"bulk urlencoded", "/bulk", urlencoded("id"), signedOut},
		{"bulk chunked", "/bulk", chunked("id"), signedOut},
		{"bulk multipart 1", "/bulk", multipartBody("id"), signedOut},
		{"bulk multipart 2", "/bulk", multipartBody("return"), signedOut},
	}

	client := &http.Client{
		Timeout:       60 * time.Second,
		Transport:     &http.Transport{DisableKeepAlives: true, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	type outcome struct {
		status  int
		replied int64
		err     error
	}
	outcomes := make([]outcome, len(shots))
	start := time.Now()
	var wg sync.WaitGroup
	for i, s := range shots {
		wg.Go(func() {
			ct, body, length := s.body()
			req, err := http.NewRequest(http.MethodPost, p.URL(s.path), body)
			if err != nil {
				outcomes[i].err = err
				return
			}
			req.ContentLength = length
			req.Header.Set("Content-Type", ct)
			res, err := client.Do(req)
			if err != nil {
				// The server may close the connection while the client still uploads: the body
				// was refused either way, and the memory figure below is what this test is about.
				outcomes[i].err = err
				return
			}
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			outcomes[i] = outcome{status: res.StatusCode, replied: n}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := vmHWM(t, pid)
	logGrowth := len(p.Logs.String()) - logBefore

	answered := 0
	for i, o := range outcomes {
		s := shots[i]
		switch {
		case o.err != nil:
			t.Logf("%s: no reply, the connection ended during the upload: %v", s.name, o.err)
		case !slices.Contains(s.want, o.status):
			t.Errorf("%s: POST %s answered %d (%d bytes), want one of %v", s.name, s.path, o.status, o.replied, s.want)
		default:
			answered++
			if o.replied > 64<<10 {
				t.Errorf("%s: the reply is %d bytes: something of the body was echoed", s.name, o.replied)
			}
		}
	}
	t.Logf("%d posts of %d MiB each, over in %s; %d answered with a refusal or the sign-in redirect", len(shots), bodySize>>20, elapsed.Round(time.Millisecond), answered)
	t.Logf("peak RSS (VmHWM): %.1f MiB before the attack, %.1f MiB after; bound %.0f MiB", mib(baseline), mib(peak), mib(peakBound))
	t.Logf("log grew by %d bytes during the attack; bound %d", logGrowth, logBound)
	if answered == 0 {
		t.Error("no request got an answer: the server did not refuse the bodies, it dropped every connection")
	}
	if peak > peakBound {
		t.Errorf("peak RSS %.1f MiB is over the %.0f MiB bound: the server read the bodies", mib(peak), mib(peakBound))
	}
	if logGrowth > logBound {
		t.Errorf("the log grew by %d bytes (bound %d):\n%s", logGrowth, logBound, tail(p.Logs.String()[logBefore:], 2000))
	}
	if strings.Contains(p.Logs.String(), strings.Repeat("a", 1024)) {
		t.Error("the log holds a run of the attacker's body")
	}
	// Still serving.
	res, err := http.Get(p.URL("/readyz"))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz after the attack: %v %v", res, err)
	}
	res.Body.Close()
}

// filler is n bytes of 'a', made as they are read: the test must not hold 480 MiB itself.
func filler(n int64) io.Reader { return io.LimitReader(repeatByte('a'), n) }

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// childPID finds the process of bin that this test started: proctest.Process does not expose
// its pid, and the child's parent is this test binary.
func childPID(t *testing.T, bin string) int {
	t.Helper()
	want, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || exe != want {
			continue
		}
		if ppid, ok := statusField(fmt.Sprintf("/proc/%d/status", pid), "PPid:"); ok && ppid == int64(os.Getpid()) {
			return pid
		}
	}
	t.Fatalf("no child process runs %s", bin)
	return 0
}

// vmHWM is the peak resident set of pid, in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	kb, ok := statusField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:")
	if !ok {
		t.Fatalf("no VmHWM for pid %d", pid)
	}
	return kb << 10
}

// statusField reads the number of a "Name:  123 kB" line of a /proc status file.
func statusField(path, name string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				return 0, false
			}
			n, err := strconv.ParseInt(fields[0], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
