package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two builds of the same inputs give the same index digest; each entry carries its exact
// platform (variant included), and its one layer holds only the binary, the CA bundle and a /data
// that belongs to 65532.
func TestBuildIsReproducibleAndExact(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "diundashboard")
	ca := filepath.Join(dir, "ca.crt")
	for name, body := range map[string]string{bin: "not really a binary", ca: "-----BEGIN CERTIFICATE-----\n"} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := meta{version: "v1.2.3", revision: "0123abcd", created: "2026-12-07T10:00:00Z", source: "https://example.com/diundashboard", ca: ca}
	args := []string{"linux/amd64=" + bin, "linux/arm/v6=" + bin, "linux/arm/v7=" + bin}
	var digests []string
	for i := range 2 {
		out := filepath.Join(dir, "oci", string(rune('a'+i)))
		if err := build(out, m, args); err != nil {
			t.Fatal(err)
		}
		idx, err := index(out)
		if err != nil {
			t.Fatal(err)
		}
		h, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, h.String())
		var got strings.Builder
		if err := platforms(out, &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != "linux/amd64\nlinux/arm/v6\nlinux/arm/v7\n" {
			t.Errorf("platforms:\n%s", got.String())
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds gave %s and %s", digests[0], digests[1])
	}

	img, err := image(filepath.Join(dir, "oci", "a"), "linux/arm/v6")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || cf.Config.Labels["org.opencontainers.image.created"] != m.created || cf.Variant != "v6" {
		t.Errorf("config: user %q, labels %v, variant %q", cf.Config.User, cf.Config.Labels, cf.Variant)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var entries []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, h.Name)
		if h.Name == "data/" && (h.Uid != uid || h.Gid != uid || h.Mode != 0o700) {
			t.Errorf("/data: %d:%d %o", h.Uid, h.Gid, h.Mode)
		}
	}
	if strings.Join(entries, " ") != "data/ diundashboard etc/ etc/ssl/ etc/ssl/certs/ etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("layer entries: %v", entries)
	}
	if _, err := image(filepath.Join(dir, "oci", "a"), "linux/arm"); err == nil {
		t.Error("linux/arm (no variant) matched an entry")
	}
}
