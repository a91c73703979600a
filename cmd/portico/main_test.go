package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the portico binary built once for the tests that run it as a
// user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portico-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "portico")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build portico: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running portico binary.
type process struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []map[string]any
	addrs  map[string]string
	ready  chan struct{}
	exited chan error
}

// mustStart runs portico with args and waits until every listener is up.
func mustStart(t *testing.T, args ...string) *process {
	t.Helper()
	p, _ := mustStartEnv(t, nil, args...)
	return p
}

func (p *process) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	readyClosed := false
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			rec = map[string]any{"msg": "unparsed", "line": sc.Text()}
		}
		p.mu.Lock()
		p.lines = append(p.lines, rec)
		if rec["msg"] == "listening" {
			p.addrs[rec["server"].(string)] = rec["addr"].(string)
			if !readyClosed && p.addrs["public"] != "" && p.addrs["admin"] != "" {
				readyClosed = true
				close(p.ready)
			}
		}
		p.mu.Unlock()
	}
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// waitLog waits until a log record with msg appears and returns it.
func (p *process) waitLog(t *testing.T, msg string, after int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for i := after; i < len(p.lines); i++ {
			if p.lines[i]["msg"] == msg {
				rec := p.lines[i]
				p.mu.Unlock()
				return rec
			}
		}
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log record %q", msg)
	return nil
}

func (p *process) logCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

func (p *process) url(server, path string) string { return "http://" + p.addrs[server] + path }

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	// Write then rename, as editors and config management do.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func mustGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func gatewayConfig(upstream, route string, extra string) string {
	return fmt.Sprintf(`version: 1
server:
  listen: 127.0.0.1:0
  shutdown_grace: 10s
%s
admin:
  listen: 127.0.0.1:0
services:
  up:
    targets: [%q]
routes:
  - name: r
    path: %s
    service: up
`, extra, upstream, route)
}

