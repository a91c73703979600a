package h1

import (
	"net/http"
	"strconv"
)

// statusLines are "200 OK" and the like, so that a response with the
// standard reason phrase costs no string for its Status.
var statusLines = func() (s [600]string) {
	for code := 100; code < 600; code++ {
		if t := http.StatusText(code); t != "" {
			s[code] = strconv.Itoa(code) + " " + t
		}
	}
	return s
}()

// chunkedCoding is the TransferEncoding of a chunked response; it is never
// modified.
var chunkedCoding = []string{"chunked"}

// smallHeader is the number of header fields whose values a response
// holds in its own allocation; a larger header has its values apart.
const smallHeader = 8

// response is what a response's header converts to, in one allocation:
// the http.Response, the body that streams it, and the values of a small
// header, whose slices share this array as net/http's share one.
type response struct {
	http.Response
	body   body
	values [smallHeader]string
}

// toHTTP builds the http.Response of r, a response header, as net/http's
// ReadResponse would: see newResponse.
func toHTTP(r *Response, req *http.Request) (*http.Response, error) {
	x, err := newResponse(r, req)
	if err != nil {
		return nil, err
	}
	return &x.Response, nil
}

// newResponse builds the http.Response of r, a response header, as
// net/http's ReadResponse would: canonical header keys, Transfer-Encoding
// moved out of the header, one Content-Length kept, announced trailers as
// keys of Trailer. The header's strings share one copy of the raw header
// block.
func newResponse(r *Response, req *http.Request) (*response, error) {
	raw := string(r.raw)
	// Status is the status line after the version, as net/http has it.
	line := r.raw[9:r.reason[1]]
	status := ""
	if r.StatusCode < len(statusLines) && string(line) == statusLines[r.StatusCode] {
		status = statusLines[r.StatusCode]
	} else {
		status = raw[9:r.reason[1]]
	}
	x := &response{Response: http.Response{
		Status:        status,
		StatusCode:    r.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    r.ProtoMinor,
		ContentLength: r.ContentLength,
		Close:         r.Close,
		Request:       req,
	}}
	resp := &x.Response
	if r.ProtoMinor == 0 {
		resp.Proto = "HTTP/1.0"
	}
	if r.Chunked {
		resp.TransferEncoding = chunkedCoding
	}
	n := r.NumFields()
	h := make(http.Header, n)
	values := x.values[:]
	if n > len(values) {
		values = make([]string, n)
	}
	for i, f := range r.fields {
		name := r.raw[f.ns:f.ne]
		var key string
		switch {
		case equalFold(name, "transfer-encoding"):
			continue
		case equalFold(name, "content-length"):
			if h["Content-Length"] != nil {
				continue // equal to the first: the reader checked
			}
			key = "Content-Length"
		default:
			key = http.CanonicalHeaderKey(raw[f.ns:f.ne])
		}
		v := raw[f.vs:f.ve]
		if vv := h[key]; vv != nil {
			h[key] = append(vv, v)
			continue
		}
		values[i] = v
		h[key] = values[i : i+1 : i+1]
	}
	if r.connClose && r.ProtoMinor == 1 {
		delete(h, "Connection") // as net/http does: Close says it
	}
	resp.Header = h
	if tr := h["Trailer"]; tr != nil && r.Chunked {
		if err := checkTrailer(r); err != nil {
			return nil, err
		}
		resp.Trailer = make(http.Header)
		for _, v := range tr {
			for _, k := range splitList(v) {
				resp.Trailer[http.CanonicalHeaderKey(k)] = nil
			}
		}
		delete(h, "Trailer")
	}
	return x, nil
}

// checkTrailer rejects a chunked response whose Trailer field announces a
// field that framing or the announcement itself forbids in a trailer, as
// net/http does.
func checkTrailer(r *Response) error {
	if !r.Chunked {
		return nil
	}
	for _, f := range r.fields {
		if !equalFold(r.raw[f.ns:f.ne], "trailer") {
			continue
		}
		for _, k := range splitList(string(r.raw[f.vs:f.ve])) {
			switch http.CanonicalHeaderKey(k) {
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return errTrailerKey
			}
		}
	}
	return nil
}

// errTrailerKey is a Trailer field announcing a field that framing or the
// announcement itself forbids in a trailer.
var errTrailerKey = &ProtocolError{"bad key in Trailer"}

// splitList splits a comma-separated field value into its trimmed,
// non-empty elements.
func splitList(v string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ',' {
			if e := string(trimOWS([]byte(v[start:i]))); e != "" {
				out = append(out, e)
			}
			start = i + 1
		}
	}
	return out
}
