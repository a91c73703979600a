package deploy_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/portico-gw/portico/internal/gateway/config"
	"github.com/portico-gw/portico/internal/platform/server"
)

// gatewayConfig loads the gateway's configuration from its ConfigMap with
// the gateway's own loader, in the environment the manifests give the
// gateway's container, as the binary does at start.
func gatewayConfig(t *testing.T, m *manifests) *config.Config {
	t.Helper()
	d, c := m.component(t, "gateway")
	path := ""
	for i, a := range c.Args {
		if a == "--config" && i+1 < len(c.Args) {
			path = c.Args[i+1]
		}
	}
	if path == "" {
		t.Fatalf("the gateway's container has no --config: %v", c.Args)
	}
	data, ok := mountedFile(m, d.Spec.Template.Spec.Volumes, c, path)
	if !ok {
		t.Fatalf("the gateway's %s is not in a mounted ConfigMap", path)
	}
	cfg, err := config.Parse(m.root+":"+path, []byte(data), m.env(t, c).lookup)
	if err != nil {
		t.Fatalf("the gateway's configuration does not load:\n%v", err)
	}
	return cfg
}

// mountedFile returns the content of the file at path in container c when
// it lies in a mounted ConfigMap volume.
func mountedFile(m *manifests, volumes []corev1.Volume, c *corev1.Container, path string) (string, bool) {
	for _, vm := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range volumes {
			if v.Name != vm.Name || v.ConfigMap == nil {
				continue
			}
			cm := m.configMaps[v.ConfigMap.Name]
			if cm == nil {
				return "", false
			}
			key := rel
			for _, it := range v.ConfigMap.Items {
				if it.Path == rel {
					key = it.Key
				}
			}
			data, ok := cm.Data[key]
			return data, ok
		}
	}
	return "", false
}

// checkGatewayConfig: the gateway's configuration loads; its listeners are
// the container's ports; its services are the Kubernetes Services of the
// components (their headless twins, on the right ports); its routes are
// those of `portico all` (cmd/portico/all-gateway.yaml), and an overlay's
// configuration differs from the base's only where the cluster does.
func checkGatewayConfig(t *testing.T, m *manifests) {
	cfg := gatewayConfig(t, m)
	_, c := m.component(t, "gateway")
	for _, l := range []struct{ key, addr, port string }{
		{"server.listen", cfg.Server.Listen, "http"},
		{"admin.listen", cfg.Admin.Listen, "admin"},
	} {
		_, port, err := net.SplitHostPort(l.addr)
		cp := containerPort(c, l.port)
		if err != nil || cp == nil || port != fmt.Sprint(cp.ContainerPort) {
			t.Errorf("%s %q is not the container's %s port", l.key, l.addr, l.port)
		}
		if host, _, _ := net.SplitHostPort(l.addr); host != "" && host != "0.0.0.0" && host != "::" {
			t.Errorf("%s %q listens on %s only; probes and peers reach the pod's address", l.key, l.addr, host)
		}
	}
	for _, name := range sortedKeys(cfg.Services) {
		s := cfg.Services[name]
		if s.DNS == nil {
			t.Errorf("services.%s: targets %v; find the pods by DNS (the headless Service)", name, s.Targets)
			continue
		}
		svc := m.services[s.DNS.Name]
		switch {
		case svc == nil:
			t.Errorf("services.%s.dns.name %s is no Service", name, s.DNS.Name)
		case svc.Spec.ClusterIP != "None":
			t.Errorf("services.%s.dns.name %s is not headless: it resolves to one virtual address", name, s.DNS.Name)
		case m.serviceFor(t, svc) != name:
			t.Errorf("services.%s.dns.name %s selects another component's pods", name, s.DNS.Name)
		case !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == s.DNS.Port }):
			t.Errorf("services.%s.dns.port %d is not a port of Service %s", name, s.DNS.Port, s.DNS.Name)
		}
	}
	if s, _, ok := urlService(m, cfg.Auth.URL); !ok || m.serviceFor(t, s) != "auth" {
		t.Errorf("auth.url %s is not the auth Service", cfg.Auth.URL)
	}
	if issuer, _ := m.env(t, c).lookup("PORTICO_AUTH_ISSUER"); cfg.Auth.Issuer != issuer {
		t.Errorf("auth.issuer %q is not PORTICO_AUTH_ISSUER %q, auth's --issuer", cfg.Auth.Issuer, issuer)
	}

	all, err := config.Load("../cmd/portico/all-gateway.yaml", func(name string) (string, bool) {
		switch name {
		case "PORTICO_LISTEN":
			return ":8080", true
		case "PORTICO_ADMIN_LISTEN":
			return "127.0.0.1:9090", true
		case "PORTICO_AUTH_ISSUER":
			return "http://localhost:8080", true
		}
		if strings.HasPrefix(name, "PORTICO_") && strings.HasSuffix(name, "_URL") {
			return "http://127.0.0.1:1", true
		}
		return "", false
	})
	if err != nil {
		t.Fatalf("cmd/portico/all-gateway.yaml: %v", err)
	}
	compareRoutes(t, cfg, all)
	// A policy's lease defaults to auto with the Redis store and means
	// nothing with the memory store portico all uses: compare the rest.
	if got, want := jsonOf(t, withoutLeases(cfg.RateLimits.Policies)), jsonOf(t, withoutLeases(all.RateLimits.Policies)); got != want {
		t.Errorf("the rate limit policies differ from cmd/portico/all-gateway.yaml's:\n%s", firstDiff(got, want))
	}
	if m.root == "base" {
		return
	}
	base := gatewayConfig(t, render(t, "base"))
	// The issuer is the cluster's public URL, from the environment, and
	// the trusted origin is the issuer's.
	auth, baseAuth := *cfg.Auth, *base.Auth
	auth.Issuer, baseAuth.Issuer = "", ""
	auth.TrustedOrigins, baseAuth.TrustedOrigins = nil, nil
	for _, part := range []struct {
		name     string
		got, was any
	}{{"services", cfg.Services, base.Services}, {"auth", auth, baseAuth}, {"admin", cfg.Admin, base.Admin}} {
		if got, want := jsonOf(t, part.got), jsonOf(t, part.was); got != want {
			t.Errorf("%s differs from the base's:\n%s", part.name, firstDiff(got, want))
		}
	}
	if m.root == "overlays/gke" {
		if rl := cfg.RateLimits; rl == nil || rl.Store.Kind != config.RateLimitStoreRedis || rl.Store.Redis == nil {
			t.Errorf("rate_limits.store is not Redis (Memorystore): every replica would limit on its own")
		} else if rl.Store.Redis.PasswordFile != "" {
			d, _ := m.component(t, "gateway")
			if !secretMounted(d.Spec.Template.Spec.Volumes, c, rl.Store.Redis.PasswordFile) {
				t.Errorf("rate_limits.store.redis.password_file %s is not in a mounted Secret", rl.Store.Redis.PasswordFile)
			}
		}
		if len(cfg.Server.TrustedProxies) == 0 {
			t.Errorf("server.trusted_proxies is empty: behind the load balancer every client would be its address")
		}
	}
}

