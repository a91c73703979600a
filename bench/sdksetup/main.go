// Command sdksetup prepares a running `portico all` for the SDK config
// load check (bench/run.sh, targets sdkconfig and sdkconfig-304), through
// its gateway only, as a customer would: the administrator creates an
// organization and invites its owner, the owner accepts (the link is read
// from the log, where portico all writes invitation mail), signs in and
// creates an integration allowing the origin the load comes from. It
// prints the delivery key and the ETag of the config that origin gets.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"time"
)

func main() {
	gw := flag.String("gateway", "http://127.0.0.1:18381", "the gateway's `URL`")
	logFile := flag.String("log", "", "`file` portico all logs to (JSON), to read the invitation link from")
	password := flag.String("admin-password", "", "the first administrator's password (PORTICO_ADMIN_PASSWORD)")
	origin := flag.String("origin", "https://www.bench.example", "the `origin` the players load from")
	flag.Parse()
	key, etag, err := setup(*gw, *logFile, *password, *origin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdksetup:", err)
		os.Exit(1)
	}
	fmt.Println(key, etag)
}

// client is a signed-in browser: a cookie jar and the CSRF header.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// do sends body as JSON and decodes a want answer into out.
func (c *client) do(method, path string, body any, want int, out any, header ...string) (http.Header, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Portico-CSRF", "1")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s = %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

func setup(gw, logFile, password, origin string) (key, etag string, err error) {
	admin := newClient(gw)
	if _, err := admin.do("POST", "/v1/login", map[string]string{"email": "admin@localhost", "password": password}, 200, nil); err != nil {
		return "", "", err
	}
	var org struct{ ID string }
	slug := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if _, err := admin.do("POST", "/v1/orgs", map[string]any{"name": "Bench", "slug": slug, "plan": map[string]any{"name": "pro"}}, 201, &org); err != nil {
		return "", "", err
	}
	email := slug + "@bench.example"
	if _, err := admin.do("POST", "/v1/orgs/"+org.ID+"/invitations", map[string]string{"email": email, "role": "owner"}, 201, nil); err != nil {
		return "", "", err
	}
	token, err := invitationToken(logFile, email)
	if err != nil {
		return "", "", err
	}
	const ownerPassword = "a bench owner's passphrase"
	if _, err := newClient(gw).do("POST", "/v1/invitations/accept", map[string]string{"token": token, "password": ownerPassword}, 201, nil); err != nil {
		return "", "", err
	}
	owner := newClient(gw)
	if _, err := owner.do("POST", "/v1/login", map[string]string{"email": email, "password": ownerPassword}, 200, nil); err != nil {
		return "", "", err
	}
	host := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	var in struct {
		DeliveryKey string `json:"delivery_key"`
	}
	if _, err := owner.do("POST", "/v1/orgs/"+org.ID+"/integrations",
		map[string]any{"name": "Bench player", "environment": "production", "domains": []string{host}}, 201, &in); err != nil {
		return "", "", err
	}
	// The snapshot is rebuilt right after the change; allow it a moment.
	player := newClient(gw)
	for i := 0; ; i++ {
		h, err := player.do("GET", "/v1/sdk/config/"+in.DeliveryKey, nil, 200, nil, "Origin", origin)
		if err == nil {
			return in.DeliveryKey, h.Get("ETag"), nil
		}
		if i == 50 {
			return "", "", err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// invitationToken finds the accept link mailed to email in the log and
// returns its token (the link's fragment).
func invitationToken(logFile, email string) (string, error) {
	for i := 0; i < 50; i++ {
		f, err := os.Open(logFile)
		if err != nil {
			return "", err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec struct {
				To        string `json:"to"`
				AcceptURL string `json:"accept_url"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.To == email && rec.AcceptURL != "" {
				f.Close()
				_, token, _ := strings.Cut(rec.AcceptURL, "#")
				return token, nil
			}
		}
		f.Close()
		time.Sleep(100 * time.Millisecond)
	}
	return "", errors.New("no invitation mail for " + email + " in " + logFile)
}
