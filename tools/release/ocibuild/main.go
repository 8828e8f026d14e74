// Command ocibuild builds DiunDashboard's multi-platform OCI image index from scratch, without a
// container engine, out of the release's own binaries (scripts/release.sh), and reads it back for
// `make release-check`:
//
//	ocibuild build -out dist/oci -version v1.2.3 -revision SHA -created RFC3339 -source URL \
//	    -ca /etc/ssl/certs/ca-certificates.crt linux/amd64=PATH linux/arm/v7=PATH …
//	ocibuild platforms -layout dist/oci       # one os/arch[/variant] per line, in index order
//	ocibuild digest -layout dist/oci          # the index's digest (what a registry shows)
//	ocibuild extract -layout dist/oci -platform linux/arm/v7 | tar -x -C ROOTFS
//	ocibuild config -layout dist/oci -platform linux/arm/v7  # the image's config, JSON
//
// Every timestamp is the commit's, and the layer is written in a fixed order with fixed owners,
// so that two builds of one commit give the same digest.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's user: numeric, so that Kubernetes' runAsNonRoot can check it without a passwd file
// (65532 is distroless' "nonroot", the user the image had before).
const uid = 65532

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: ocibuild build|platforms|digest|extract|config [flags]"))
	}
	fs := flag.NewFlagSet("ocibuild "+os.Args[1], flag.ExitOnError)
	out := fs.String("out", "dist/oci", "build: the OCI layout directory to write (replaced)")
	dir := fs.String("layout", "dist/oci", "the OCI layout directory to read")
	platform := fs.String("platform", "", "extract, config: os/arch[/variant]")
	var m meta
	fs.StringVar(&m.version, "version", "", "build: the release version (v1.2.3)")
	fs.StringVar(&m.revision, "revision", "", "build: the commit")
	fs.StringVar(&m.created, "created", "", "build: the commit time, RFC 3339")
	fs.StringVar(&m.source, "source", "", "build: the source repository's URL")
	fs.StringVar(&m.ca, "ca", "/etc/ssl/certs/ca-certificates.crt", "build: the CA bundle to install")
	fs.Parse(os.Args[2:])

	var err error
	switch os.Args[1] {
	case "build":
		err = build(*out, m, fs.Args())
	case "platforms":
		err = platforms(*dir, os.Stdout)
	case "digest":
		var idx v1.ImageIndex
		if idx, err = index(*dir); err == nil {
			var h v1.Hash
			h, err = idx.Digest()
			fmt.Println(h)
		}
	case "extract", "config":
		var img v1.Image
		if img, err = image(*dir, *platform); err != nil {
			break
		}
		if os.Args[1] == "config" {
			var b []byte
			if b, err = img.RawConfigFile(); err == nil {
				_, err = os.Stdout.Write(b)
			}
			break
		}
		rc := mutate.Extract(img)
		_, err = io.Copy(os.Stdout, rc)
		rc.Close()
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ocibuild:", err)
	os.Exit(1)
}

type meta struct{ version, revision, created, source, ca string }

// build writes the index of one image per platform=binary argument, in the order given.
func build(out string, m meta, args []string) error {
	if m.version == "" || m.revision == "" || m.created == "" || m.source == "" || len(args) == 0 {
		return errors.New("build needs -version, -revision, -created, -source and at least one os/arch[/variant]=BINARY")
	}
	created, err := time.Parse(time.RFC3339, m.created)
	if err != nil {
		return fmt.Errorf("-created: %w", err)
	}
	ca, err := os.ReadFile(m.ca)
	if err != nil {
		return err
	}
	labels := map[string]string{
		"org.opencontainers.image.title":       "DiunDashboard",
		"org.opencontainers.image.description": "A dashboard for Diun's image update notifications: webhook receiver, triage UI and JSON API",
		"org.opencontainers.image.version":     m.version,
		"org.opencontainers.image.revision":    m.revision,
		"org.opencontainers.image.created":     created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.source":      m.source,
		"org.opencontainers.image.url":         m.source,
		"org.opencontainers.image.licenses":    "MIT",
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arg := range args {
		name, bin, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q is not os/arch[/variant]=BINARY", arg)
		}
		p, err := v1.ParsePlatform(name)
		if err != nil {
			return err
		}
		img, err := platformImage(*p, bin, ca, created, labels)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	idx = mutate.Annotations(idx, labels).(v1.ImageIndex)
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	// index.json names the one image index by its version, as `docker buildx --output type=oci`
	// does; crane, skopeo and regctl push it as it is.
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": m.version})); err != nil {
		return err
	}
	h, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Println(h)
	return nil
}

// platformImage is one layer on nothing: the binary, the CA bundle and the /data mount point,
// closed to all but the image's user.
func platformImage(p v1.Platform, bin string, ca []byte, created time.Time, labels map[string]string) (v1.Image, error) {
	exe, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []struct {
		name string
		mode int64
		id   int
		body []byte
	}{
		{"data/", 0o700, uid, nil},
		{"diundashboard", 0o755, 0, exe},
		{"etc/", 0o755, 0, nil},
		{"etc/ssl/", 0o755, 0, nil},
		{"etc/ssl/certs/", 0o755, 0, nil},
		{"etc/ssl/certs/ca-certificates.crt", 0o644, 0, ca},
	} {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.id, Gid: e.id, ModTime: created, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "scripts/release.sh (tools/release/ocibuild)", Comment: "the release binary, CA certificates, /data",
	}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: created}
	cf.Author = ""
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", uid, uid),
		Entrypoint: []string{"/diundashboard"},
		Cmd:        []string{"serve"},
		Env: []string{
			"DATABASE_URL=sqlite:/data/diundashboard.db",
			"LISTEN_ADDR=:8080",
			"LOG_FORMAT=json",
		},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Volumes:      map[string]struct{}{"/data": {}},
		WorkingDir:   "/",
		Labels:       labels,
		// /healthz answers without the database, so that an outage of PostgreSQL does not get
		// the container restarted; /readyz is the one that checks the database.
		Healthcheck: &v1.HealthConfig{
			Test:        []string{"CMD", "/diundashboard", "healthcheck"},
			Interval:    30 * time.Second,
			Timeout:     5 * time.Second,
			StartPeriod: 15 * time.Second,
			Retries:     3,
		},
	}
	return mutate.ConfigFile(img, cf)
}

func index(dir string) (v1.ImageIndex, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	outer, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := outer.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("%s/index.json does not hold exactly one image index", dir)
	}
	return outer.ImageIndex(m.Manifests[0].Digest)
}

func platforms(dir string, w io.Writer) error {
	idx, err := index(dir)
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range m.Manifests {
		if d.Platform == nil {
			return fmt.Errorf("the index entry %s has no platform", d.Digest)
		}
		fmt.Fprintln(w, d.Platform.String())
	}
	return nil
}

// image is the index's image for platform, which must match an entry exactly (variant included).
func image(dir, platform string) (v1.Image, error) {
	idx, err := index(dir)
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.String() == platform {
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, err
			}
			// The entry's platform must be the image's own.
			cf, err := img.ConfigFile()
			if err != nil {
				return nil, err
			}
			if got := cf.Platform().String(); got != platform {
				return nil, fmt.Errorf("the index says %s, the image's config says %s", platform, got)
			}
			return img, nil
		}
	}
	return nil, fmt.Errorf("no image for %s in %s", platform, dir)
}
