// Package h1 is the gateway's HTTP/1.1 client for upstream services: a
// strict response reader and a client that writes the request and reads the
// response on the caller's goroutine over pooled keep-alive connections.
//
// net/http's Transport runs a read loop and a write loop goroutine per
// connection and hands each request and response between them and the
// caller over channels; a profile of the gateway's passthrough puts that
// machinery, with the header maps it builds, at a large share of the CPU
// per request beside the system calls themselves. Here the exchange is
// sequential: the caller takes an idle connection (or dials one), writes
// the request, reads the status line and headers into a pooled buffer and
// streams the body from it. A connection goes back to the pool only when
// its response body was read to the end with nothing left over; anything
// else closes it. Taken from the pool, a connection is checked with one
// non-blocking peek, which finds what a read loop would have: the
// upstream's close, or bytes it sent unasked. A request whole in memory is
// written from inside the poller's wait for the response (see writeWait),
// which spares the read that would find nothing yet. Its context is watched
// (context.AfterFunc, five allocations) only once the exchange outlives a
// short grace (watchAfter): until then the context's deadline is the
// connection's, and a cancellation is seen when the grace ends.
//
// A caller that reads only a response's status, length and content type
// (composition's steps) uses [Client.RoundTripHead], which builds no
// http.Response and no header map: the response's head costs nothing but
// the body that streams it.
//
// The reader ([Reader]) is strict, as RFC 9112 asks of a recipient that
// forwards what it reads: CRLF line endings, no obs-fold, no whitespace
// before a field's colon, tokens for names, no control characters in
// values, one framing (Content-Length or chunked, never both; several
// Content-Length values only when they agree), limits on the number and
// size of header fields. A response it rejects is an error, which the
// gateway answers with 502, and the connection is dropped. Its fuzz test
// compares it with net/http.ReadResponse on every input both accept.
//
// What the client does not serve stays with net/http: upgrades (WebSocket),
// h2c, request trailers and Expect: 100-continue.
package h1
