package deploy_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/portico-gw/portico/deploy/imagebuild"
)

// hostCACerts is where Debian and Ubuntu keep the CA bundle, which the
// image copies (the Dockerfile takes it from its Debian build stage).
const hostCACerts = "/etc/ssl/certs/ca-certificates.crt"

// TestImage builds the image as deploy/build-image.sh does, without a
// container daemon: the static binary, then the image, written as an OCI
// image layout; reads it back, and checks what a cluster relies on: a
// numeric non-root user, the binary as entrypoint, the OCI labels, only
// the binary and the CA bundle in its layers (no shell), and a binary that
// runs.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building the binary takes a while")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(dir, "portico")
	const version = "v0.0.0-imagetest"
	if err := imagebuild.BuildBinary(ctx, imagebuild.BinaryOptions{ModuleDir: "..", Output: bin, Version: version}); err != nil {
		t.Fatal(err)
	}
	certs := hostCACerts
	if _, err := os.Stat(certs); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no CA bundle at %s to put in the image: %v", certs, err)
		}
		certs = ""
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	img, err := imagebuild.Image(imagebuild.Options{
		Binary: bin, CACerts: certs, Version: version, Revision: "0123456789abcdef", Created: created,
		// The race detector slows compress/flate down tenfold.
		Compression: gzip.BestSpeed,
	})
	if err != nil {
		t.Fatal(err)
	}
	lay := filepath.Join(dir, "layout")
	if err := imagebuild.WriteLayout(lay, "portico:test", img); err != nil {
		t.Fatal(err)
	}
	got := readLayout(t, lay, "portico:test")

	t.Run("config", func(t *testing.T) {
		m, err := got.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("media types %s, %s; want OCI's", m.MediaType, m.Config.MediaType)
		}
		cf, err := got.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
			t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
		}
		uid, gid, ok := strings.Cut(cf.Config.User, ":")
		if n, err := strconv.Atoi(uid); err != nil || n == 0 || !ok {
			t.Errorf("user %q: want a numeric non-root uid:gid (Kubernetes checks runAsNonRoot by the number)", cf.Config.User)
		} else if cf.Config.User != imagebuild.User {
			t.Errorf("user %s, want %s (the manifests' runAsUser)", cf.Config.User, imagebuild.User)
		}
		if _, err := strconv.Atoi(gid); err != nil {
			t.Errorf("group %q is not numeric", gid)
		}
		if !slices.Equal(cf.Config.Entrypoint, []string{"/portico"}) || len(cf.Config.Cmd) != 0 {
			t.Errorf("entrypoint %q cmd %q, want [/portico] and none", cf.Config.Entrypoint, cf.Config.Cmd)
		}
		want := imagebuild.Labels(version, "0123456789abcdef", created)
		if !equalMaps(cf.Config.Labels, want) {
			t.Errorf("labels %v, want %v", cf.Config.Labels, want)
		}
		if cf.Config.Labels["org.opencontainers.image.created"] != "2026-01-02T03:04:05Z" {
			t.Errorf("created label %q", cf.Config.Labels["org.opencontainers.image.created"])
		}
	})

	files := layerFiles(t, got)
	t.Run("layers", func(t *testing.T) {
		want := []string{"portico"}
		if certs != "" {
			want = append(want, "etc/", "etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca-certificates.crt")
		}
		if names := sortedKeys(files); !slices.Equal(names, sorted(want)) {
			t.Errorf("the layers hold %q, want %q: nothing but the binary and the CA bundle", names, sorted(want))
		}
		for name, f := range files {
			if f.hdr.Uid != 0 || f.hdr.Gid != 0 {
				t.Errorf("%s is owned by %d:%d; the process must not own what it runs", name, f.hdr.Uid, f.hdr.Gid)
			}
			if path.Base(name) == "sh" || strings.HasPrefix(name, "bin/") || strings.HasPrefix(name, "usr/") {
				t.Errorf("the image holds %s: no shell, no tools", name)
			}
		}
		if p := files["portico"]; p == nil || p.hdr.Mode&0o777 != 0o755 {
			t.Errorf("/portico is not mode 0755")
		}
	})

	t.Run("ca-bundle", func(t *testing.T) {
		if certs == "" {
			t.Skipf("no CA bundle at %s on this machine: the image was built without one", hostCACerts)
		}
		host, err := os.ReadFile(certs)
		if err != nil {
			t.Fatal(err)
		}
		f := files[strings.TrimPrefix(imagebuild.CACertsPath, "/")]
		if f == nil || !bytes.Equal(f.data, host) || f.hdr.Mode&0o777 != 0o644 {
			t.Errorf("%s is not the host's CA bundle, mode 0644", imagebuild.CACertsPath)
		}
	})

	t.Run("runs", func(t *testing.T) {
		p := files["portico"]
		if p == nil {
			t.Skip("no binary in the image (reported above)")
		}
		exe := filepath.Join(t.TempDir(), "portico")
		if err := os.WriteFile(exe, p.data, 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(exe, "-h").CombinedOutput()
		if err != nil {
			t.Errorf("portico -h: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("usage: portico")) {
			t.Errorf("portico -h printed %q", out)
		}
		out, err = exec.Command(exe, "version").Output()
		if err != nil || !strings.HasPrefix(string(out), "portico "+version+" ") {
			t.Errorf("portico version: %q, %v; want the version built in", out, err)
		}
	})
}

// readLayout reads the image named ref back from an OCI image layout.
func readLayout(t *testing.T, dir, ref string) v1.Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] == ref {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatalf("no image %s in the layout", ref)
	return nil
}

