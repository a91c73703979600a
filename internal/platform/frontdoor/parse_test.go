package frontdoor

import (
	"bufio"
	"io"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// readAsNetHTTP reads head as net/http's server does: http.ReadRequest
// (which applies fixPragmaCacheControl and takes Host out of the header
// map itself), then the server's own checks (HTTP/1.x, exactly one valid
// Host, valid field names and values). It returns the request, or why
// net/http refuses the head; consuming more or less than head is a
// refusal too.
func readAsNetHTTP(head string) (*http.Request, string) {
	br := bufio.NewReader(strings.NewReader(head))
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, "ReadRequest: " + err.Error()
	}
	if br.Buffered() != 0 {
		return nil, "ReadRequest left bytes of the head unread"
	}
	if _, err := br.Peek(1); err != io.EOF {
		return nil, "ReadRequest left bytes of the head unread"
	}
	if req.ProtoMajor != 1 {
		return nil, "unsupported protocol version"
	}
	// ReadRequest takes Host out of the map; the server's checks see it.
	tp := textproto.NewReader(bufio.NewReader(strings.NewReader(head)))
	if _, err := tp.ReadLine(); err != nil {
		return nil, "request line: " + err.Error()
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, "header: " + err.Error()
	}
	hosts, haveHost := mh["Host"]
	if req.ProtoAtLeast(1, 1) && (!haveHost || len(hosts) == 0) && req.Method != "CONNECT" {
		return nil, "missing required Host header"
	}
	if len(hosts) > 1 {
		return nil, "too many Host headers"
	}
	if len(hosts) == 1 && !httpguts.ValidHostHeader(hosts[0]) {
		return nil, "malformed Host header"
	}
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return nil, "invalid header name"
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, "invalid header value"
			}
		}
	}
	if _, ok := req.Header["Host"]; ok {
		return nil, "ReadRequest kept Host in the header map"
	}
	return req, ""
}

// compareWithNetHTTP reports how the head parseHead took differs from
// net/http's reading of it, or "" when it does not.
func compareWithNetHTTP(t *testing.T, s string, h *head) {
	t.Helper()
	req, why := readAsNetHTTP(s)
	if req == nil {
		t.Fatalf("parseHead accepted a head net/http refuses (%s):\n%q", why, s)
	}
	if req.Method != h.method {
		t.Errorf("Method: net/http %q, parseHead %q\nhead %q", req.Method, h.method, s)
	}
	if req.RequestURI != h.target {
		t.Errorf("RequestURI: net/http %q, parseHead %q\nhead %q", req.RequestURI, h.target, s)
	}
	if req.Proto != "HTTP/1.1" || req.ProtoMajor != 1 || req.ProtoMinor != 1 {
		t.Errorf("Proto: net/http %q, parseHead takes only HTTP/1.1\nhead %q", req.Proto, s)
	}
	if h.url == nil {
		t.Fatalf("parseHead accepted without a URL\nhead %q", s)
	}
	if a, b := req.URL.String(), h.url.String(); a != b {
		t.Errorf("URL: net/http %q, parseHead %q\nhead %q", a, b, s)
	}
	if req.URL.Path != h.url.Path || req.URL.RawPath != h.url.RawPath || req.URL.RawQuery != h.url.RawQuery {
		t.Errorf("URL parts: net/http %q %q %q, parseHead %q %q %q\nhead %q",
			req.URL.Path, req.URL.RawPath, req.URL.RawQuery, h.url.Path, h.url.RawPath, h.url.RawQuery, s)
	}
	if !reflect.DeepEqual(*req.URL, *h.url) {
		t.Errorf("URL: net/http %#v, parseHead %#v\nhead %q", *req.URL, *h.url, s)
	}
	if req.Host != h.host {
		t.Errorf("Host: net/http %q, parseHead %q\nhead %q", req.Host, h.host, s)
	}
	if !reflect.DeepEqual(req.Header, h.header) {
		t.Errorf("Header: net/http %q, parseHead %q\nhead %q", req.Header, h.header, s)
	}
	if req.ContentLength != h.contentLength {
		t.Errorf("ContentLength: net/http %d, parseHead %d\nhead %q", req.ContentLength, h.contentLength, s)
	}
	if req.Close != h.close {
		t.Errorf("Close: net/http %v, parseHead %v\nhead %q", req.Close, h.close, s)
	}
	if req.TransferEncoding != nil {
		t.Errorf("net/http reads a Transfer-Encoding %q\nhead %q", req.TransferEncoding, s)
	}
	if req.Trailer != nil {
		t.Errorf("net/http reads trailers %q\nhead %q", req.Trailer, s)
	}
}

