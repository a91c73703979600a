package deploy_test

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the files generated from others (overlays/gke/monitoring/rules.yaml)")

const (
	alertsFile      = "base/monitoring/alerts.yaml"
	alertsTestFile  = "base/monitoring/alerts.test.yaml"
	gkeRulesFile    = "overlays/gke/monitoring/rules.yaml"
	runbookURL      = "https://github.com/portico-gw/portico/blob/main/docs/deploy.md#what-to-watch"
	promtoolMissing = "promtool is not installed (Debian's prometheus package has it; .ci/run installs it)"
)

func loadAlerts(t *testing.T) ruleFile {
	t.Helper()
	data, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var f ruleFile
	strict, err := kjson.UnmarshalStrict(j, &f)
	if err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	for _, e := range strict {
		t.Errorf("%s: %v", alertsFile, e)
	}
	return f
}

// TestAlertRules checks the alert rules' shape (a severity, a summary, a
// description and the runbook for each), that every metric they name is
// one the code exports, and, with promtool, that Prometheus accepts them
// and that their unit tests pass.
func TestAlertRules(t *testing.T) {
	f := loadAlerts(t)
	known := metricNames(t)
	metric := regexp.MustCompile(`\bportico_[a-z0-9_]+`)
	seen := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if !strings.HasPrefix(r.Alert, "Portico") {
				t.Errorf("group %s: rule %q: want an alert named Portico...", g.Name, r.Alert)
			}
			if seen[r.Alert] {
				t.Errorf("alert %s is defined twice", r.Alert)
			}
			seen[r.Alert] = true
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("alert %s: severity %q, want critical or warning", r.Alert, s)
			}
			for _, a := range []string{"summary", "description"} {
				if r.Annotations[a] == "" {
					t.Errorf("alert %s has no %s", r.Alert, a)
				}
			}
			if r.Annotations["runbook_url"] != runbookURL {
				t.Errorf("alert %s: runbook_url %q, want %s", r.Alert, r.Annotations["runbook_url"], runbookURL)
			}
			for _, name := range metric.FindAllString(r.Expr, -1) {
				if !known(name) {
					t.Errorf("alert %s: %s is not a metric the code exports", r.Alert, name)
				}
			}
		}
	}
	t.Run("promtool", func(t *testing.T) {
		promtool := requirePromtool(t)
		for _, args := range [][]string{{"check", "rules", alertsFile}, {"test", "rules", alertsTestFile}} {
			out, err := exec.Command(promtool, args...).CombinedOutput()
			if err != nil {
				t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	})
}

// requirePromtool returns promtool's path, or skips the test where it is
// not installed; in CI (CI=true), which installs it, it fails instead.
func requirePromtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s, and CI must run this test", promtoolMissing)
		}
		t.Skip(promtoolMissing + ": skipping promtool check rules and promtool test rules")
	}
	return p
}

