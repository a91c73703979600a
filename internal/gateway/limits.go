package gateway

import (
	"net/http"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// limits are the request limits checked before routing.
type limits struct {
	requestLine int
	headerBytes int
	headerCount int
}

func newLimits(s *config.Server) limits {
	return limits{
		requestLine: int(s.MaxRequestLine),
		headerBytes: int(s.MaxHeaderBytes),
		headerCount: s.MaxHeaderCount,
	}
}

// check returns a problem when r exceeds a limit, else nil. The request
// line is measured as sent (method, target, version); header bytes count
// each field as "Name: value\r\n".
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
	size += len(r.Host) + 8 // Go moves Host out of the header map
	if l.headerCount > 0 && n > l.headerCount {
		return problem.HeadersTooLarge("The request has more header fields than the configured limit."), "headers_too_large"
	}
	if l.headerBytes > 0 && size > l.headerBytes {
		return problem.HeadersTooLarge("The request header section exceeds the configured limit."), "headers_too_large"
	}
	return nil, ""
}
