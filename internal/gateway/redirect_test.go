package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// TestRedirectToHTTPS checks the cleartext listener of
// server.tls.redirect_http: 308 to the same host, path and query on the
// HTTPS port, for hosts the certificates cover only.
func TestRedirectToHTTPS(t *testing.T) {
	f := mustTLSFixture(t)
	f.ca.Server(t, "*.gw.example", "[::1]", "::1").Write(t, f.dir, "wild")
	up := mustUpstream(t, echoHandler("a"))
	tls := "      - {cert_file: \"${DIR}/wild.crt\", key_file: \"${DIR}/wild.key\"}\n" +
		"    redirect_http: {listen: \"127.0.0.1:0\"}\n"
	tg := mustTLSGateway(t, tlsConfig(tls, catchAll), f.vars(up.URL))
	_, port, _ := strings.Cut(tg.addr, ":")

	for name, c := range map[string]struct {
		raw      string
		location string
	}{
		"path and query":     {"GET /a/b%2Fc?x=1&y=%20 HTTP/1.1\r\nHost: gw.example\r\n\r\n", "https://gw.example:" + port + "/a/b%2Fc?x=1&y=%20"},
		"post keeps method":  {"POST /form HTTP/1.1\r\nHost: gw.example:80\r\nContent-Length: 0\r\n\r\n", "https://gw.example:" + port + "/form"},
		"host case":          {"GET / HTTP/1.1\r\nHost: GW.Example\r\n\r\n", "https://gw.example:" + port + "/"},
		"wildcard":           {"GET /x HTTP/1.1\r\nHost: api.gw.example\r\n\r\n", "https://api.gw.example:" + port + "/x"},
		"address":            {"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "https://127.0.0.1:" + port + "/x"},
		"IPv6 address":       {"GET /x HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "https://[::1]:" + port + "/x"},
		"absolute form":      {"GET http://gw.example/abs?q HTTP/1.1\r\nHost: gw.example\r\n\r\n", "https://gw.example:" + port + "/abs?q"},
		"double slash stays": {"GET //evil.example/x HTTP/1.1\r\nHost: gw.example\r\n\r\n", "https://gw.example:" + port + "//evil.example/x"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := mustRaw(t, tg.redirect, c.raw)
			if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != c.location {
				t.Errorf("got %d Location %q (%s), want 308 %s", resp.StatusCode, resp.Header.Get("Location"), body, c.location)
			}
		})
	}

	for name, c := range map[string]struct {
		raw    string
		status int
		typ    string
	}{
		"host no certificate covers": {"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", http.StatusMisdirectedRequest, "misdirected-request"},
		"subdomain of a wildcard":    {"GET / HTTP/1.1\r\nHost: a.b.gw.example\r\n\r\n", http.StatusMisdirectedRequest, "misdirected-request"},
		"list of hosts":              {"GET / HTTP/1.1\r\nHost: gw.example,evil.example\r\n\r\n", http.StatusBadRequest, "bad-request"},
		"empty port":                 {"GET / HTTP/1.1\r\nHost: gw.example:\r\n\r\n", http.StatusBadRequest, "bad-request"},
		"no host":                    {"GET / HTTP/1.0\r\n\r\n", http.StatusBadRequest, "bad-request"},
		"request line too long":      {"GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: gw.example\r\n\r\n", http.StatusRequestURITooLong, "uri-too-long"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := mustRaw(t, tg.redirect, c.raw)
			mustProblem(t, resp, body, c.status, c.typ)
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("refusal carries Location %q", loc)
			}
		})
	}

	t.Run("OPTIONS * is net/http's, not redirected", func(t *testing.T) {
		resp, _ := mustRaw(t, tg.redirect, "OPTIONS * HTTP/1.1\r\nHost: gw.example\r\n\r\n")
		if loc := resp.Header.Get("Location"); loc != "" {
			t.Errorf("got %d with Location %q", resp.StatusCode, loc)
		}
	})

	all := series(t, tg.reg)
	if len(matching(all, "portico_gateway_https_redirects_total{result=redirected} 8")) != 1 ||
		len(matching(all, "portico_gateway_https_redirects_total{result=refused} 6")) != 1 {
		t.Errorf("redirect series %v, want 8 redirected and 6 refused", matching(all, "https_redirects_total"))
	}
}

