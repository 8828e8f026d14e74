package webhook

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// TestDecodeNamesWhatTheBodyIs: a body that is compressed, or starts with a byte order mark,
// is refused with what it is and what to send (it said "not valid UTF-8" and "must be one JSON
// object"; found by an outside tester).
func TestDecodeNamesWhatTheBodyIs(t *testing.T) {
	const good = `{"diun_version":"v4.33.0","hostname":"vm","status":"new","provider":"docker","image":"docker.io/library/redis:8","hub_link":"","mime_type":"x","digest":"sha256:abcdef0123000000000000000000000000000000000000000000000000000000","created":null,"platform":"linux/amd64","metadata":null}`
	if _, err := Decode([]byte(good)); err != nil {
		t.Fatalf("the good body: %v", err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(good))
	w.Close()
	for name, c := range map[string]struct {
		body []byte
		want string
	}{
		"gzip":            {gz.Bytes(), "gzip-compressed"},
		"byte order mark": {[]byte("\ufeff" + good), "byte order mark"},
	} {
		_, err := Decode(c.body)
		var de *decodeError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error saying %q", name, err, c.want)
		} else if de, _ = err.(*decodeError); de == nil || de.Status != 400 {
			t.Errorf("%s: %#v, want a 400", name, err)
		}
	}
}
