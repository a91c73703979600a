//go:build linux

package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestWebUnit runs the dashboard's unit tests (vitest, npm test).
func TestWebUnit(t *testing.T) {
	npm := mustFind(t, "npm", "Node.js 20.19+ and npm (apt-get install nodejs npm)")
	mustHaveNodeModules(t, "vitest")
	ctx, cancel := context.WithTimeout(context.Background(), testBudget(t, 5*time.Minute))
	defer cancel()
	if err := runStreaming(ctx, t, ".", nil, npm, "test"); err != nil {
		t.Fatalf("npm test: %v", err)
	}
}

// TestDashboardInBrowser drives the dashboard in Debian's Chromium with
// Playwright (the specs in e2e/) against the real binary: portico all
// --demo, built from this tree, serving the app and the API from one
// address. PORTICO_BASE_URL points it at a running one instead (with
// PORTICO_DEMO_PASSWORD and PORTICO_ADMIN_PASSWORD); PORTICO_CHROMIUM
// names the browser when it is not chromium on PATH; each screen's PNG,
// the accessibility counts and the measured load of the overview go to
// PORTICO_SCREENSHOTS (default e2e-output/ here).
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests take minutes; not in -short")
	}
	node := mustFind(t, "node", "Node.js 20.19+ (apt-get install nodejs npm)")
	chromium := os.Getenv("PORTICO_CHROMIUM")
	if chromium == "" {
		chromium = mustFind(t, "chromium", "Debian's Chromium (apt-get install chromium)")
	}
	mustHaveNodeModules(t, "@playwright/test", "@axe-core/playwright")
	ctx, cancel := context.WithTimeout(context.Background(), testBudget(t, 9*time.Minute))
	defer cancel()

	env := []string{"PORTICO_CHROMIUM=" + chromium}
	if out := os.Getenv("PORTICO_SCREENSHOTS"); out != "" {
		env = append(env, "PORTICO_SCREENSHOTS="+out)
	}
	if base := os.Getenv("PORTICO_BASE_URL"); base != "" {
		t.Logf("testing the dashboard at %s (PORTICO_BASE_URL)", base)
		env = append(env, "PORTICO_BASE_URL="+base,
			"PORTICO_DEMO_PASSWORD="+os.Getenv("PORTICO_DEMO_PASSWORD"),
			"PORTICO_ADMIN_PASSWORD="+os.Getenv("PORTICO_ADMIN_PASSWORD"),
			"PORTICO_DEMO_TOTALS="+os.Getenv("PORTICO_DEMO_TOTALS"),
			"PORTICO_LOG="+os.Getenv("PORTICO_LOG"))
	} else {
		demo := mustStartDemo(ctx, t)
		env = append(env, "PORTICO_BASE_URL="+demo.url,
			"PORTICO_DEMO_PASSWORD="+demo.password,
			"PORTICO_ADMIN_PASSWORD="+demo.adminPassword,
			"PORTICO_DEMO_TOTALS="+demo.totals,
			"PORTICO_LOG="+demo.log)
	}

	start := time.Now()
	// npx playwright test, without npx: a child of npx's outlives it, and
	// the runner started here goes, with its workers and browser, when the
	// test binary does (killed on a timeout, say).
	err := runStreaming(ctx, t, ".", env, node, filepath.Join("node_modules", "@playwright", "test", "cli.js"), "test")
	t.Logf("playwright ran for %s", time.Since(start).Round(100*time.Millisecond))
	logPerformance(t)
	if err != nil {
		t.Fatalf("playwright test: %v (each screen's PNG and the failures' screenshots are in %s)", err, outputDir())
	}
}

// demoServer is a running portico all --demo.
type demoServer struct {
	url           string
	password      string // the demo members'
	adminPassword string
	// totals are the demo traffic's, counted from the beacons sent (JSON:
	// cdn_bytes, p2p_bytes, sessions), which the figures are checked
	// against.
	totals string
	// log is a file of portico's log lines as they come: the invitation
	// mails, logged instead of sent, are read from it.
	log string
}

