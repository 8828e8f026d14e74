package webhook

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode: whatever arrives, the decoder never panics, and it either returns a
// notification the store will accept or a 400/422 with a message.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/diun/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"image":"a","digest":"sha256:00"}`, `{"image":"a","digest":"x"}`, `{"image":"a\nb","hostname":"h\u001b","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}`, `{"metadata":{"a":1}}`, `{"created":"2020-01-01T00:00:00Z","image":"i","digest":"s:1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := Decode(body)
		if err != nil {
			var de *decodeError
			if !errors.As(err, &de) || (de.Status != 400 && de.Status != 422) || de.Msg == "" {
				t.Fatalf("error %v is not a 400/422 with a message", err)
			}
			return
		}
		if verr := n.Validate(); verr != nil {
			t.Fatalf("decoded a notification the store refuses: %v", verr)
		}
		if n.Image == "" || n.Digest == "" {
			t.Fatalf("decoded without image or digest: %+v", n)
		}
		if checkPlainFields(n) != nil || checkDigest(n.Digest) != nil {
			t.Fatalf("decoded a control character or a digest that is not algorithm:hex: %+v", n)
		}
	})
}