// metricNames returns whether a metric name is one the code registers:
// the string literals of every non-test Go file of cmd/ and internal/
// hold each name whole, or its last part (a prometheus.Opts Name) after
// "portico_" and a component's name (the Namespace and Subsystem, or
// observability.NewHTTPMetrics' namespace, "portico_" + the service).
// Histogram series' suffixes are the histogram's.
func metricNames(t *testing.T) func(string) bool {
	t.Helper()
	lits := map[string]bool{}
	fset := token.NewFileSet()
	for _, root := range []string{"../cmd", "../internal"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
					if s, err := strconv.Unquote(l.Value); err == nil {
						lits[s] = true
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return func(name string) bool {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && (lits[base] || componentMetric(lits, base)) {
				return true
			}
		}
		return lits[name] || componentMetric(lits, name)
	}
}

func componentMetric(lits map[string]bool, name string) bool {
	for _, c := range components {
		if rest, ok := strings.CutPrefix(name, "portico_"+c+"_"); ok && lits[rest] {
			return true
		}
	}
	return false
}

// TestGKERules checks that the gke overlay's Rules object holds exactly the
// rule groups of alerts.yaml; go test ./deploy -run TestGKERules -update
// writes it.
func TestGKERules(t *testing.T) {
	f := loadAlerts(t)
	if *update {
		spec, err := yaml.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("# Generated from deploy/base/monitoring/alerts.yaml by\n")
		b.WriteString("# go test ./deploy -run TestGKERules -update; edit that file instead.\n")
		b.WriteString("# The alert rules, evaluated by Google Cloud Managed Service for\n")
		b.WriteString("# Prometheus over this namespace's metrics.\n")
		b.WriteString("apiVersion: monitoring.googleapis.com/v1\nkind: Rules\nmetadata:\n  name: portico\nspec:\n")
		for _, line := range strings.SplitAfter(strings.TrimSuffix(string(spec), "\n"), "\n") {
			b.WriteString("  " + line)
		}
		b.WriteString("\n")
		if err := os.WriteFile(gkeRulesFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := render(t, "overlays/gke")
	if len(m.rules) != 1 {
		t.Fatalf("%d Rules objects, want 1", len(m.rules))
	}
	if got, want := jsonOf(t, m.rules[0].Spec), jsonOf(t, f); got != want {
		t.Errorf("%s is not %s; run go test ./deploy -run TestGKERules -update\n%s", gkeRulesFile, alertsFile, firstDiff(got, want))
	}
	if len(m.monitors) != 1 {
		t.Fatalf("%d PodMonitoring objects, want 1", len(m.monitors))
	}
	pm := m.monitors[0]
	for _, name := range components {
		if d := m.deployments[name]; !matches(&pm.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("PodMonitoring %s does not select %s's pods", pm.Name, name)
		}
	}
	if len(pm.Spec.Endpoints) != 1 || pm.Spec.Endpoints[0].Port.String() != "admin" || pm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("PodMonitoring %s scrapes %+v, want /metrics on the port named admin", pm.Name, pm.Spec.Endpoints)
	}
}

// TestGKEFront checks the load balancer in front of the gateway: the
// routes send everything to the gateway's Service (plain HTTP only to a
// redirect), and the health check asks the gateway's /readyz on its admin
// port.
func TestGKEFront(t *testing.T) {
	m := render(t, "overlays/gke")
	_, c := m.component(t, "gateway")
	svc := m.services["gateway"]
	if len(m.gateways) != 1 {
		t.Fatalf("%d Gateways, want 1", len(m.gateways))
	}
	gw := m.gateways[0]
	for _, r := range m.routes {
		for _, p := range r.Spec.ParentRefs {
			if string(p.Name) != gw.Name {
				t.Errorf("HTTPRoute %s: parent %s is not Gateway %s", r.Name, p.Name, gw.Name)
			}
		}
		for _, rule := range r.Spec.Rules {
			redirect := slices.ContainsFunc(rule.Filters, func(f gatewayv1.HTTPRouteFilter) bool { return f.RequestRedirect != nil })
			if redirect {
				if len(rule.BackendRefs) > 0 {
					t.Errorf("HTTPRoute %s: a redirect with backends", r.Name)
				}
				continue
			}
			for _, b := range rule.BackendRefs {
				if string(b.Name) != svc.Name || b.Port == nil || int32(*b.Port) != svc.Spec.Ports[0].Port {
					t.Errorf("HTTPRoute %s: backend %s:%v is not the gateway's Service %s:%d", r.Name, b.Name, deref(b.Port), svc.Name, svc.Spec.Ports[0].Port)
				}
			}
		}
	}
	for _, l := range gw.Spec.Listeners {
		if l.Protocol == "HTTPS" && (l.TLS == nil || l.TLS.Mode == nil || *l.TLS.Mode != "Terminate") {
			t.Errorf("Gateway %s: listener %s terminates no TLS", gw.Name, l.Name)
		}
	}
	admin := containerPort(c, "admin")
	if len(m.healthPols) != 1 {
		t.Fatalf("%d HealthCheckPolicies, want 1", len(m.healthPols))
	}
	hc := m.healthPols[0]
	h := hc.Spec.Default.Config.HTTPHealthCheck
	if hc.Spec.TargetRef != (targetRef{Kind: "Service", Name: "gateway"}) || h == nil || h.Port != admin.ContainerPort || h.RequestPath != "/readyz" {
		t.Errorf("HealthCheckPolicy %s: %+v %+v, want GET /readyz on port %d of Service gateway", hc.Name, hc.Spec.TargetRef, h, admin.ContainerPort)
	}
	for _, p := range m.backendPols {
		if p.Spec.TargetRef != (targetRef{Kind: "Service", Name: "gateway"}) {
			t.Errorf("GCPBackendPolicy %s targets %+v", p.Name, p.Spec.TargetRef)
		}
	}
	// Every service reaches its database through the Cloud SQL Auth Proxy.
	for _, name := range components[1:] {
		d := m.deployments[name]
		var proxy *corev1.Container
		for i := range d.Spec.Template.Spec.InitContainers {
			if c := &d.Spec.Template.Spec.InitContainers[i]; c.Name == "cloud-sql-proxy" {
				proxy = c
			}
		}
		if proxy == nil || proxy.RestartPolicy == nil || *proxy.RestartPolicy != "Always" {
			t.Errorf("%s: no Cloud SQL Auth Proxy native sidecar (restartPolicy: Always)", name)
			continue
		}
		if !slices.Contains(proxy.Args, "--port=5432") || !slices.Contains(proxy.Args, "$(CLOUDSQL_INSTANCE)") || proxy.StartupProbe == nil {
			t.Errorf("%s: the proxy's args %v: want --port=5432 and the instance, and a startup probe (the service starts once it is up)", name, proxy.Args)
		}
		if inst, _ := m.env(t, proxy).lookup("CLOUDSQL_INSTANCE"); strings.Count(inst, ":") != 2 {
			t.Errorf("%s: CLOUDSQL_INSTANCE %q is not PROJECT:REGION:INSTANCE", name, inst)
		}
	}
}
