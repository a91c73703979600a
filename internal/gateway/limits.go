package gateway

import (
	"net/http"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// limits are the server section's bounds on a request and its policy for
// odd header names, compiled once per configuration.
type limits struct {
	requestLine int
	headerBytes int
	headerCount int
	underscores underscorePolicy
	body        bodyPolicy
}

func newLimits(s *config.Server) limits {
	return limits{
		requestLine: int(s.MaxRequestLine),
		headerBytes: int(s.MaxHeaderBytes),
		headerCount: s.MaxHeaderCount,
		underscores: parseUnderscorePolicy(s.UnderscoreHeaders),
		body:        newBodyPolicy(s),
	}
}

// check returns a problem when r exceeds a limit, else nil. It runs before
// the gateway adds or removes any field, so it measures what the client
// sent. The request line is measured as sent (method, target, version,
// without CRLF). Fields are counted one per line, Host (which net/http
// moves out of the header map; HTTP/2's :authority) included; header bytes
// count the request line and each field as "Name: value\r\n", without the
// empty line that ends the section.
func (l *limits) check(r *http.Request) (*problem.Problem, string) {
	line := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto)
	if l.requestLine > 0 && line > l.requestLine {
		return problem.URITooLong("The request line exceeds the configured limit."), "uri_too_long"
	}
	n, size := 0, line+2
	for k, vs := range r.Header {
		for _, v := range vs {
			n++
			size += len(k) + 2 + len(v) + 2
		}
	}
	if r.Host != "" {
		n++
		size += len("Host: \r\n") + len(r.Host)
	}
	if l.headerCount > 0 && n > l.headerCount {
		return problem.HeadersTooLarge("The request has more header fields than the configured limit."), "headers_too_large"
	}
	if l.headerBytes > 0 && size > l.headerBytes {
		return problem.HeadersTooLarge("The request header section exceeds the configured limit."), "headers_too_large"
	}
	return nil, ""
}