func TestBinaryServesAndReloads(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "upstream saw %s", r.URL.Path)
	}))
	defer up.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "portico.yaml")
	mustWrite(t, cfg, gatewayConfig(up.URL, "/one", ""))
	p := mustStart(t, "gateway", "--config", cfg)

	if code, body := mustGet(t, p.url("public", "/one")); code != 200 || body != "upstream saw /one" {
		t.Fatalf("GET /one = %d %q, want 200 from the upstream", code, body)
	}
	if code, _ := mustGet(t, p.url("admin", "/readyz")); code != 200 {
		t.Errorf("/readyz = %d, want 200", code)
	}

	t.Run("file change reloads", func(t *testing.T) {
		n := p.logCount()
		mustWrite(t, cfg, gatewayConfig(up.URL, "/two", ""))
		p.waitLog(t, "configuration reloaded", n)
		if code, _ := mustGet(t, p.url("public", "/two")); code != 200 {
			t.Errorf("GET /two after reload = %d, want 200", code)
		}
		if code, _ := mustGet(t, p.url("public", "/one")); code != 404 {
			t.Errorf("GET /one after reload = %d, want 404", code)
		}
	})

	t.Run("bad file is rejected and the old config keeps serving", func(t *testing.T) {
		n := p.logCount()
		mustWrite(t, cfg, gatewayConfig(up.URL, "/three", "  unknown_key: 1"))
		rec := p.waitLog(t, "configuration rejected; the previous one keeps serving", n)
		if !strings.Contains(fmt.Sprint(rec["error"]), "unknown_key") {
			t.Errorf("rejection error = %v, want it to name unknown_key", rec["error"])
		}
		if code, _ := mustGet(t, p.url("public", "/two")); code != 200 {
			t.Errorf("GET /two after a bad reload = %d, want 200", code)
		}
		_, metrics := mustGet(t, p.url("admin", "/metrics"))
		if !strings.Contains(metrics, `portico_gateway_config_reloads_total{result="failure"} 1`) {
			t.Errorf("metrics do not count the failed reload")
		}
	})

	t.Run("SIGHUP reloads", func(t *testing.T) {
		// Write in place without a rename and signal at once: whichever of the
		// watcher and the signal comes first, /four must end up served.
		if err := os.WriteFile(cfg, []byte(gatewayConfig(up.URL, "/four", "")), 0o644); err != nil {
			t.Fatal(err)
		}
		n := p.logCount()
		p.cmd.Process.Signal(syscall.SIGHUP)
		p.waitLog(t, "configuration reloaded", n)
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, _ := mustGet(t, p.url("public", "/four"))
			if code == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /four after SIGHUP = %d, want 200", code)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestBinaryGracefulShutdownLosesNoRequest(t *testing.T) {
	const inflight = 40
	var entered sync.WaitGroup
	entered.Add(inflight)
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Done()
		<-release
		io.WriteString(w, "done")
	}))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "portico.yaml")
	mustWrite(t, cfg, gatewayConfig(up.URL, "/slow", "  shutdown_delay: 300ms"))
	p := mustStart(t, "gateway", "--config", cfg)

	type result struct {
		code int
		err  error
	}
	results := make(chan result, inflight)
	for range inflight {
		go func() {
			resp, err := http.Get(p.url("public", "/slow"))
			if err != nil {
				results <- result{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			results <- result{code: resp.StatusCode}
		}()
	}
	entered.Wait()
	p.cmd.Process.Signal(syscall.SIGTERM)

	// During the shutdown delay the gateway still serves but is not ready.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.url("admin", "/readyz"), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("/readyz during shutdown: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode == 503 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	for range inflight {
		r := <-results
		if r.err != nil || r.code != 200 {
			t.Errorf("in-flight request during shutdown: code %d, err %v; want 200", r.code, r.err)
		}
	}
	select {
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		if err != nil {
			t.Errorf("exit: %v, want a clean exit", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("portico did not exit after SIGTERM")
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	mustWrite(t, good, gatewayConfig("http://127.0.0.1:9", "/a", ""))
	bad := filepath.Join(dir, "bad.yaml")
	mustWrite(t, bad, `version: 1
services:
  up:
    targets: ["not a url"]
routes:
  - name: r
    path: /a/{x}
    service: missing
    rewrite: /b/{y}
`)
	var out, errOut strings.Builder
	if code := run(context.Background(), []string{"check", "--config", good}, os.LookupEnv, &out, &errOut); code != 0 {
		t.Fatalf("check good: exit %d, stderr %q", code, errOut.String())
	}
	if !strings.Contains(out.String(), "ok") {
		t.Errorf("check good: stdout %q, want ok", out.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"check", "--config", bad}, os.LookupEnv, &out, &errOut); code != 1 {
		t.Fatalf("check bad: exit %d, want 1", code)
	}
	msg := errOut.String()
	for _, want := range []string{bad + ":4:", bad + ":8:", bad + ":9:", "missing", "{y}"} {
		if !strings.Contains(msg, want) {
			t.Errorf("check output lacks %q:\n%s", want, msg)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(context.Background(), nil, os.LookupEnv, &out, &errOut); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"nope"}, os.LookupEnv, &out, &errOut); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	out.Reset()
	if code := run(context.Background(), []string{"version"}, os.LookupEnv, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "portico ") {
		t.Errorf("version: exit %d, output %q", code, out.String())
	}
}

func TestBinaryClosesSlowHeaderConnections(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "portico.yaml")
	mustWrite(t, cfg, gatewayConfig("http://127.0.0.1:9", "/a", "  read_header_timeout: 300ms"))
	p := mustStart(t, "gateway", "--config", cfg)
	c, err := net.Dial("tcp", p.addrs["public"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /a HTTP/1.1\r\nHost: x\r\nX-Slow: ") // never finished
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the gateway kept a connection whose headers never finished")
	}
}

func TestBinaryServesHTTP2Cleartext(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "portico.yaml")
	mustWrite(t, cfg, gatewayConfig(up.URL, "/a", "  h2c: true"))
	p := mustStart(t, "gateway", "--config", cfg)
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &protos}}
	resp, err := client.Get(p.url("public", "/a"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Proto != "HTTP/2.0" || string(body) != "ok" {
		t.Errorf("got %s %q, want HTTP/2.0 ok", resp.Proto, body)
	}
}
