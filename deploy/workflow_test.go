package deploy_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn      string         `yaml:"runs-on"`
		Needs       any            `yaml:"needs"`
		If          string         `yaml:"if"`
		Permissions map[string]any `yaml:"permissions"`
		Services    map[string]struct {
			Image string   `yaml:"image"`
			Ports []string `yaml:"ports"`
		} `yaml:"services"`
		Steps []step `yaml:"steps"`
	} `yaml:"jobs"`
}

type step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]any    `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// TestWorkflow checks the GitHub Actions workflow, which cannot run here:
// it parses, runs .ci/run (the README's test command among the rest) with
// CI=true against PostgreSQL, Redis and NATS with JetStream, and on a
// version tag builds, pushes and signs the image, after the tests.
func TestWorkflow(t *testing.T) {
	data, err := os.ReadFile("../.github/workflows/ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("ci.yml: %v", err)
	}
	if _, ok := w.On["push"]; !ok || !strings.Contains(string(data), `tags: ["v*"]`) {
		t.Errorf("ci.yml does not run on pushes of version tags")
	}
	test, ok := w.Jobs["test"]
	if !ok {
		t.Fatalf("ci.yml has no test job")
	}
	for name, image := range map[string]string{"postgres": "postgres:", "redis": "redis:"} {
		if s, ok := test.Services[name]; !ok || !strings.HasPrefix(s.Image, image) || len(s.Ports) == 0 {
			t.Errorf("the test job has no %s service container with a published port", name)
		}
	}
	var runs []string
	for _, s := range test.Steps {
		runs = append(runs, s.Run)
		if s.Uses == "actions/setup-go@v5" && s.With["go-version-file"] != "go.mod" {
			t.Errorf("setup-go does not take go.mod's Go version")
		}
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{"docker run -d --name nats -p 4222:4222 nats:2 -js", "bash .ci/run", "promtool"} {
		if !strings.Contains(all, want) {
			t.Errorf("the test job does not run %q", want)
		}
	}
	if !slices.ContainsFunc(test.Steps, func(s step) bool { return s.Run == "bash .ci/run" && s.Env["CI"] == "true" }) {
		t.Errorf(".ci/run does not run with CI=true, where no test may skip for want of a backend")
	}
	img, ok := w.Jobs["image"]
	if !ok {
		t.Fatalf("ci.yml has no image job")
	}
	if img.Needs != "test" || !strings.Contains(img.If, "refs/tags/v") {
		t.Errorf("the image job runs with needs %v if %q; want after the tests, on version tags", img.Needs, img.If)
	}
	if img.Permissions["id-token"] != "write" || img.Permissions["packages"] != "write" {
		t.Errorf("the image job's permissions %v: keyless signing needs id-token: write, pushing packages: write", img.Permissions)
	}
	var uses []string
	var sign string
	for _, s := range img.Steps {
		uses = append(uses, strings.Split(s.Uses, "@")[0])
		if strings.Contains(s.Run, "cosign sign") {
			sign = s.Run
		}
	}
	for _, want := range []string{"docker/build-push-action", "sigstore/cosign-installer"} {
		if !slices.Contains(uses, want) {
			t.Errorf("the image job does not use %s", want)
		}
	}
	if !strings.Contains(sign, "--yes") || !strings.Contains(sign, "@${DIGEST}") {
		t.Errorf("the image is not signed by digest, keyless: %q", sign)
	}
}