// parseSeeds are the fuzz test's seed corpus: heads parseHead takes and
// heads it leaves to net/http.
var parseSeeds = []string{
	// Typical.
	"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
	"GET /index.html HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
	"POST /api/v1/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n",
	"HEAD /health HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n",
	"DELETE /items/7?force=true HTTP/1.1\r\nHost: 10.0.0.1\r\nAuthorization: Bearer abc.def.ghi\r\n\r\n",
	"OPTIONS /cors HTTP/1.1\r\nHost: [::1]:443\r\nOrigin: https://a.example\r\nAccess-Control-Request-Method: PUT\r\n\r\n",
	"GET /a/b/c?x=1&y=2&y=3 HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, deflate, br\r\nCookie: a=b; c=d\r\n\r\n",
	// Odd field lines.
	"GET / HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nX-Dup: 2\r\nx-dup: 3\r\n\r\n",
	"GET / HTTP/1.1\r\nhost: h\r\nuser-agent: x\r\nX-FORWARDED-FOR: 1.2.3.4\r\nx_under_score: y\r\nA-b-C: d\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n\tb\r\n\r\n",
	"GET / HTTP/1.1\r\n Host: h\r\n\r\n",
	"GET / HTTP/1.1\nHost: h\n\n",
	"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n",
	"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX-Y : z\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nNo-Colon\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX:\r\nY: \t \r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX:  padded \t\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX: tab\there\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX: nul\x00\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX: del\x7f\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX: ctl\x01\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX\x80: v\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX-Name(bad): v\r\n\r\n",
	// Host.
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n",
	"GET / HTTP/1.1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost:\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: user@h\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\xc3\xa9.example\r\n\r\n",
	// Request targets.
	"GET http://example.com/x HTTP/1.1\r\nHost: other\r\n\r\n",
	"GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
	"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	"CONNECT /rpc HTTP/1.1\r\nHost: h\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"GET //double/slash HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a%20b/c%2Fd HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /%E2%82%AC?q=%E2%82%AC&r=a+b HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a?b=%zz HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a?#frag HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /? HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a;b=c/d HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a[b]{c}|d^e`f HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /a\"b<c>d\\e HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET a HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
	"GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET / HTTP/1.1\r\r\nHost: h\r\n\r\n",
	"get / HTTP/1.1\r\nHost: h\r\n\r\n",
	"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
	"M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n",
	"PROPFIND /dav HTTP/1.1\r\nHost: h\r\nDepth: 1\r\n\r\n",
	// Versions.
	"GET / HTTP/1.0\r\n\r\n",
	"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
	"GET / HTTP/1.2\r\nHost: h\r\n\r\n",
	"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
	"GET / http/1.1\r\nHost: h\r\n\r\n",
	"GET / HTTP/01.1\r\nHost: h\r\n\r\n",
	"GET /\r\n\r\n",
	// Content-Length.
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:  5\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5 \r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,5\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999999999999\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 3\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n",
	// Framing and protocol switches.
	"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: identity\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\n\r\n",
	"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nTrailer: X-Sum\r\n\r\n",
	// Cache and connection.
	"GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nPragma: other\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nPragma: other\r\nPragma: no-cache\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nPragma: No-Cache\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nCache-Control:\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: CLOSE\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nConnection: ,close,\r\n\r\n",
	// Bytes beyond ASCII.
	"GET / HTTP/1.1\r\nHost: h\r\nX-Name: Gr\xc3\xbc\xc3\x9fe\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: h\r\nX-Raw: \xff\xfe\x80\r\n\r\n",
	"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n",
	// Leading empty lines, as after a POST.
	"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
}