// mustStartDemo builds portico from this module and starts portico all
// --demo on a free loopback port, with its data in a temporary directory;
// it returns once the demo organization is made, and stops the process
// (SIGINT, then SIGKILL) when the test ends.
func mustStartDemo(ctx context.Context, t *testing.T) demoServer {
	t.Helper()
	root := moduleRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "portico")
	gobin := "go"
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	}
	build := exec.CommandContext(ctx, gobin, "build", "-o", bin, "./cmd/portico")
	build.Dir = root
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/portico: %v\n%s", err, out)
	}
	t.Logf("built portico in %s", time.Since(start).Round(100*time.Millisecond))

	const adminPassword = "correct horse battery staple, in a browser"
	stdoutPath := filepath.Join(dir, "stdout")
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	cmd := exec.Command(bin, "all", "--demo", "--listen", "127.0.0.1:0", "--admin-listen", "off",
		"--data-dir", filepath.Join(dir, "data"))
	cmd.Env = append(withoutPortico(os.Environ()), "PORTICO_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout = stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "portico.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		totals string // the demo traffic's, from its log record
		logged strings.Builder
		public = make(chan string, 1)
		exited = make(chan error, 1)
	)
	readLog := make(chan struct{})
	go func() {
		defer close(readLog)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			logged.WriteString(line + "\n")
			logFile.WriteString(line + "\n")
			mu.Unlock()
			var rec struct{ Msg, Server, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Server == "public" {
				select {
				case public <- rec.Addr:
				default:
				}
			}
			var ingested struct {
				Msg      string
				CDN      int64 `json:"total_cdn_bytes"`
				P2P      int64 `json:"total_p2p_bytes"`
				Sessions int64 `json:"total_sessions"`
			}
			if json.Unmarshal([]byte(line), &ingested) == nil && ingested.Msg == "demo traffic ingested" {
				b, _ := json.Marshal(map[string]int64{"cdn_bytes": ingested.CDN, "p2p_bytes": ingested.P2P, "sessions": ingested.Sessions})
				mu.Lock()
				totals = string(b)
				mu.Unlock()
			}
		}
	}()
	go func() {
		<-readLog // Wait must follow the last read of the pipe
		logFile.Close()
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
			t.Error("portico did not stop within 20 s of SIGINT")
		}
		if t.Failed() {
			out, _ := os.ReadFile(stdoutPath)
			mu.Lock()
			defer mu.Unlock()
			t.Logf("portico stdout:\n%s\nportico log (last 8 KiB):\n%s", out, tail(logged.String(), 8<<10))
		}
	})

	var addr string
	select {
	case addr = <-public:
	case err := <-exited:
		exited <- err // for the cleanup
		t.Fatalf("portico exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("portico's gateway did not start listening within 60 s")
	case <-ctx.Done():
		t.Fatalf("portico's gateway not listening: %v", ctx.Err())
	}

	// The demo's box on standard output, once its traffic is ingested.
	password := regexp.MustCompile(`password: (\S+) \(both`)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		out, _ := os.ReadFile(stdoutPath)
		if m := password.FindSubmatch(out); m != nil && strings.Contains(string(out), "Demo organization") {
			t.Logf("portico all --demo ready at http://%s in %s", addr, time.Since(start).Round(100*time.Millisecond))
			mu.Lock()
			defer mu.Unlock()
			if totals == "" {
				t.Fatal("portico all --demo logged no \"demo traffic ingested\" record with the traffic's totals")
			}
			return demoServer{url: "http://" + addr, password: string(m[1]), adminPassword: adminPassword, totals: totals, log: logPath}
		}
		select {
		case <-tick.C:
		case err := <-exited:
			exited <- err
			t.Fatalf("portico exited before the demo was ready: %v", err)
		case <-ctx.Done():
			t.Fatalf("no demo organization on portico's standard output: %v", ctx.Err())
		}
	}
}

// runStreaming runs name with args in dir, with the test's environment
// plus env, copying its output into the test log line by line as it
// comes. When ctx ends, its whole process group is killed (a browser
// outlives the node process that started it otherwise).
func runStreaming(ctx context.Context, t *testing.T, dir string, env []string, name string, args ...string) error {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(withoutPortico(os.Environ()), "NO_COLOR=1", "FORCE_COLOR=0"), env...)
	// Its own process group, killed whole at the end; and killed with the
	// test binary should that die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A pipe of the system's, not an io.Writer: Wait then returns when the
	// process does, even while a browser it left behind holds the pipe.
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	cmd.Stdout = pw
	cmd.Stderr = pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return err
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(t.Output(), sc.Text())
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		err = fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), ctx.Err())
	}
	// Whatever the group left running goes with it, and the pipe closes.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-copied
	return err
}

// logPerformance writes the measurements of the overview's first load into
// the test log.
func logPerformance(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(outputDir(), "performance.json"))
	if err != nil {
		return
	}
	var p struct {
		FiguresVisibleMs  float64 `json:"figuresVisibleMs"`
		InitialJavaScript struct {
			Files        int   `json:"files"`
			EncodedBytes int64 `json:"encodedBytes"`
		} `json:"initialJavaScript"`
	}
	if json.Unmarshal(b, &p) == nil {
		t.Logf("overview: key figures visible %.0f ms after navigation start; initial JavaScript %d bytes in %d files",
			p.FiguresVisibleMs, p.InitialJavaScript.EncodedBytes, p.InitialJavaScript.Files)
	}
}

// outputDir is where the browser tests write, as e2e/env.ts decides it.
func outputDir() string {
	if d := os.Getenv("PORTICO_SCREENSHOTS"); d != "" {
		return d
	}
	return "e2e-output"
}

// mustFind returns the path of an executable on PATH. A missing one skips
// the test with what to install, except in CI (CI=true), where it fails.
func mustFind(t *testing.T, name, what string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("no %s on PATH: install %s", name, what))
	}
	return p
}

// mustHaveNodeModules checks that the dashboard's packages, pkgs among
// them, are installed.
func mustHaveNodeModules(t *testing.T, pkgs ...string) {
	t.Helper()
	for _, p := range append([]string{".package-lock.json"}, pkgs...) {
		if _, err := os.Stat(filepath.Join("node_modules", p)); errors.Is(err, os.ErrNotExist) {
			missing(t, fmt.Sprintf("web/node_modules/%s is missing: run `npm ci` in web/", p))
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// testBudget is d, or less when the test binary's deadline comes sooner,
// leaving time to stop what was started.
func testBudget(t *testing.T, d time.Duration) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		if left := time.Until(deadline) - 30*time.Second; left < d {
			return max(left, time.Second)
		}
	}
	return d
}

// moduleRoot is the nearest directory above the working directory (web/)
// that holds go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// withoutPortico is env without PORTICO_ variables, so that a developer's
// settings reach neither the server nor the specs unless passed on purpose.
func withoutPortico(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PORTICO_") {
			out = append(out, kv)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