func secretMounted(volumes []corev1.Volume, c *corev1.Container, path string) bool {
	for _, vm := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range volumes {
			if v.Name == vm.Name && v.Secret != nil {
				for _, it := range v.Secret.Items {
					if it.Path == rel {
						return true
					}
				}
				return len(v.Secret.Items) == 0
			}
		}
	}
	return false
}

// compareRoutes reports each route of want (cmd/portico/all-gateway.yaml)
// that got lacks or has otherwise, and each route got has in excess.
func compareRoutes(t *testing.T, got, want *config.Config) {
	t.Helper()
	g, w := routesByName(t, got), routesByName(t, want)
	for _, name := range sortedKeys(w) {
		switch gr, ok := g[name]; {
		case !ok:
			t.Errorf("route %s of cmd/portico/all-gateway.yaml is missing; carry it over", name)
		case gr != w[name]:
			t.Errorf("route %s differs from cmd/portico/all-gateway.yaml's; carry the change over:\n%s", name, firstDiff(gr, w[name]))
		}
	}
	for _, name := range sortedKeys(g) {
		if _, ok := w[name]; !ok {
			t.Errorf("route %s is not in cmd/portico/all-gateway.yaml", name)
		}
	}
}

// routesByName returns each route of a configuration as JSON, without its
// position in the file.
func routesByName(t *testing.T, c *config.Config) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range c.Routes {
		var v any
		if err := json.Unmarshal([]byte(jsonOf(t, r)), &v); err != nil {
			t.Fatal(err)
		}
		out[r.Name] = jsonOf(t, dropKey(v, "Pos"))
	}
	return out
}

func dropKey(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		delete(v, key)
		for k, e := range v {
			v[k] = dropKey(e, key)
		}
	case []any:
		for i, e := range v {
			v[i] = dropKey(e, key)
		}
	}
	return v
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firstDiff shows where two texts part.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: got  %s\n         want %s", i+1, gl, wl)
		}
	}
	return "(equal)"
}

// shutdownMargin is the time a component gets, past its own drain, to
// exit before the kubelet kills it.
const shutdownMargin = 5 * time.Second