// TestRedirectPort names the configured HTTPS port, and leaves 443 out.
func TestRedirectPort(t *testing.T) {
	f := mustTLSFixture(t)
	up := mustUpstream(t, echoHandler("a"))
	for port, want := range map[string]string{"443": "https://gw.example/p?q", "8443": "https://gw.example:8443/p?q"} {
		t.Run(port, func(t *testing.T) {
			tg := mustTLSGateway(t, tlsConfig("    redirect_http: {listen: \"127.0.0.1:0\", port: "+port+"}\n", catchAll), f.vars(up.URL))
			resp, _ := mustRaw(t, tg.redirect, "GET /p?q HTTP/1.1\r\nHost: gw.example\r\n\r\n")
			if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
				t.Errorf("got %d %q, want 308 %s", resp.StatusCode, resp.Header.Get("Location"), want)
			}
		})
	}
}

// TestHSTS checks that a route's Strict-Transport-Security is sent over
// TLS only: to the gateway itself, or by a trusted proxy's word; and that
// it replaces the upstream's own.
func TestHSTS(t *testing.T) {
	f := mustTLSFixture(t)
	up := mustUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=5")
		echoHandler("a").ServeHTTP(w, r)
	}))
	routes := "  - {name: all, path: \"/{rest...}\", service: a, hsts: {include_subdomains: true}}\n" +
		"  - {name: short, path: /short, service: a, hsts: {max_age: 1h}}\n" +
		"  - {name: plain, path: /plain, service: a}\n" +
		"  - {name: tiny, path: /tiny, service: a, max_body: 1, hsts: {}}\n"
	const year = "max-age=31536000; includeSubDomains"
	tg := mustTLSGateway(t, tlsConfig("", routes), f.vars(up.URL))
	c := tlsClient(t, f.ca.Pool(), nil, true)
	for path, want := range map[string]string{"/x": year, "/short": "max-age=3600", "/plain": "max-age=5", "/nothing-upstream-404s-too": year} {
		t.Run("TLS "+path, func(t *testing.T) {
			resp, _ := mustSend(t, c, mustRequest(t, "GET", tg.url(path), nil))
			if got := resp.Header.Values("Strict-Transport-Security"); len(got) != 1 || got[0] != want {
				t.Errorf("got %q, want exactly %q", got, want)
			}
		})
	}
	t.Run("TLS problem answers carry it", func(t *testing.T) {
		resp, body := mustSend(t, c, mustRequest(t, "POST", tg.url("/tiny"), strings.NewReader("more than a byte")))
		mustProblem(t, resp, body, http.StatusRequestEntityTooLarge, "body-too-large")
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("got %q, want the route's policy", got)
		}
	})

	// The same routes over cleartext: from a client, never; from a
	// trusted proxy that terminated TLS, yes.
	clear := mustGateway(t, "version: 1\nserver: {trusted_proxies: [127.0.0.1]}\nservices:\n  a: {targets: [\"${A}\"]}\nroutes:\n"+routes,
		map[string]string{"A": up.URL})
	for name, c := range map[string]struct {
		proto, want string
	}{
		"cleartext":          {"", ""},
		"proxy said http":    {"http", ""},
		"proxy said https":   {"https", year},
		"proxy said HTTPS?":  {"HTTPS", ""},
		"proxy said a list":  {"https, http", ""},
		"proxy said nothing": {" ", ""},
	} {
		t.Run(name, func(t *testing.T) {
			req := mustRequest(t, "GET", clear.srv.URL+"/x", nil)
			if c.proto != "" {
				req.Header.Set("X-Forwarded-Proto", c.proto)
			}
			resp, _ := mustDo(t, req)
			if got := strings.Join(resp.Header.Values("Strict-Transport-Security"), ","); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
