package imagebuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// BinaryOptions say how to build the binary that goes into the image.
type BinaryOptions struct {
	// ModuleDir is the root of Portico's module (where go.mod is).
	ModuleDir string
	// Output is the file written.
	Output string
	// Arch is the GOARCH built for; empty means runtime.GOARCH. The OS is
	// always linux.
	Arch string
	// Version is written into the binary (portico version prints it);
	// empty leaves the default, "dev".
	Version string
}

// BuildFlags returns the go build flags of the image's binary, the same
// the Dockerfile passes: no paths of the build machine, no symbol table,
// no VCS stamp (the version comes from -X), and the version.
func BuildFlags(version string) []string {
	ldflags := "-s -w"
	if version != "" {
		ldflags += " -X main.version=" + version
	}
	return []string{"-trimpath", "-buildvcs=false", "-ldflags=" + ldflags}
}

// BuildBinary builds cmd/portico as a static Linux binary (CGO_ENABLED=0:
// every dependency, the SQLite driver included, is pure Go) with the go
// command on PATH.
func BuildBinary(ctx context.Context, o BinaryOptions) error {
	args := append([]string{"build"}, BuildFlags(o.Version)...)
	args = append(args, "-o", o.Output, "./cmd/portico")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+orString(o.Arch, runtime.GOARCH))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
