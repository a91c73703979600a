// Package frontdoor serves plain HTTP/1.1 requests on a connection loop of
// its own and hands every other connection to net/http.
//
// net/http's server costs a handler-less request about 10 µs of CPU on
// the machines Portico is measured on, six times what reading a request
// and writing a response take: a goroutine per request that reads the
// connection in the background to notice the client leaving (one more
// read system call, two deadline changes, a wake-up), header maps built
// through textproto, a cancelable context per request, a cloned response
// header. Here a connection's goroutine reads a request head, hands it to
// the handler and writes the response, with buffers, the response header
// map and the request context kept per connection, and a client's leaving
// watched only for a request that outlives a short grace (see watch.go).
//
// What it serves is narrow on purpose. A request head it takes is whole
// in the connection's first 4 KiB of buffered bytes, is HTTP/1.1 in origin
// form, has CRLF line endings, no obs-fold, token field names, values
// without control characters, exactly one valid Host, at most one
// Content-Length, and none of Transfer-Encoding, Expect, Upgrade or
// HTTP2-Settings. Anything else (HTTP/1.0, chunked uploads,
// 100-continue, WebSocket and h2c upgrades, HTTP/2 with prior
// knowledge, a malformed or oversized head) is not refused here: the
// connection, with the bytes already read, goes to the net/http server
// given to [New], which serves it from then on as it would have from the
// start, errors included. Every head this package takes is one that
// net/http reads to the same request (a fuzz test compares the two), so
// the net/http server stays the one judge of what is malformed.
//
// Responses follow net/http's rules: a Content-Length when the handler
// ends having written at most 2 KiB without flushing, chunked encoding
// otherwise, Content-Type sniffed when the handler set none, a Date, header
// fields sorted with CR and LF made spaces, 1xx responses, trailers,
// HEAD, and the connection closed after a response that asks for it, a
// short body, or a request body left unread of 256 KiB or more. The
// server's ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout,
// BaseContext and ConnContext apply; Shutdown and Close cover both
// halves.
//
// What differs from net/http, on purpose or because net/http keeps the
// state private: SetKeepAlivesEnabled on the server is not seen (Shutdown
// is); ConnState is called only for connections net/http serves;
// http.MaxBytesReader cannot mark the connection for closing (its
// handler should say Connection: close, as the gateway does); a handler
// that aborts after flushing has the bytes it wrote since sent before the
// connection is cut, where net/http drops up to 2 KiB of them.
package frontdoor
