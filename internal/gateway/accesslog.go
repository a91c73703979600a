package gateway

import (
	"io"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/portico-gw/portico/internal/platform/jsonstring"
)

// accessLog writes one JSON line per request, in the shape of the
// structured log (time, level, msg first) so one log pipeline reads both.
// It is the most frequent record the gateway writes, so it is encoded by
// hand into a pooled buffer rather than through log/slog: that costs a
// tenth of slog's handler with redaction, and its fields hold nothing
// secret (the path without its query, never a header value).
type accessLog struct {
	out  *lineWriter
	pool sync.Pool // *[]byte
}

func newAccessLog(w io.Writer, flush time.Duration) *accessLog {
	return &accessLog{
		out:  newLineWriter(w, flush, 64<<10),
		pool: sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }},
	}
}

// record is what one access log line says.
type record struct {
	at                                    time.Time
	requestID, method, path, route, label string
	status                                int
	bytes                                 int64
	duration                              time.Duration
	client                                netip.Addr // invalid when unknown: ""
	failure, subject                      string
	certSubject, certFingerprint          string // a verified TLS client certificate's
}

func (l *accessLog) write(rec *record) {
	bp := l.pool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"time":"`...)
	b = rec.at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = jsonstring.Append(b, rec.requestID)
	b = append(b, `,"method":`...)
	b = jsonstring.Append(b, rec.method)
	b = append(b, `,"path":`...)
	b = jsonstring.Append(b, rec.path)
	b = append(b, `,"route":`...)
	b = jsonstring.Append(b, rec.route)
	b = append(b, `,"service":`...)
	b = jsonstring.Append(b, rec.label)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(rec.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, rec.bytes, 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(rec.duration.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"client":`...)
	b = appendClient(b, rec.client)
	if rec.subject != "" {
		b = append(b, `,"subject":`...)
		b = jsonstring.Append(b, rec.subject)
	}
	if rec.certFingerprint != "" {
		b = append(b, `,"client_cert_sha256":`...)
		b = jsonstring.Append(b, rec.certFingerprint)
		b = append(b, `,"client_cert_subject":`...)
		b = jsonstring.Append(b, rec.certSubject)
	}
	if rec.failure != "" {
		b = append(b, `,"failure":`...)
		b = jsonstring.Append(b, rec.failure)
	}
	b = append(b, "}\n"...)
	l.out.write(b)
	*bp = b
	l.pool.Put(bp)
}

// appendClient appends a as a JSON string, "" when it is not valid. An
// address without a zone is digits, hex, dots and colons, appended as
// they are; a zone may hold anything, so such an address is escaped.
func appendClient(b []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return append(b, `""`...)
	case a.Zone() != "":
		return jsonstring.Append(b, a.String())
	}
	b = append(b, '"')
	b = a.AppendTo(b)
	return append(b, '"')
}

func (l *accessLog) close() { l.out.close() }

// lineWriter collects whole lines and writes them in batches: when the
// buffer is full, and every flush interval. A zero interval writes each
// line at once. Lines are never split between writes.
type lineWriter struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	limit int
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLineWriter(w io.Writer, interval time.Duration, limit int) *lineWriter {
	l := &lineWriter{w: w, limit: limit, stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		close(l.done)
		return l
	}
	l.buf = make([]byte, 0, limit)
	go l.loop(interval)
	return l
}

func (l *lineWriter) loop(interval time.Duration) {
	defer close(l.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.mu.Lock()
			l.flushLocked()
			l.mu.Unlock()
		case <-l.stop:
			return
		}
	}
}

func (l *lineWriter) write(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf == nil {
		l.w.Write(line)
		return
	}
	if len(l.buf)+len(line) > l.limit {
		l.flushLocked()
	}
	if len(line) > l.limit {
		l.w.Write(line)
		return
	}
	l.buf = append(l.buf, line...)
}

func (l *lineWriter) flushLocked() {
	if len(l.buf) > 0 {
		l.w.Write(l.buf)
		l.buf = l.buf[:0]
	}
}

// close stops the flusher and writes what is buffered.
func (l *lineWriter) close() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.mu.Lock()
		l.flushLocked()
		if l.buf != nil {
			l.buf = nil // later lines are written at once
		}
		l.mu.Unlock()
	})
}
