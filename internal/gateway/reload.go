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

// sweepRetired deletes the metric series that the serving runtime cur no
// longer has after replacing old: those of removed routes (or routes that
// moved to another service) and their aggregation steps, of removed
// services, and of the targets a kept service no longer has; a kept
// service's breaker and panic routing gauges are set to its successor's
// state. The old
// services must be closed, so that no health check of theirs runs; their
// observers are retired first, so that no late event of theirs recreates a
// series or overwrites one of their successors'.
func (g *Gateway) sweepRetired(old, cur *runtime) {
	for name, s := range old.services {
		s.obs.retire()
		next, kept := cur.services[name]
		if !kept {
			g.m.forgetService(name)
			continue
		}
		next.obs.resync(name, next.up)
		now := make(map[string]bool)
		for _, t := range next.up.Snapshot().Targets {
			now[t.URL] = true
		}
		for _, t := range s.up.Snapshot().Targets {
			if !now[t.URL] {
				g.m.forgetTarget(name, t.URL)
			}
		}
	}
	g.sweepRoutes(cur.cfg)
}

// sweepFailed deletes the series that compiling the rejected cfg created
// for routes and services the serving runtime cur does not have.
func (g *Gateway) sweepFailed(cfg *config.Config, cur *runtime) {
	if cur == nil {
		return
	}
	for name := range cfg.Services {
		if _, ok := cur.services[name]; !ok {
			g.m.forgetService(name)
		}
	}
	g.sweepRoutes(cur.cfg)
}

// sweepRoutes deletes the series of routes and aggregation steps that cfg,
// the serving configuration, does not have.
func (g *Gateway) sweepRoutes(cfg *config.Config) {
	routes := make(map[routeKey]bool, len(cfg.Routes))
	steps := make(map[routeStep]bool)
	for _, rc := range cfg.Routes {
		if rc.Static != nil {
			routes[routeKey{rc.Name, staticLabel}] = true
			continue
		}
		if rc.Aggregate == nil {
			routes[routeKey{rc.Name, rc.Service}] = true
			continue
		}
		routes[routeKey{rc.Name, aggregateLabel}] = true
		for _, st := range rc.Aggregate.Steps {
			steps[routeStep{rc.Name, st.Name}] = true
		}
	}
	g.m.retireRoutes(routes)
	g.stepObserver.retire(steps)
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
