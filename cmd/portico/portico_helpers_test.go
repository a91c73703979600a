package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth/authhttp"
)

// outputFile is a child process's standard output, a file so that what
// the child wrote before logging is there when the log line arrives.
type outputFile string

func (f outputFile) String() string {
	b, _ := os.ReadFile(string(f))
	return string(b)
}

// childEnv is the test's environment without PORTICO_ variables, plus env.
func childEnv(env ...string) []string {
	out := []string{"PORTICO_TEST_CHILD=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTICO_") {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// mustStartEnv is mustStart with its own environment and standard output
// kept: it runs portico with args and waits until the listeners named
// public and admin are up.
func mustStartEnv(t *testing.T, env []string, args ...string) (*process, outputFile) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = childEnv(env...)
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdout := outputFile(f.Name())
	cmd.Stdout = f
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, addrs: map[string]string{}, ready: make(chan struct{}), exited: make(chan error, 1)}
	go p.read(stderr)
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		err := <-p.exited
		p.exited <- err
		if t.Failed() {
			t.Logf("portico stdout:\n%s\nportico log:\n%s", stdout, p.log())
		}
	})
	select {
	case <-p.ready:
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		t.Fatalf("portico exited before listening: %v\n%s%s", err, stdout, p.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("portico did not start listening:\n%s", p.log())
	}
	return p, stdout
}

// mustStop interrupts p as Ctrl-C does and waits for a clean exit.
func mustStop(t *testing.T, p *process) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("exit after SIGINT: %v, want a clean exit", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("portico did not exit after SIGINT")
	}
}

// bannerValue returns the value after "label:" in the banner on stdout.
func bannerValue(t *testing.T, stdout, label string) string {
	t.Helper()
	m := regexp.MustCompile(`\|\s+` + label + `:\s+(\S+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no %q in the banner:\n%s", label, stdout)
	}
	return m[1]
}

// mustGetJSON gets url with c and decodes a 200 JSON answer into v.
func mustGetJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s, want 200", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decode %s: %v", url, body, err)
	}
}

// mustJWKSKIDs returns the kids of the key set at url.
func mustJWKSKIDs(t *testing.T, url string) []string {
	t.Helper()
	var doc struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	mustGetJSON(t, http.DefaultClient, url, &doc)
	var kids []string
	for _, k := range doc.Keys {
		kids = append(kids, k.KID)
	}
	slices.Sort(kids)
	if len(kids) == 0 {
		t.Fatalf("%s lists no key", url)
	}
	return kids
}

// mustLogin signs in at base+"/v1/login" with a fresh cookie jar and
// returns a client holding the session cookie and the cookie as sent.
func mustLogin(t *testing.T, base, email, password string) (*http.Client, *http.Cookie) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(authhttp.CSRFHeader, "1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/login: %v", err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/login = %d %s, want 200", resp.StatusCode, got)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-portico_session" {
			return c, ck
		}
	}
	t.Fatalf("POST /v1/login set no session cookie; Set-Cookie %q", resp.Header.Values("Set-Cookie"))
	return nil, nil
}

// mustGetWith gets url with c and returns the status and the body.
func mustGetWith(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mustCounter returns the value of series (name{labels}, as exposed) in
// the metrics at url, 0 when it is not there yet.
func mustCounter(t *testing.T, url, series string) float64 {
	t.Helper()
	code, body := mustGet(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d", url, code)
	}
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %q is not a number", series, v)
			}
			return f
		}
	}
	return 0
}

// mustBeStaffAdmin checks that the client's session is the administrator's.
func mustBeStaffAdmin(t *testing.T, c *http.Client, base string) {
	t.Helper()
	var me struct {
		IdentityID string `json:"identity_id"`
		Staff      bool   `json:"staff"`
	}
	mustGetJSON(t, c, base+"/v1/me", &me)
	if me.IdentityID == "" || !me.Staff {
		t.Errorf("GET /v1/me = %+v, want the administrator, staff", me)
	}
}

// mapEnv looks variables up in m only.
func mapEnv(m map[string]string) env {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}
