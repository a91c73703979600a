package h1

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads one response from in, for method, and its body.
func readAll(tb testing.TB, in string, method string, limits Limits) (*Response, string, *Reader, error) {
	tb.Helper()
	rd := NewReader(strings.NewReader(in), limits)
	var resp Response
	if err := rd.ReadResponse(&resp, method); err != nil {
		return nil, "", rd, err
	}
	body, err := io.ReadAll(rd)
	return &resp, string(body), rd, err
}

func TestReadResponseFraming(t *testing.T) {
	tests := []struct {
		name, in, method string
		status           int
		length           int64
		body             string
		close, chunked   bool
		buffered         int
	}{
		{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			status: 200, length: 5, body: "hello"},
		{name: "zero length", in: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			status: 200, length: 0},
		{name: "equal lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nhi",
			status: 200, length: 2, body: "hi"},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
			status: 200, length: -1, body: "hello world", chunked: true},
		{name: "chunked upper hex", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
			status: 200, length: -1, body: "0123456789", chunked: true},
		{name: "close delimited", in: "HTTP/1.1 200 OK\r\n\r\nuntil the end",
			status: 200, length: -1, body: "until the end", close: true},
		{name: "head keeps length", in: "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", method: "HEAD",
			status: 200, length: 42},
		{name: "204 without body", in: "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
			status: 204, length: 0},
		{name: "304 without body", in: "HTTP/1.1 304 Not Modified\r\n\r\n",
			status: 304, length: 0},
		{name: "100 continue", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
			status: 100, length: 0, buffered: len("HTTP/1.1 200 OK\r\n")},
		{name: "http/1.0 closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
			status: 200, length: 1, body: "x", close: true},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
			status: 200, length: 1, body: "x"},
		{name: "connection close", in: "HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 1\r\n\r\nx",
			status: 200, length: 1, body: "x", close: true},
		{name: "no reason", in: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
			status: 200, length: 0},
		{name: "bytes after the body", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1",
			status: 200, length: 1, body: "x", buffered: len("HTTP/1.1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			resp, body, rd, err := readAll(t, tt.in, method, Limits{})
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if resp.StatusCode != tt.status || resp.ContentLength != tt.length || body != tt.body ||
				resp.Close != tt.close || resp.Chunked != tt.chunked {
				t.Errorf("got status %d, length %d, body %q, close %v, chunked %v; want %d, %d, %q, %v, %v",
					resp.StatusCode, resp.ContentLength, body, resp.Close, resp.Chunked,
					tt.status, tt.length, tt.body, tt.close, tt.chunked)
			}
			if !rd.Done() {
				t.Error("got Done false after the whole body")
			}
			if rd.Buffered() != tt.buffered {
				t.Errorf("got %d bytes buffered, want %d", rd.Buffered(), tt.buffered)
			}
		})
	}
}