// checkShutdown: each pod's terminationGracePeriodSeconds is its drain
// and a margin, no more, no less. The gateway drains for its
// server.shutdown_delay (serving, with /readyz failing, while it leaves the
// load balancers) and then server.shutdown_grace; a service sleeps in its
// preStop hook (while it leaves the Service's endpoints and the gateway's
// DNS view) and then gets the server package's DefaultShutdownGrace.
func checkShutdown(t *testing.T, m *manifests) {
	cfg := gatewayConfig(t, m)
	for _, name := range components {
		d, c := m.component(t, name)
		var drain time.Duration
		if name == "gateway" {
			drain = cfg.Server.ShutdownDelay.D() + cfg.Server.ShutdownGrace.D()
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
				t.Errorf("gateway: a preStop hook delays what server.shutdown_delay does")
			}
		} else {
			if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
				t.Errorf("%s: no preStop sleep: it would stop accepting while still in the endpoints", name)
				continue
			}
			sleep := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			if s := cfg.Services[name]; s != nil && s.DNS != nil && sleep < 2*s.DNS.Refresh.D() {
				t.Errorf("%s: preStop sleeps %s, under twice the gateway's DNS refresh (%s)", name, sleep, s.DNS.Refresh.D())
			}
			drain = sleep + server.DefaultShutdownGrace
		}
		want := int64((drain + shutdownMargin) / time.Second)
		if got := d.Spec.Template.Spec.TerminationGracePeriodSeconds; got == nil || *got != want {
			t.Errorf("%s: terminationGracePeriodSeconds %v, want %d (drain %s + %s)", name, deref(got), want, drain, shutdownMargin)
		}
	}
	if m.root == "overlays/gke" {
		for _, p := range m.backendPols {
			if cd := p.Spec.Default.ConnectionDraining; cd == nil || time.Duration(cd.DrainingTimeoutSec)*time.Second != cfg.Server.ShutdownDelay.D() {
				t.Errorf("GCPBackendPolicy %s: connection draining %+v, want the gateway's shutdown_delay %s", p.Name, cd, cfg.Server.ShutdownDelay.D())
			}
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// checkWiring: the calls the components are configured to make (every
// URL in their environment, the gateway's services and auth) are exactly
// the calls the NetworkPolicies admit (callers): none refused, none
// admitted that nobody makes.
func checkWiring(t *testing.T, m *manifests) {
	calls := map[string]map[string]bool{}
	add := func(from, raw, what string) {
		s, port, ok := urlService(m, raw)
		if !ok {
			return
		}
		to := m.serviceFor(t, s)
		if !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port }) {
			t.Errorf("%s: %s %s: port %d is not a port of Service %s", from, what, raw, port, s.Name)
		}
		if to == "" || to == from {
			return
		}
		if calls[to] == nil {
			calls[to] = map[string]bool{}
		}
		calls[to][from] = true
	}
	for _, name := range components {
		_, c := m.component(t, name)
		env := m.env(t, c)
		for _, k := range sortedKeys(env.values) {
			add(name, env.values[k], k)
		}
	}
	cfg := gatewayConfig(t, m)
	add("gateway", cfg.Auth.URL, "auth.url")
	add("gateway", cfg.Auth.JWKSURL, "auth.jwks_url")
	for _, name := range sortedKeys(cfg.Services) {
		if d := cfg.Services[name].DNS; d != nil {
			add("gateway", "http://"+d.Name+":"+strconv.Itoa(d.Port), "services."+name)
		}
	}
	for _, callee := range sortedKeys(callers) {
		got := sortedKeys(calls[callee])
		if want := sorted(callers[callee]); !slices.Equal(got, want) {
			t.Errorf("%s is called by %v, but the NetworkPolicies' callers are %v", callee, got, want)
		}
	}
}

// TestGatewayConfigFiles loads each gateway configuration of deploy/ as
// `portico check` would, so that a broken file is named even when the
// manifests around it do not render.
func TestGatewayConfigFiles(t *testing.T) {
	env := map[string]string{
		"PORTICO_AUTH_ISSUER": "https://portico.example.com",
		"PORTICO_REDIS_ADDR":  "10.0.0.3:6379",
		"PORTICO_LB_ADDRESS":  "203.0.113.10/32",
	}
	for _, f := range []string{"base/gateway/gateway.yaml", "overlays/gke/gateway.yaml"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
		if _, err := config.Load(f, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// withoutLeases returns a copy of policies with every lease left unset.
func withoutLeases(policies map[string]*config.RateLimitPolicy) map[string]config.RateLimitPolicy {
	out := make(map[string]config.RateLimitPolicy, len(policies))
	for name, p := range policies {
		c := *p
		c.Lease = ""
		out[name] = c
	}
	return out
}
