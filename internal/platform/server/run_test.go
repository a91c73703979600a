package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestRunGroupDrainsBeforeShutdown(t *testing.T) {
	const delay = 3 * time.Second
	health := NewHealth()
	health.SetReady(true)
	public := mustServer(t, Options{Name: "public", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})})
	admin := mustServer(t, Options{Name: "admin", Handler: AdminHandler(AdminOptions{Health: health})})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunGroup(ctx, delay, health, public, admin) }()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	readyURL := "http://" + admin.Addr().String() + "/readyz"
	if status, _ := mustGet(t, client, readyURL); status != http.StatusOK {
		t.Fatalf("before cancel: got /readyz %d, want 200", status)
	}

	cancel()
	// Readiness drops at once; poll until it shows, well within the delay.
	for {
		status, _ := mustGet(t, client, readyURL)
		if status == http.StatusServiceUnavailable {
			break
		}
		if status != http.StatusOK {
			t.Fatalf("during delay: got /readyz %d, want 200 then 503", status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Still inside the delay: new requests are served, since balancers may
	// not have noticed yet.
	if status, body := mustGet(t, client, "http://"+public.Addr().String()+"/"); status != http.StatusOK || body != "ok" {
		t.Errorf("during delay: got public %d %q, want 200 ok", status, body)
	}

	if err := mustReturn(t, done, "RunGroup"); err != nil {
		t.Errorf("got RunGroup error %v, want nil", err)
	}
	mustBeRefused(t, public.Addr().String())
	mustBeRefused(t, admin.Addr().String())
}

func TestRunGroupStopsAllWhenOneFails(t *testing.T) {
	health := NewHealth()
	health.SetReady(true)
	healthy := mustServer(t, Options{Name: "healthy", Handler: http.NotFoundHandler()})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	broken := mustServer(t, Options{Name: "broken", Listener: ln, Handler: http.NotFoundHandler()})
	ln.Close() // Serve fails at once

	// The delay is far longer than any test; RunGroup must skip it.
	err = mustReturn(t, runGroupAsync(context.Background(), time.Hour, health, healthy, broken), "RunGroup")
	if err == nil {
		t.Fatal("got RunGroup error nil, want the broken server's error")
	}
	if health.Ready() {
		t.Error("got ready, want not ready after the group stopped")
	}
	mustBeRefused(t, healthy.Addr().String())
}

func runGroupAsync(ctx context.Context, delay time.Duration, h *Health, servers ...*Server) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- RunGroup(ctx, delay, h, servers...) }()
	return errc
}
