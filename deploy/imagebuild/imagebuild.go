// Package imagebuild builds Portico's container image without a container
// daemon: the same two layers and the same configuration as the final
// stage of the Dockerfile at the repository's root (the CA bundle, then
// the static binary; a numeric non-root user; the binary as entrypoint;
// the OCI labels), written as an OCI image layout or an archive that
// docker load, podman load, skopeo and crane read.
//
// cmd build-image (deploy/build-image) and the deployment tests use it, so
// the image a test checks is the image a user builds. The tests also read
// the Dockerfile and fail when its final stage and this package disagree.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image holds, as the Dockerfile's final stage writes it.
const (
	// BinaryPath is where the binary lies, and the entrypoint.
	BinaryPath = "/portico"
	// CACertsPath is where the CA bundle lies: the path Go's crypto/x509
	// reads first on Linux.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	// User is the numeric user and group the process runs as (the
	// "nonroot" user of distroless images), so that Kubernetes can check
	// runAsNonRoot without a passwd file.
	User = "65532:65532"
	// Source is the repository the labels point at.
	Source = "https://github.com/portico-gw/portico"
	// Description is the image's description label.
	Description = "Portico: the API gateway and the services behind it, in one binary"
)

// Entrypoint returns the image's entrypoint: the binary, which takes the
// component to run as its first argument.
func Entrypoint() []string { return []string{BinaryPath} }

// Labels returns the image's OCI annotations (image-spec annotations.md)
// for a version, a source revision and a creation time. Every key is
// always present, empty when its value is unknown, exactly as the
// Dockerfile's LABEL writes them when its build arguments are not given.
func Labels(version, revision string, created time.Time) map[string]string {
	var c string
	if !created.IsZero() {
		c = created.UTC().Format(time.RFC3339)
	}
	return map[string]string{
		"org.opencontainers.image.title":       "portico",
		"org.opencontainers.image.description": Description,
		"org.opencontainers.image.source":      Source,
		"org.opencontainers.image.url":         Source,
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.revision":    revision,
		"org.opencontainers.image.created":     c,
	}
}

// Options say what goes into an image.
type Options struct {
	// Binary is the path of the static Linux binary (see BuildBinary).
	Binary string
	// CACerts is the path of a PEM CA bundle copied to CACertsPath; empty
	// builds the image without one (the binary then trusts no TLS server).
	CACerts string
	// Arch is the image's architecture, a GOARCH; empty means
	// runtime.GOARCH. It must be the binary's.
	Arch string
	// Version and Revision fill the version and revision labels.
	Version, Revision string
	// Created is the image's creation time and every file's modification
	// time; zero means the Unix epoch, so that the same inputs give the
	// same image digest.
	Created time.Time
	// Compression is the layers' gzip level (compress/gzip's constants);
	// zero means gzip.DefaultCompression. It changes the layers' digests
	// and sizes, never their content.
	Compression int
}

// Image builds the image: an empty base, a layer with the CA bundle (when
// given), a layer with the binary, owned by root and readable by the
// image's user, and the configuration.
func Image(o Options) (v1.Image, error) {
	created := o.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	level := o.Compression
	if level == 0 {
		level = gzip.DefaultCompression
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	if o.CACerts != "" {
		l, err := fileLayer(o.CACerts, CACertsPath, 0o644, created, level)
		if err != nil {
			return nil, fmt.Errorf("ca bundle: %w", err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{
			Created: v1.Time{Time: created}, CreatedBy: "COPY " + CACertsPath + " " + CACertsPath,
		}})
	}
	l, err := fileLayer(o.Binary, BinaryPath, 0o755, created, level)
	if err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "COPY portico " + BinaryPath,
	}})
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = orString(o.Arch, runtime.GOARCH)
	cf.OS = "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config.User = User
	cf.Config.Entrypoint = Entrypoint()
	cf.Config.WorkingDir = "/"
	cf.Config.Labels = Labels(o.Version, o.Revision, o.Created)
	return mutate.ConfigFile(img, cf)
}

// fileLayer returns a layer holding the file at src as dst, with its
// parent directories (0755) and mode, owned by root, as a Dockerfile COPY
// without --chown writes it.
func fileLayer(src, dst string, mode int64, mtime time.Time, level int) (v1.Layer, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	name := strings.TrimPrefix(dst, "/")
	var dirs []string
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(level), tarball.WithCompressedCaching)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
