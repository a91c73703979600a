package imagebuild

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation names an image in an OCI layout's index
// (image-spec annotations.md), as skopeo's oci:DIR:REF reads it.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes img into a new OCI image layout at dir, named ref in
// the layout's index.
func WriteLayout(dir, ref string, img v1.Image) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameAnnotation: ref})); err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	return nil
}

// WriteOCIArchive writes img to w as a tar of an OCI image layout (an
// oci-archive: docker load from Docker 25, podman load, skopeo copy
// oci-archive:FILE). tmp is a directory the layout is written to first.
// The archive's entries carry the image's creation time and fixed modes,
// so the same image gives the same archive.
func WriteOCIArchive(w io.Writer, tmp, ref string, img v1.Image) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	dir := filepath.Join(tmp, "layout")
	if err := WriteLayout(dir, ref, img); err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		h.ModTime, h.AccessTime, h.ChangeTime = cf.Created.Time, time.Time{}, time.Time{}
		h.Mode = 0o644
		if d.IsDir() {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("oci archive: %w", err)
	}
	return tw.Close()
}

// WriteDockerArchive writes img to w in the format of docker save, tagged
// ref (a reference such as ghcr.io/portico-gw/portico:v1.2.3): docker
// load and crane push read it.
func WriteDockerArchive(w io.Writer, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	return tarball.Write(tag, img, w)
}
