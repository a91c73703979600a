package server

import (
	"context"
	"errors"
	"testing"
)

func TestHealth(t *testing.T) {
	h := NewHealth()
	if h.Ready() {
		t.Error("got ready, want a new Health not ready")
	}
	h.SetReady(true)
	if !h.Ready() {
		t.Error("got not ready after SetReady(true), want ready")
	}
	if got := h.Check(context.Background()); got != nil {
		t.Errorf("got failed checks %v without checks, want nil", got)
	}

	errDown := errors.New("down")
	h.AddCheck("db", func(context.Context) error { return errDown })
	if got := h.Check(context.Background()); !errors.Is(got["db"], errDown) || len(got) != 1 {
		t.Errorf("got failed checks %v, want db: down", got)
	}
	h.AddCheck("db", func(context.Context) error { return nil }) // replaces
	if got := h.Check(context.Background()); got != nil {
		t.Errorf("got failed checks %v after replacing db, want nil", got)
	}
}
