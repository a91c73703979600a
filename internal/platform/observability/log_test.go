package observability

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/platform/requestid"
)

const (
	testTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpanID  = "00f067aa0ba902b7"
)

func TestNewLoggerOptions(t *testing.T) {
	tests := []struct {
		name, level, format string
		wantErr             bool
		debugEnabled        bool
	}{
		{name: "defaults", debugEnabled: false},
		{name: "debug json", level: "debug", format: "json", debugEnabled: true},
		{name: "upper case", level: "DEBUG", format: "TEXT", debugEnabled: true},
		{name: "warn text", level: "warn", format: "text"},
		{name: "error", level: "error", format: "json"},
		{name: "bad level", level: "verbose", format: "json", wantErr: true},
		{name: "bad format", level: "info", format: "xml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLogger(io.Discard, tt.level, tt.format)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := l.Enabled(context.Background(), slog.LevelDebug); got != tt.debugEnabled {
				t.Errorf("got debug enabled %v, want %v", got, tt.debugEnabled)
			}
		})
	}
}

func TestLoggerLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	l, err := NewLogger(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("dropped")
	l.Warn("kept")
	rec := mustOneRecord(t, &buf)
	if got := rec["msg"]; got != "kept" {
		t.Errorf("got msg %v, want kept", got)
	}
}

func TestLoggerAddsContextIDs(t *testing.T) {
	ctx := requestid.With(context.Background(), "req-1")
	ctx = mustSpanContext(t, ctx, testTraceID, testSpanID, true)

	t.Run("with context", func(t *testing.T) {
		var buf bytes.Buffer
		mustLogger(t, &buf).InfoContext(ctx, "hello", "k", "v")
		rec := mustOneRecord(t, &buf)
		for key, want := range map[string]string{RequestIDKey: "req-1", TraceIDKey: testTraceID, SpanIDKey: testSpanID, "k": "v"} {
			if got := rec[key]; got != want {
				t.Errorf("got %s %v, want %q", key, got, want)
			}
		}
	})
	t.Run("without context", func(t *testing.T) {
		var buf bytes.Buffer
		mustLogger(t, &buf).Info("hello")
		rec := mustOneRecord(t, &buf)
		for _, key := range []string{RequestIDKey, TraceIDKey, SpanIDKey} {
			if v, ok := rec[key]; ok {
				t.Errorf("got %s %v, want it absent", key, v)
			}
		}
	})
	t.Run("invalid span context", func(t *testing.T) {
		var buf bytes.Buffer
		mustLogger(t, &buf).InfoContext(requestid.With(context.Background(), "req-2"), "hello")
		rec := mustOneRecord(t, &buf)
		if got := rec[RequestIDKey]; got != "req-2" {
			t.Errorf("got request_id %v, want req-2", got)
		}
		if v, ok := rec[TraceIDKey]; ok {
			t.Errorf("got trace_id %v, want it absent", v)
		}
	})
	t.Run("inside groups", func(t *testing.T) {
		var buf bytes.Buffer
		l := mustLogger(t, &buf).With("top", 1).WithGroup("http").With("method", "GET").WithGroup("resp")
		l.InfoContext(ctx, "done", "code", 200)
		rec := mustOneRecord(t, &buf)
		if got := rec[RequestIDKey]; got != "req-1" {
			t.Errorf("got request_id %v, want req-1 at the top level; record %v", got, rec)
		}
		if got := rec["top"]; got != float64(1) {
			t.Errorf("got top %v, want 1", got)
		}
		httpGroup, _ := rec["http"].(map[string]any)
		if got := httpGroup["method"]; got != "GET" {
			t.Errorf("got http.method %v, want GET; record %v", got, rec)
		}
		resp, _ := httpGroup["resp"].(map[string]any)
		if got := resp["code"]; got != float64(200) {
			t.Errorf("got http.resp.code %v, want 200; record %v", got, rec)
		}
	})
	t.Run("text format", func(t *testing.T) {
		var buf bytes.Buffer
		l, err := NewLogger(&buf, "info", "text")
		if err != nil {
			t.Fatal(err)
		}
		l.InfoContext(ctx, "hello")
		for _, want := range []string{"request_id=req-1", "trace_id=" + testTraceID, "span_id=" + testSpanID} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("got %q, want it to contain %q", buf.String(), want)
			}
		}
	})
}

