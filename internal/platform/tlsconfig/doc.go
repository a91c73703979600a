// Package tlsconfig serves TLS from certificate and key files that change
// while the process runs: it loads one or more certificate chains with
// their keys (chosen by the client's SNI, the first for clients without
// it), optionally the CA bundles that client certificates are verified
// against, and hands out a tls.Config whose GetConfigForClient always
// returns the newest good set. New handshakes get a replacement as soon as
// it is loaded; connections already open keep the certificate they were
// established with.
//
// Files are polled rather than watched. Certificates change rarely (days
// or months apart), and a poll of a few kilobytes every few seconds costs
// nothing measurable, while a watcher has to follow the directory (atomic
// renames), the symlink swap of a mounted Kubernetes Secret, and editors
// that truncate then write. Each poll reads every file and compares its
// SHA-256 with the serving set's, so neither a coarse modification time
// nor a same-size rewrite can hide a change. A change is loaded only once
// two consecutive polls have read the same new content: a certificate and
// its key are seldom replaced in one atomic step, and a half-replaced pair
// must not be reported as a failure. A set that does not load (a missing
// file, a key that does not match its certificate, an expired
// certificate) is logged and reported through Options.OnReload, and the
// serving set stays; the same bad content is reported once, not at every
// poll.
//
// Session tickets are encrypted with the keys of the tls.Config handed to
// the server, not of each loaded set, so resumption survives a reload.
// crypto/tls checks a resumed session's client certificate chain against
// the CAs of the set serving the new handshake, so a reload that drops a
// client CA also ends resumption for the clients it admitted.
//
// EnsureSelfSigned creates (and on later starts reuses) a self-signed
// certificate for local use.
package tlsconfig