func TestReadResponseMalformed(t *testing.T) {
	long := strings.Repeat("a", 300)
	many := strings.Repeat("X-A: 1\r\n", 11)
	tests := []struct {
		name, in string
		want     error // nil: any *ProtocolError
	}{
		{"garbage", "garbage\r\n\r\n", errStatusLine},
		{"http/2", "HTTP/2.0 200 OK\r\n\r\n", errVersion},
		{"http/1.2", "HTTP/1.2 200 OK\r\n\r\n", errVersion},
		{"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", errStatusCode},
		{"status 099", "HTTP/1.1 099 Odd\r\n\r\n", errStatusCode},
		{"status 600", "HTTP/1.1 600 Odd\r\n\r\n", errStatusCode},
		{"letters in status", "HTTP/1.1 2x0 OK\r\n\r\n", errStatusCode},
		{"no space after status", "HTTP/1.1 200OK\r\n\r\n", errStatusLine},
		{"control in reason", "HTTP/1.1 200 O\x00K\r\n\r\n", errStatusLine},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", errLineEnding},
		{"bare LF in fields", "HTTP/1.1 200 OK\r\nA: b\nContent-Length: 0\r\n\r\n", errLineEnding},
		{"bare CR in value", "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", errFieldValue},
		{"obs-fold", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", errFieldName},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", errFieldName},
		{"no colon", "HTTP/1.1 200 OK\r\nContent-Length\r\n\r\n", errFieldName},
		{"empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", errFieldName},
		{"NUL in value", "HTTP/1.1 200 OK\r\nA: b\x00\r\n\r\n", errFieldValue},
		{"DEL in value", "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", errFieldValue},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy", errConflictLength},
		{"length list", "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx", errContentLength},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", errContentLength},
		{"empty length", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", errContentLength},
		{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", errContentLength},
		{"length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", errLengthAndChunked},
		{"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", errTransferEncoding},
		{"two codings fields", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", errTransferEncoding},
		{"chunked on 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", errTransferEncoding},
		{"too many fields", "HTTP/1.1 200 OK\r\n" + many + "\r\n", errTooManyFields},
		{"header too large", "HTTP/1.1 200 OK\r\nA: " + long + "\r\n\r\n", errHeaderTooLarge},
		{"status line too large", "HTTP/1.1 200 " + long + long, errHeaderTooLarge},
		{"closed in the header", "HTTP/1.1 200 OK\r\nContent-Le", errTruncatedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := readAll(t, tt.in, "GET", Limits{MaxHeaderBytes: 256, MaxHeaders: 10})
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ProtocolError", err)
			}
			if tt.want != nil && err != tt.want {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadBodyMalformed(t *testing.T) {
	tests := []struct {
		name, in string
		want     error // nil: any *ProtocolError
	}{
		{"closed mid-body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", io.ErrUnexpectedEOF},
		{"closed mid-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", io.ErrUnexpectedEOF},
		{"closed before last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", io.ErrUnexpectedEOF},
		{"closed in trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n", io.ErrUnexpectedEOF},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", errChunkLine},
		{"negative chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nhello\r\n0\r\n\r\n", errChunkLine},
		{"chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", errChunkLine},
		{"chunk too long for its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", errChunkEnd},
		{"chunk line without CR", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", errLineEnding},
		{"control in extension", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n", errChunkLine},
		{"bad trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", errTrailer},
		{"chunk line too long", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + strings.Repeat("e", 5000) + "\r\nhello\r\n0\r\n\r\n", errChunkLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, rd, err := readAll(t, tt.in, "GET", Limits{})
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if rd.Done() {
				t.Error("got Done true after a broken body")
			}
		})
	}
}

// A body read one byte at a time, and a header arriving a byte at a time,
// give the same response.
func TestReadResponseOneByteReads(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Long: " + strings.Repeat("v", 6000) +
		"\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
	rd := NewReader(iotest.OneByteReader(strings.NewReader(in)), Limits{})
	var resp Response
	if err := rd.ReadResponse(&resp, "GET"); err != nil {
		t.Fatal(err)
	}
	if _, v := resp.Field(1); len(v) != 6000 {
		t.Fatalf("got a value of %d bytes, want 6000", len(v))
	}
	body, err := io.ReadAll(iotest.OneByteReader(rd))
	if err != nil || string(body) != "hello world" {
		t.Fatalf("got %q, %v; want hello world", body, err)
	}
	if tr := rd.Trailers(); len(tr) != 1 || tr[0] != (Trailer{"X-Trailer", "yes"}) {
		t.Errorf("got trailers %v", tr)
	}
}

// Two responses in a row on one connection, the buffer released between.
func TestReadResponseSequence(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na" +
		"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n"
	rd := NewReader(strings.NewReader(in), Limits{})
	var resp Response
	for _, want := range []string{"a", "b"} {
		if err := rd.ReadResponse(&resp, "GET"); err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rd)
		if err != nil || string(body) != want {
			t.Fatalf("got %q, %v; want %q", body, err, want)
		}
	}
	rd.Release()
	if err := rd.ReadResponse(&resp, "GET"); err != io.EOF {
		t.Fatalf("got %v at the end, want io.EOF", err)
	}
}

func TestToHTTP(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nX-Multi: 1\r\nX-Multi: 2\r\n" +
		"Trailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Sum: 9\r\n\r\n"
	rd := NewReader(strings.NewReader(in), Limits{})
	var resp Response
	if err := rd.ReadResponse(&resp, "GET"); err != nil {
		t.Fatal(err)
	}
	hr, err := toHTTP(&resp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hr.Status != "200 OK" || hr.Header.Get("Content-Type") != "text/plain" ||
		strings.Join(hr.Header["X-Multi"], ",") != "1,2" || hr.Header["Transfer-Encoding"] != nil ||
		hr.Header["Trailer"] != nil || len(hr.Trailer) != 1 || hr.TransferEncoding[0] != "chunked" {
		t.Errorf("got %+v", hr)
	}
}

// A header of more fields than a response holds values for in its own
// allocation (smallHeader) converts as a small one does, as net/http reads
// it.
func TestToHTTPLargeHeader(t *testing.T) {
	for _, n := range []int{smallHeader - 1, smallHeader, smallHeader + 1, 3 * smallHeader} {
		// n fields, the first name repeated, the last field's its own.
		var in strings.Builder
		in.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n")
		for i := range n - 1 {
			fmt.Fprintf(&in, "X-Field-%d: %d\r\n", max(i-1, 0), i)
		}
		in.WriteString("\r\n")
		rd := NewReader(strings.NewReader(in.String()), Limits{})
		var resp Response
		if err := rd.ReadResponse(&resp, "GET"); err != nil {
			t.Fatal(err)
		}
		got, err := toHTTP(&resp, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := http.ReadResponse(bufioReader([]byte(in.String())), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !headersEqual(got.Header, want.Header) {
			t.Errorf("%d fields: got %v\nwant %v", n, got.Header, want.Header)
		}
	}
}

// FuzzReadResponse feeds arbitrary bytes to the reader, and compares it with
// net/http.ReadResponse wherever both accept the response and its body.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.0 404 Not Found\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
		"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;name=\"v\"\r\nabc\r\n0;last\r\nX-A: 1\r\nX-A: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\nTrailer: X-A, X-B\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 \r\nX-Empty:\r\nX-Tab:\tv\t\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"v1\"\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive, close\r\n\r\n",
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		rd := NewReader(bytes.NewReader(in), Limits{})
		var resp Response
		err := rd.ReadResponse(&resp, method)
		var ours *http.Response
		var ourBody []byte
		if err == nil {
			ours, err = toHTTP(&resp, nil)
		}
		if err == nil {
			ourBody, err = io.ReadAll(rd)
			if err == nil && !rd.Done() {
				t.Fatal("body read without error but not Done")
			}
		}
		var pe *ProtocolError
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && !errors.As(err, &pe) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		if err != nil {
			return
		}
		if tr := rd.Trailers(); len(tr) > 0 {
			setTrailers(ours, tr)
		}

		ref, rerr := http.ReadResponse(bufioReader(in), &http.Request{Method: method})
		if rerr != nil {
			return
		}
		refBody, rerr := io.ReadAll(ref.Body)
		if rerr != nil {
			return
		}
		if ours.StatusCode != ref.StatusCode || ours.ProtoMinor != ref.ProtoMinor ||
			ours.ContentLength != ref.ContentLength || ours.Close != ref.Close {
			t.Fatalf("status %d/%d, minor %d/%d, length %d/%d, close %v/%v (ours/net/http)",
				ours.StatusCode, ref.StatusCode, ours.ProtoMinor, ref.ProtoMinor,
				ours.ContentLength, ref.ContentLength, ours.Close, ref.Close)
		}
		if ours.Status != ref.Status {
			t.Fatalf("status line %q, net/http %q", ours.Status, ref.Status)
		}
		if !headersEqual(ours.Header, ref.Header) {
			t.Fatalf("header %v, net/http %v", ours.Header, ref.Header)
		}
		if strings.Join(ours.TransferEncoding, ",") != strings.Join(ref.TransferEncoding, ",") {
			t.Fatalf("transfer encoding %v, net/http %v", ours.TransferEncoding, ref.TransferEncoding)
		}
		if !bytes.Equal(ourBody, refBody) {
			t.Fatalf("body %q, net/http %q", ourBody, refBody)
		}
		if !headersEqual(ours.Trailer, ref.Trailer) {
			t.Fatalf("trailer %v, net/http %v", ours.Trailer, ref.Trailer)
		}
	})
}