func TestLoggerRedacts(t *testing.T) {
	const secret = "s3cr3tVALUE"
	tests := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{name: "authorization", log: func(l *slog.Logger) { l.Info("m", "authorization", "Bearer "+secret) }},
		{name: "mixed case key", log: func(l *slog.Logger) { l.Info("m", "Authorization", secret) }},
		{name: "cookie", log: func(l *slog.Logger) { l.Info("m", "Cookie", "sid="+secret) }},
		{name: "set-cookie", log: func(l *slog.Logger) { l.Info("m", "Set-Cookie", secret) }},
		{name: "password", log: func(l *slog.Logger) { l.Info("m", "PASSWORD", secret) }},
		{name: "secret", log: func(l *slog.Logger) { l.Info("m", "secret", secret) }},
		{name: "token", log: func(l *slog.Logger) { l.Info("m", "token", secret) }},
		{name: "api_key", log: func(l *slog.Logger) { l.Info("m", "api_key", secret) }},
		{name: "suffixed key", log: func(l *slog.Logger) { l.Info("m", "refresh_token", secret) }},
		{name: "non string value", log: func(l *slog.Logger) { l.Info("m", "token", []string{secret}) }},
		{name: "inside group attr", log: func(l *slog.Logger) { l.Info("m", slog.Group("req", slog.String("Cookie", secret))) }},
		{name: "inside WithGroup", log: func(l *slog.Logger) { l.WithGroup("auth").Info("m", "password", secret) }},
		{name: "secret group", log: func(l *slog.Logger) { l.Info("m", slog.Group("token", slog.String("value", secret))) }},
		{name: "With attrs", log: func(l *slog.Logger) { l.With("api_key", secret).Info("m") }},
		{name: "With attrs in group", log: func(l *slog.Logger) { l.WithGroup("g").With("secret", secret).Info("m") }},
		{name: "url query in string", log: func(l *slog.Logger) { l.Info("m", "url", "https://h/p?token="+secret) }},
		{name: "url userinfo in message", log: func(l *slog.Logger) { l.Info("dial postgres://u:" + secret + "@db/x") }},
		{name: "error value", log: func(l *slog.Logger) {
			l.Info("m", "err", &url.Error{Op: "Get", URL: "https://h/p?api_key=" + secret, Err: errors.New("refused")})
		}},
		{name: "url value", log: func(l *slog.Logger) {
			l.Info("m", "u", &url.URL{Scheme: "https", Host: "h", User: url.UserPassword("u", secret)})
		}},
		{name: "header value", log: func(l *slog.Logger) {
			l.Info("m", "headers", http.Header{"Authorization": {"Basic " + secret}, "Accept": {"*/*"}})
		}},
		{name: "log valuer", log: func(l *slog.Logger) { l.Info("m", "password", valuer(secret)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(mustLogger(t, &buf))
			if strings.Contains(buf.String(), secret) {
				t.Errorf("got %s, want no %q in it", buf.String(), secret)
			}
			if !strings.Contains(buf.String(), Redacted) {
				t.Errorf("got %s, want %q in it", buf.String(), Redacted)
			}
		})
	}
}

func TestLoggerKeepsOrdinaryValues(t *testing.T) {
	var buf bytes.Buffer
	mustLogger(t, &buf).Info("verify token: signature invalid", "tokens", 3, "path", "/v1/items?limit=10", "err", errors.New("basic checks failed"))
	rec := mustOneRecord(t, &buf)
	want := map[string]any{"msg": "verify token: signature invalid", "tokens": float64(3), "path": "/v1/items?limit=10", "err": "basic checks failed"}
	for k, w := range want {
		if got := rec[k]; got != w {
			t.Errorf("got %s %v, want %v", k, got, w)
		}
	}
}

type valuer string

func (v valuer) LogValue() slog.Value { return slog.StringValue(string(v)) }

func BenchmarkLogHandler(b *testing.B) {
	ctx := requestid.With(context.Background(), "0123456789abcdefghjkmnpqrs")
	ctx = mustSpanContext(b, ctx, testTraceID, testSpanID, true)
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	cases := []struct {
		name string
		l    *slog.Logger
		ctx  context.Context
	}{
		{name: "plain json handler", l: slog.New(slog.NewJSONHandler(io.Discard, opts)), ctx: ctx},
		{name: "logger no ids", l: mustDiscardLogger(b), ctx: context.Background()},
		{name: "logger request id", l: mustDiscardLogger(b), ctx: requestid.With(context.Background(), "0123456789abcdefghjkmnpqrs")},
		{name: "logger request and trace ids", l: mustDiscardLogger(b), ctx: ctx},
		{name: "logger with group", l: mustDiscardLogger(b).WithGroup("http"), ctx: ctx},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.l.InfoContext(c.ctx, "request served", "method", "GET", "route", "GET /v1/items/{id}", "code", 200, "authorization", "Bearer abc")
			}
		})
	}
}

func mustDiscardLogger(tb testing.TB) *slog.Logger {
	tb.Helper()
	l, err := NewLogger(io.Discard, "info", "json")
	if err != nil {
		tb.Fatal(err)
	}
	return l
}
