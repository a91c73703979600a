package gateway

import (
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
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
	client, failure                       string
}

func (l *accessLog) write(rec *record) {
	bp := l.pool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"time":"`...)
	b = rec.at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = appendJSONString(b, rec.requestID)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, rec.method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, rec.path)
	b = append(b, `,"route":`...)
	b = appendJSONString(b, rec.route)
	b = append(b, `,"service":`...)
	b = appendJSONString(b, rec.label)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(rec.status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, rec.bytes, 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(rec.duration.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"client":`...)
	b = appendJSONString(b, rec.client)
	if rec.failure != "" {
		b = append(b, `,"failure":`...)
		b = appendJSONString(b, rec.failure)
	}
	b = append(b, "}\n"...)
	l.out.write(b)
	*bp = b
	l.pool.Put(bp)
}

func (l *accessLog) close() { l.out.close() }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, and characters that could confuse a reader of the raw log (<, >,
// &, U+2028, U+2029) are escaped as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

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
