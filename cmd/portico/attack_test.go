package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/auth/authhttp"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// loginAnswer is what POST /v1/login answered one attempt.
type loginAnswer struct {
	status      int
	retryAfter  string
	problemType string
	err         error
}

// attackClient returns a client that keeps a connection per concurrent
// attempt, with a timeout generous enough for a slow machine.
func attackClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
}

// tryLogin posts email and password to base+"/v1/login" as a browser
// page of the service would (CSRF header, no Origin), claiming the client
// address forwardedFor when it is not empty.
func tryLogin(c *http.Client, base, email, password, forwardedFor string) loginAnswer {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, err := http.NewRequest(http.MethodPost, base+"/v1/login", bytes.NewReader(body))
	if err != nil {
		return loginAnswer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(authhttp.CSRFHeader, "1")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := c.Do(req)
	if err != nil {
		return loginAnswer{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p struct {
		Type string `json:"type"`
	}
	json.Unmarshal(b, &p)
	return loginAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), problemType: p.Type}
}

// refusal reports whether a is the refusal of status with the problem
// type slug and a Retry-After of a whole number of seconds.
func (a loginAnswer) refusal(status int, slug string) bool {
	secs, err := strconv.Atoi(a.retryAfter)
	return a.status == status && a.problemType == problem.TypeBase+slug && err == nil && secs >= 0
}

// attackTally counts the answers to a flood of sign-ins.
type attackTally struct {
	checked, throttled, busy int
	other                    []string
}

func (t *attackTally) add(a loginAnswer) {
	switch {
	case a.err != nil:
		t.other = append(t.other, a.err.Error())
	case a.status == http.StatusUnauthorized:
		t.checked++
	case a.refusal(http.StatusTooManyRequests, "too-many-attempts"):
		t.throttled++
	case a.refusal(http.StatusServiceUnavailable, "busy"):
		t.busy++
	default:
		t.other = append(t.other, fmt.Sprintf("%d %s Retry-After %q", a.status, a.problemType, a.retryAfter))
	}
}

// mustPeakRSS returns the peak resident memory (VmHWM) of process pid in
// bytes, and skips the test where /proc/<pid>/status does not exist
// (fails it when CI is "true").
func mustPeakRSS(t *testing.T, pid int) uint64 {
	t.Helper()
	path := filepath.Join("/proc", strconv.Itoa(pid), "status")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but there is no %s: the hash flood's memory must be measured in CI", path)
		}
		t.Skipf("no %s (not Linux): cannot read the child's peak resident memory", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kib, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s: VmHWM %q: %v", path, rest, err)
			}
			return kib * 1024
		}
	}
	t.Fatalf("%s has no VmHWM:\n%s", path, b)
	return 0
}

// TestAuthBinaryConcurrentWrongPasswords races 50 wrong passwords for the
// administrator from one address against the real binary: no more than the
// pair's free attempts may be checked, and the right password sent while
// the pair is locked out does not sign in.
func TestAuthBinaryConcurrentWrongPasswords(t *testing.T) {
	const attempts = 50
	const password = "a long test password for the admin"
	free := auth.DefaultThrottleOptions().PairFree
	env := append(authEnvKeys(filepath.Join(t.TempDir(), "data")), "PORTICO_ADMIN_PASSWORD="+password)
	p, _ := mustStartEnv(t, env, "auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	base := p.url("public", "")
	c := attackClient()

	answers := make(chan loginAnswer, attempts)
	start := make(chan struct{})
	for range attempts {
		go func() {
			<-start
			answers <- tryLogin(c, base, defaultAdminEmail, "not the password at all", "")
		}()
	}
	close(start)

	// The right password goes as soon as an answer says the pair is
	// locked out: the lockout after the free attempts lasts PairBase (1 s)
	// from the last one checked, far longer than one round trip, however
	// slow the hashes or the machine.
	var tally attackTally
	var right loginAnswer
	for range attempts {
		a := <-answers
		tally.add(a)
		if a.status == http.StatusTooManyRequests && right.status == 0 && right.err == nil {
			right = tryLogin(c, base, defaultAdminEmail, password, "")
		}
	}
	t.Logf("%d attempts: %d checked (401), %d throttled (429), %d busy (503)", attempts, tally.checked, tally.throttled, tally.busy)
	if len(tally.other) > 0 {
		t.Errorf("answers other than 401, or 429 or 503 with Retry-After: %q", tally.other)
	}
	if tally.checked > free {
		t.Errorf("got %d wrong passwords checked (401), want at most %d (PairFree)", tally.checked, free)
	}
	if tally.checked == 0 {
		t.Error("got no wrong password checked (401), want some")
	}
	if tally.throttled == 0 {
		t.Fatal("got no attempt throttled (429), want the ones beyond the free attempts")
	}
	if !right.refusal(http.StatusTooManyRequests, "too-many-attempts") {
		t.Errorf("right password during the lockout: got %d %s Retry-After %q (error %v), want 429 too-many-attempts with Retry-After",
			right.status, right.problemType, right.retryAfter, right.err)
	}
}

// TestAuthBinaryHashFloodMemory floods the real binary, limited to two
// argon2id computations at once, with 200 concurrent sign-ins for unknown
// accounts from 200 addresses, and checks that the flood is turned away
// (503 busy) rather than paid for in memory: the process's peak resident
// memory stays within a ceiling computed from the limit.
func TestAuthBinaryHashFloodMemory(t *testing.T) {
	const attempts, maxHashes = 200, 2
	hashMiB := uint64(auth.OWASPArgon2Params().MemoryKiB) / 1024
	env := append(authEnvKeys(filepath.Join(t.TempDir(), "data")), "PORTICO_ADMIN_PASSWORD=a long test password for the admin")
	// The test is the proxy, so that each attempt comes from its own
	// address and no address or pair throttle refuses it before it asks
	// for a hash.
	p, _ := mustStartEnv(t, env, "auth", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--trusted-proxies", "127.0.0.1", "--max-concurrent-hashes", strconv.Itoa(maxHashes))
	pid := p.cmd.Process.Pid
	baseline := mustPeakRSS(t, pid)
	ceiling := baseline + 2*maxHashes*hashMiB<<20 + 64<<20

	base := p.url("public", "")
	c := attackClient()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		tally attackTally
	)
	start := make(chan struct{})
	for i := range attempts {
		wg.Go(func() {
			<-start
			a := tryLogin(c, base, fmt.Sprintf("nobody-%d@example.com", i), "a wrong password for nobody",
				fmt.Sprintf("198.18.%d.%d", i/200, i%200+1))
			mu.Lock()
			tally.add(a)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()

	peak := mustPeakRSS(t, pid)
	t.Logf("%d sign-ins with --max-concurrent-hashes %d: %d checked (401), %d throttled (429), %d busy (503); "+
		"VmHWM %d MiB after start, %d MiB after the flood, ceiling %d MiB",
		attempts, maxHashes, tally.checked, tally.throttled, tally.busy, baseline>>20, peak>>20, ceiling>>20)
	if len(tally.other) > 0 {
		t.Errorf("answers other than 401, or 429 or 503 with Retry-After: %q", tally.other)
	}
	if tally.busy == 0 {
		t.Error("got no 503 busy with Retry-After, want the hash gate to turn some sign-ins away")
	}
	if peak > ceiling {
		t.Errorf("got VmHWM %d MiB after the flood, want at most %d MiB (%d MiB after start + 2 × %d hashes × %d MiB + 64 MiB)",
			peak>>20, ceiling>>20, baseline>>20, maxHashes, hashMiB)
	}
}
