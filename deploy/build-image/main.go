// Command build-image builds Portico's container image without a container
// daemon: the binary (go build, CGO_ENABLED=0), then the image the
// Dockerfile describes, written as an archive that docker load, podman
// load, skopeo and crane read.
//
//	go run ./deploy/build-image -o dist/portico.tar -tag ghcr.io/portico-gw/portico:v1.2.3
//
// deploy/build-image.sh runs it with the version and revision of the
// checkout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/portico-gw/portico/deploy/imagebuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build-image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "portico-image.tar", "output `file`")
	format := fs.String("format", "oci", "archive `format`: oci (an OCI layout in a tar) or docker (docker save's)")
	tag := fs.String("tag", "portico:dev", "image `reference` the archive names")
	arch := fs.String("arch", runtime.GOARCH, "`GOARCH` of the binary and the image")
	version := fs.String("version", "dev", "`version` written into the binary and the labels")
	revision := fs.String("revision", "", "source `revision` for the labels")
	caCerts := fs.String("ca-certs", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle `file` to copy into the image; empty for none")
	module := fs.String("module", ".", "`directory` of Portico's go.mod")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *format != "oci" && *format != "docker" {
		fmt.Fprintf(stderr, "build-image: -format %q: want oci or docker\n", *format)
		return 2
	}
	if err := build(ctx, *out, *format, *tag, *arch, *version, *revision, *caCerts, *module, stdout); err != nil {
		fmt.Fprintln(stderr, "build-image:", err)
		return 1
	}
	return 0
}

func build(ctx context.Context, out, format, tag, arch, version, revision, caCerts, module string, stdout io.Writer) error {
	tmp, err := os.MkdirTemp("", "portico-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "portico")
	if err := imagebuild.BuildBinary(ctx, imagebuild.BinaryOptions{ModuleDir: module, Output: bin, Arch: arch, Version: version}); err != nil {
		return err
	}
	created, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	img, err := imagebuild.Image(imagebuild.Options{
		Binary: bin, CACerts: caCerts, Arch: arch, Version: version, Revision: revision, Created: created,
	})
	if err != nil {
		return err
	}
	if dir := filepath.Dir(out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if format == "docker" {
		err = imagebuild.WriteDockerArchive(f, tag, img)
	} else {
		err = imagebuild.WriteOCIArchive(f, tmp, tag, img)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s (%s archive, linux/%s) %s\n", out, tag, format, arch, digest)
	return nil
}

// sourceDateEpoch returns the time SOURCE_DATE_EPOCH names, for
// reproducible builds (reproducible-builds.org), or the zero time.
func sourceDateEpoch() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", v)
	}
	return time.Unix(n, 0), nil
}