func FuzzParseHead(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// As readHead: the head is the bytes up to the first empty line.
		i := strings.Index(in, "\r\n\r\n")
		if i < 0 {
			return
		}
		s := in[:i+4]
		var h head
		if !parseHead(s, &h) {
			return
		}
		compareWithNetHTTP(t, s, &h)
	})
}

func TestParseHeadHandsOff(t *testing.T) {
	for _, s := range []string{
		"GET / HTTP/1.0\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		"CONNECT /rpc HTTP/1.1\r\nHost: h\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n",
		"GET / HTTP/1.1\r\n Host: h\r\n\r\n",
		"GET / HTTP/1.1\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX-Y : z\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nNo-Colon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: nul\x00\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: del\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX\x80: v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET a HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\r\nHost: h\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
	} {
		var h head
		if parseHead(s, &h) {
			t.Errorf("parseHead took %q; it is net/http's to read", s)
		}
	}
}

func TestParseHeadAccepts(t *testing.T) {
	for _, tc := range []struct {
		head          string
		method, path  string
		rawPath       string
		query         string
		host          string
		header        http.Header
		contentLength int64
		close         bool
	}{
		{
			head:   "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
			method: "GET", path: "/", host: "example.com",
			header: http.Header{},
		},
		{
			head:   "GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n\r\n",
			method: "GET", path: "/a/b", query: "x=1&y=%20", host: "example.com:8080",
			header: http.Header{"Accept": {"*/*"}},
		},
		{
			head:   "GET /a%2Fb/c%20d HTTP/1.1\r\nHost: h\r\n\r\n",
			method: "GET", path: "/a/b/c d", rawPath: "/a%2Fb/c%20d", host: "h",
			header: http.Header{},
		},
		{
			head:   "GET //x HTTP/1.1\r\nHost: h\r\n\r\n",
			method: "GET", path: "//x", host: "h",
			header: http.Header{},
		},
		{
			head:   "get /lower HTTP/1.1\r\nHost: h\r\n\r\n",
			method: "get", path: "/lower", host: "h",
			header: http.Header{},
		},
		{
			head:   "GET / HTTP/1.1\r\nhost: h\r\nx-dup: 1\r\nX-DUP: 2\r\nX-Dup: 3\r\nuser-AGENT: ua\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"X-Dup": {"1", "2", "3"}, "User-Agent": {"ua"}},
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Pad:  \t v a l \t \r\nX-Tab: a\tb\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"X-Empty": {""}, "X-Pad": {"v a l"}, "X-Tab": {"a\tb"}},
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: h\r\nX-Name: Gr\xc3\xbc\xc3\x9fe \xff\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"X-Name": {"Gr\xc3\xbc\xc3\x9fe \xff"}},
		},
		{
			head:   "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n",
			method: "POST", path: "/p", host: "h",
			header:        http.Header{"Content-Length": {"007"}},
			contentLength: 7,
		},
		{
			head:   "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length:   5  \r\n\r\n",
			method: "POST", path: "/p", host: "h",
			header:        http.Header{"Content-Length": {"5"}},
			contentLength: 5,
		},
		{
			head:   "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
			method: "POST", path: "/p", host: "h",
			header: http.Header{"Content-Length": {"0"}},
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"Pragma": {"no-cache"}, "Cache-Control": {"no-cache"}},
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: h\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"Pragma": {"no-cache"}, "Cache-Control": {"max-age=0"}},
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"Connection": {"close"}},
			close:  true,
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"Connection": {"keep-alive, Close"}},
			close:  true,
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
			method: "GET", path: "/", host: "h",
			header: http.Header{"Connection": {"keep-alive"}},
		},
		{
			// An empty Host is one Host, and valid, for net/http too.
			head:   "GET / HTTP/1.1\r\nHost:\r\n\r\n",
			method: "GET", path: "/", host: "",
			header: http.Header{},
		},
		{
			head:   "GET / HTTP/1.1\r\nHost: [::1]:80\r\nTrailer: X-Sum\r\n\r\n",
			method: "GET", path: "/", host: "[::1]:80",
			header: http.Header{"Trailer": {"X-Sum"}},
		},
	} {
		var h head
		if !parseHead(tc.head, &h) {
			t.Errorf("parseHead refused %q", tc.head)
			continue
		}
		compareWithNetHTTP(t, tc.head, &h)
		if h.method != tc.method || h.url.Path != tc.path || h.url.RawPath != tc.rawPath || h.url.RawQuery != tc.query || h.host != tc.host {
			t.Errorf("%q: got %q %q %q %q host %q", tc.head, h.method, h.url.Path, h.url.RawPath, h.url.RawQuery, h.host)
		}
		if !reflect.DeepEqual(h.header, tc.header) {
			t.Errorf("%q: header %q, want %q", tc.head, h.header, tc.header)
		}
		if h.contentLength != tc.contentLength || h.close != tc.close {
			t.Errorf("%q: contentLength %d close %v, want %d %v", tc.head, h.contentLength, h.close, tc.contentLength, tc.close)
		}
	}
}

