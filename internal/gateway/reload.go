package gateway

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// ReloadFile loads and validates the configuration at path and, when it is
// good, swaps it in. A bad file is logged and counted, and the serving
// configuration stays.
func (g *Gateway) ReloadFile(path string, env func(string) (string, bool)) error {
	cfg, err := config.Load(path, env)
	if err == nil {
		err = g.Reload(cfg)
	} else {
		g.m.reloads.WithLabelValues("failure").Inc()
	}
	if err != nil {
		g.log.Error("configuration rejected; the previous one keeps serving",
			slog.String("file", path), slog.String("error", err.Error()))
		return err
	}
	g.log.Info("configuration reloaded", slog.String("file", path), slog.Int("routes", len(cfg.Routes)))
	return nil
}

// reloadDebounce gathers the burst of events an editor or a Kubernetes
// ConfigMap update produces into one reload.
const reloadDebounce = 200 * time.Millisecond

// Watch reloads the configuration whenever trigger delivers (SIGHUP) and
// whenever the file changes, until ctx ends. It watches the file's
// directory rather than the file, so atomic renames and the symlink swap of
// a mounted ConfigMap are seen too.
func (g *Gateway) Watch(ctx context.Context, path string, env func(string) (string, bool), trigger <-chan os.Signal) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		g.log.Warn("configuration file watching unavailable; reload with SIGHUP", slog.String("error", err.Error()))
	} else {
		defer w.Close()
		if err := w.Add(filepath.Dir(path)); err != nil {
			g.log.Warn("configuration file watching unavailable; reload with SIGHUP", slog.String("error", err.Error()))
		}
	}
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		events, errs = w.Events, w.Errors
	}
	abs, _ := filepath.Abs(path)
	last := fileStamp(path)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-trigger:
			g.ReloadFile(path, env)
			last = fileStamp(path)
		case ev := <-events:
			if p, _ := filepath.Abs(ev.Name); p == abs || filepath.Base(ev.Name) == "..data" {
				timer.Reset(reloadDebounce)
			}
		case err := <-errs:
			g.log.Warn("configuration watch error", slog.String("error", err.Error()))
		case <-timer.C:
			if s := fileStamp(path); s != last {
				last = s
				g.ReloadFile(path, env)
			}
		}
	}
}

// fileStamp identifies a version of a file by size and modification time,
// so events that change nothing (chmod, touch of the directory) do not
// reload.
type stamp struct {
	size int64
	mod  time.Time
	ok   bool
}

func fileStamp(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stamp{size: fi.Size(), mod: fi.ModTime(), ok: true}
}
