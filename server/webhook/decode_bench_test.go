package webhook

import "testing"

// BenchmarkDecode decodes the body loadgen sends, a real Diun notification with metadata: it runs
// once per webhook request.
func BenchmarkDecode(b *testing.B) {
	body := []byte(`{"diun_version":"v4.33.0","hostname":"host-01","status":"update","provider":"docker","image":"docker.io/team/service-0001:1.1","hub_link":"https://hub.docker.com/r/team/service-0001","mime_type":"application/vnd.oci.image.index.v1+json","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","created":"2026-11-01T00:00:00Z","platform":"linux/amd64","metadata":{"ctn_command":"/app --port 8080","ctn_createdat":"2026-05-28 20:26:40 +0000 UTC","ctn_id":"0123456789abcdef0123456789abcdef","ctn_names":"service-0001-1","ctn_size":"0B","ctn_state":"running","ctn_status":"Up 2 hours (healthy)"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