func TestParseHeadSeedsAgree(t *testing.T) {
	// Every seed parseHead takes reads the same with net/http (the fuzz
	// test's property, on the seeds alone, for runs without -fuzz).
	took := 0
	for _, s := range parseSeeds {
		var h head
		if parseHead(s, &h) {
			took++
			compareWithNetHTTP(t, s, &h)
		}
	}
	if took < 20 {
		t.Errorf("parseHead took only %d seeds", took)
	}
}

func TestParseHeadAllocs(t *testing.T) {
	s := "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\nAccept: */*\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n"
	var h head
	allocs := testing.AllocsPerRun(100, func() {
		h = head{}
		if !parseHead(s, &h) {
			t.Fatal("refused")
		}
	})
	// The value backing, the header map (with its buckets), the one
	// slice grown by a second X-Dup, the URL.
	if allocs > 6 {
		t.Errorf("parseHead allocates %v times per head", allocs)
	}
}

func TestParseHeadCombinations(t *testing.T) {
	// Request lines and field lines, odd ones among them, in pairs
	// around a Host: whatever parseHead takes, net/http reads the same.
	lines := []string{
		"GET / HTTP/1.1", "POST /a/b?c=d HTTP/1.1", "get /%41%2f? HTTP/1.1",
		"HEAD //x HTTP/1.1", "GET /a%zz HTTP/1.1", "GET * HTTP/1.1",
		"GET http://h/ HTTP/1.1", "GET / HTTP/1.0", "CONNECT /x HTTP/1.1",
	}
	fields := []string{
		"", "Host: h", "Host: h2", "host: h", "Host:", "Host: a b", "Host: [::1]:8080",
		"Content-Length: 0", "Content-Length: 12", "content-length: 007", "Content-Length: +1",
		"Content-Length: 1,1", "Content-Length:", "Transfer-Encoding: chunked",
		"Connection: close", "Connection: keep-alive", "connection: Keep-Alive, Close",
		"Pragma: no-cache", "Pragma: no-cache, x", "Cache-Control: no-store", "cache-control:",
		"Expect: 100-continue", "Upgrade: websocket", "X-A: 1", "x-a: 2", "X-A : 3",
		" X-Fold: 4", "\tX-Fold: 5", "X-B:\t tabbed \t", "X-C: caf\xc3\xa9", "X-D: a\x01b",
		"X-E: a\rb", "X_F: under", "X-G(H): paren", ": nameless", "no colon",
		"Trailer: X-Sum", "Te: trailers",
	}
	took := 0
	for _, rl := range lines {
		for _, a := range fields {
			for _, b := range fields {
				var sb strings.Builder
				sb.WriteString(rl + "\r\n")
				for _, f := range []string{a, "Host: h", b} {
					if f != "" {
						sb.WriteString(f + "\r\n")
					}
				}
				sb.WriteString("\r\n")
				s := sb.String()
				var h head
				if parseHead(s, &h) {
					took++
					compareWithNetHTTP(t, s, &h)
				}
			}
		}
	}
	if took < 100 {
		t.Errorf("parseHead took only %d heads", took)
	}
}