type layerFile struct {
	hdr  *tar.Header
	data []byte
}

// layerFiles returns the files of every layer of img, by path.
func layerFiles(t *testing.T, img v1.Image) map[string]*layerFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*layerFile{}
	for _, l := range layers {
		if mt, _ := l.MediaType(); mt != types.OCILayer {
			t.Errorf("layer media type %s, want %s", mt, types.OCILayer)
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimPrefix(h.Name, "/")] = &layerFile{hdr: h, data: data}
		}
		rc.Close()
	}
	return files
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDockerfile checks that the Dockerfile's final stage builds the image
// imagebuild builds: the same files at the same paths, the same user,
// entrypoint and labels, the binary built with the same flags, and Go of
// go.mod's version.
func TestDockerfile(t *testing.T) {
	stages := dockerfileStages(t, "../Dockerfile")
	final := stages[len(stages)-1]
	if final.from != "scratch" {
		t.Errorf("the final stage is FROM %s, want scratch", final.from)
	}
	var copies []string
	for _, in := range final.instrs {
		switch in.op {
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) != 3 || !strings.HasPrefix(f[0], "--from=") || f[0] == "--from=" {
				t.Errorf("COPY %s: want COPY --from=STAGE SRC DST", in.args)
				continue
			}
			copies = append(copies, f[2])
		case "USER":
			if in.args != imagebuild.User {
				t.Errorf("USER %s, want %s", in.args, imagebuild.User)
			}
		case "ENTRYPOINT":
			var ep []string
			if err := json.Unmarshal([]byte(in.args), &ep); err != nil || !slices.Equal(ep, imagebuild.Entrypoint()) {
				t.Errorf("ENTRYPOINT %s, want the exec form of %q", in.args, imagebuild.Entrypoint())
			}
		case "LABEL":
			got := parseLabels(t, in.args)
			want := imagebuild.Labels("${VERSION}", "${REVISION}", time.Time{})
			want["org.opencontainers.image.created"] = "${CREATED}"
			if !equalMaps(got, want) {
				t.Errorf("LABEL %v, want %v", got, want)
			}
		case "RUN", "CMD", "SHELL":
			t.Errorf("%s in the final stage: it has no shell", in.op)
		}
	}
	if want := []string{imagebuild.CACertsPath, imagebuild.BinaryPath}; !slices.Equal(copies, want) {
		t.Errorf("the final stage copies to %q, want %q (one layer each, as imagebuild)", copies, want)
	}
	build := strings.Join(func() []string {
		var runs []string
		for _, s := range stages {
			for _, in := range s.instrs {
				if in.op == "RUN" {
					runs = append(runs, in.args)
				}
			}
		}
		return runs
	}(), "\n")
	for _, want := range append(imagebuild.BuildFlags("")[:2], "CGO_ENABLED=0", `-ldflags="-s -w -X main.version=${VERSION}"`, "./cmd/portico") {
		if !strings.Contains(build, want) {
			t.Errorf("the Dockerfile's go build lacks %s", want)
		}
	}
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	arg := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)$`).FindSubmatch(stagesSource(t))
	if goLine == nil || arg == nil || string(goLine[1]) != string(arg[1]) {
		t.Errorf("the Dockerfile's GO_VERSION %q is not go.mod's go %q", arg, goLine)
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil || !regexp.MustCompile(`(?m)^\.git$`).Match(ignore) {
		t.Errorf(".dockerignore does not keep .git out of the build context")
	}
}

type instr struct{ op, args string }

type stage struct {
	from   string
	instrs []instr
}

func stagesSource(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dockerfileStages parses a Dockerfile into its stages' instructions,
// joining continued lines and dropping comments.
func dockerfileStages(t *testing.T, file string) []stage {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		op, args, _ := strings.Cut(line, " ")
		op, args = strings.ToUpper(op), strings.TrimSpace(args)
		if op == "FROM" {
			f := strings.Fields(args)
			from := ""
			for _, w := range f {
				if !strings.HasPrefix(w, "--") {
					from = w
					break
				}
			}
			stages = append(stages, stage{from: from})
			return
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, instr{op, args})
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if s, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	if len(stages) == 0 {
		t.Fatalf("%s has no FROM", file)
	}
	return stages
}

// parseLabels parses LABEL's key="value" pairs.
func parseLabels(t *testing.T, args string) map[string]string {
	t.Helper()
	out := map[string]string{}
	re := regexp.MustCompile(`([a-z0-9.]+)="((?:[^"\\]|\\.)*)"`)
	for _, m := range re.FindAllStringSubmatch(args, -1) {
		out[m[1]] = m[2]
	}
	return out
}
