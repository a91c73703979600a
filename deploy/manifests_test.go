package deploy_test

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/portico-gw/portico/internal/platform/workload"
)

// TestManifests renders the base and each overlay and checks every rule a
// deployment of Portico must keep; each subtest names one.
func TestManifests(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			m := render(t, dir)
			t.Run("objects", func(t *testing.T) { checkObjects(t, m) })
			t.Run("containers", func(t *testing.T) { checkContainers(t, m) })
			t.Run("listeners", func(t *testing.T) { checkListeners(t, m) })
			t.Run("service-accounts", func(t *testing.T) { checkServiceAccounts(t, m) })
			t.Run("workload-tokens", func(t *testing.T) { checkWorkloadTokens(t, m) })
			t.Run("secrets", func(t *testing.T) { checkSecrets(t, m) })
			t.Run("services", func(t *testing.T) { checkServices(t, m) })
			t.Run("disruption-budgets", func(t *testing.T) { checkDisruptionBudgets(t, m) })
			t.Run("autoscaling", func(t *testing.T) { checkAutoscaling(t, m) })
			t.Run("network-policies", func(t *testing.T) { checkNetworkPolicies(t, m) })
			t.Run("wiring", func(t *testing.T) { checkWiring(t, m) })
			t.Run("gateway-config", func(t *testing.T) { checkGatewayConfig(t, m) })
			t.Run("shutdown", func(t *testing.T) { checkShutdown(t, m) })
			t.Run("images", func(t *testing.T) { checkImages(t, m) })
		})
	}
}

// checkObjects: one Deployment per component and nothing else, in a
// namespace that enforces the restricted Pod Security Standard.
func checkObjects(t *testing.T, m *manifests) {
	if got := sortedKeys(m.deployments); !slices.Equal(got, sorted(components)) {
		t.Errorf("Deployments %v, want %v", got, sorted(components))
	}
	if len(m.namespaces) != 1 || m.namespaces[0].Name != m.namespace {
		t.Fatalf("want one Namespace object, %s, the objects' namespace", m.namespace)
	}
	for _, k := range []string{"enforce", "warn"} {
		if got := m.namespaces[0].Labels["pod-security.kubernetes.io/"+k]; got != "restricted" {
			t.Errorf("Namespace %s: label pod-security.kubernetes.io/%s is %q, want restricted", m.namespace, k, got)
		}
	}
}

// checkContainers: every container that runs with the pod has both probes
// (Portico's on its admin listener: /readyz for readiness, /healthz for
// liveness), requests and limits of CPU and memory, and the restricted
// security context, numeric user 65532 included.
func checkContainers(t *testing.T, m *manifests) {
	for _, name := range sortedKeys(m.deployments) {
		d := m.deployments[name]
		spec := &d.Spec.Template.Spec
		for _, c := range spec.InitContainers {
			if c.RestartPolicy == nil {
				t.Errorf("Deployment %s: init container %s: only native sidecars (restartPolicy: Always) are expected", name, c.Name)
			}
		}
		for _, c := range podContainers(spec) {
			where := fmt.Sprintf("Deployment %s, container %s", name, c.Name)
			checkProbes(t, where, c, c.Name == name)
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, okReq := c.Resources.Requests[r]
				lim, okLim := c.Resources.Limits[r]
				if !okReq || !okLim {
					t.Errorf("%s: %s needs both a request and a limit", where, r)
				} else if req.Cmp(lim) > 0 {
					t.Errorf("%s: %s request %s is above its limit %s", where, r, req.String(), lim.String())
				}
			}
			checkSecurityContext(t, where, spec.SecurityContext, c.SecurityContext)
		}
	}
}

// checkListeners: each service listens, on every address of the pod, on
// the ports its container declares: the public listener on http, the admin
// listener (the probes', Prometheus') on admin. The gateway's come from its
// configuration (checkGatewayConfig).
func checkListeners(t *testing.T, m *manifests) {
	for _, name := range components[1:] {
		_, c := m.component(t, name)
		env := m.env(t, c)
		for _, l := range []struct{ env, port string }{
			{"PORTICO_" + strings.ToUpper(name) + "_LISTEN", "http"},
			{"PORTICO_" + strings.ToUpper(name) + "_ADMIN_LISTEN", "admin"},
		} {
			addr, _ := env.lookup(l.env)
			host, port, err := net.SplitHostPort(addr)
			cp := containerPort(c, l.port)
			switch {
			case err != nil:
				t.Errorf("%s: %s %q is not host:port (the default listens on loopback only)", name, l.env, addr)
			case host != "" && host != "0.0.0.0" && host != "::":
				t.Errorf("%s: %s %q listens on %s only; the kubelet and peers reach the pod's address", name, l.env, addr, host)
			case cp == nil || port != fmt.Sprint(cp.ContainerPort):
				t.Errorf("%s: %s %q is not the container's %s port", name, l.env, addr, l.port)
			}
		}
	}
}

func checkProbes(t *testing.T, where string, c *corev1.Container, portico bool) {
	t.Helper()
	if c.ReadinessProbe == nil || c.LivenessProbe == nil {
		t.Errorf("%s: needs a readiness and a liveness probe", where)
		return
	}
	if !portico {
		return
	}
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}, {"startup", c.StartupProbe, "/healthz"}} {
		if p.probe == nil {
			t.Errorf("%s: no %s probe", where, p.kind)
			continue
		}
		g := p.probe.HTTPGet
		if g == nil || g.Path != p.path || g.Port.String() != "admin" {
			t.Errorf("%s: %s probe %+v, want GET %s on the port named admin", where, p.kind, g, p.path)
		}
	}
}

func checkSecurityContext(t *testing.T, where string, pod *corev1.PodSecurityContext, c *corev1.SecurityContext) {
	t.Helper()
	if c == nil {
		t.Errorf("%s: no securityContext", where)
		return
	}
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	nonRoot := or(c.RunAsNonRoot, pod.RunAsNonRoot)
	user := or(c.RunAsUser, pod.RunAsUser)
	seccomp := or(c.SeccompProfile, pod.SeccompProfile)
	switch {
	case nonRoot == nil || !*nonRoot:
		t.Errorf("%s: runAsNonRoot is not true", where)
	case user == nil || *user != 65532:
		t.Errorf("%s: runAsUser is not 65532", where)
	case c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem:
		t.Errorf("%s: readOnlyRootFilesystem is not true", where)
	case c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation:
		t.Errorf("%s: allowPrivilegeEscalation is not false", where)
	case c.Privileged != nil && *c.Privileged:
		t.Errorf("%s: privileged", where)
	case c.Capabilities == nil || !slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(c.Capabilities.Add) > 0:
		t.Errorf("%s: capabilities %+v, want drop [ALL] and nothing added", where, c.Capabilities)
	case seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("%s: seccompProfile is not RuntimeDefault", where)
	}
}

func or[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// internalEndpoints are the components that serve /internal/ endpoints
// and so verify workload tokens against the workload issuer's key set.
var internalEndpoints = []string{"auth", "accounts", "configs"}

// checkServiceAccounts: one ServiceAccount per component, named after it
// (the workload tokens' subjects name the caller by it), and the API
// server's token mounted only where the workload issuer's key set is
// fetched with it.
func checkServiceAccounts(t *testing.T, m *manifests) {
	if got := sortedKeys(m.accounts); !slices.Equal(got, sorted(components)) {
		t.Errorf("ServiceAccounts %v, want one per component: %v", got, sorted(components))
	}
	for _, name := range components {
		d, c := m.component(t, name)
		if d.Spec.Template.Spec.ServiceAccountName != name {
			t.Errorf("Deployment %s runs as ServiceAccount %q, want %s", name, d.Spec.Template.Spec.ServiceAccountName, name)
		}
		sa := m.accounts[name]
		if sa == nil {
			continue
		}
		automount := true
		if p := or(d.Spec.Template.Spec.AutomountServiceAccountToken, sa.AutomountServiceAccountToken); p != nil {
			automount = *p
		}
		env := m.env(t, c)
		issuer, _ := env.lookup("PORTICO_WORKLOAD_ISSUER")
		tokenFile, _ := env.lookup("PORTICO_WORKLOAD_JWKS_TOKEN_FILE")
		wantIssuer := slices.Contains(internalEndpoints, name)
		if (issuer != "") != wantIssuer {
			t.Errorf("%s: PORTICO_WORKLOAD_ISSUER %q; want it set exactly for the components with internal endpoints %v", name, issuer, internalEndpoints)
		}
		wantAutomount := tokenFile == "/var/run/secrets/kubernetes.io/serviceaccount/token"
		if tokenFile != "" && !wantAutomount {
			t.Errorf("%s: PORTICO_WORKLOAD_JWKS_TOKEN_FILE %s is not the mounted API token", name, tokenFile)
		}
		if automount != wantAutomount {
			t.Errorf("%s: the API server token is mounted: %v, want %v (only to fetch the workload issuer's key set with it)", name, automount, wantAutomount)
		}
		if prefix, ok := env.lookup("PORTICO_WORKLOAD_SUBJECT_PREFIX"); ok && prefix != "system:serviceaccount:"+m.namespace+":" {
			t.Errorf("%s: PORTICO_WORKLOAD_SUBJECT_PREFIX %q, want system:serviceaccount:%s: (the namespace)", name, prefix, m.namespace)
		}
	}
	// Workload Identity: a pod with the Cloud SQL Auth Proxy acts as its
	// own Google service account.
	for _, name := range components {
		d := m.deployments[name]
		if d == nil || !hasCloudSQLProxy(d.Spec.Template.Spec.InitContainers) {
			continue
		}
		gsa := m.accounts[name].Annotations["iam.gke.io/gcp-service-account"]
		if !regexp.MustCompile(`^portico-` + name + `@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$|^portico-` + name + `@PROJECT_ID\.iam\.gserviceaccount\.com$`).MatchString(gsa) {
			t.Errorf("ServiceAccount %s: iam.gke.io/gcp-service-account %q, want portico-%s@PROJECT.iam.gserviceaccount.com", name, gsa, name)
		}
	}
}

func hasCloudSQLProxy(cs []corev1.Container) bool {
	return slices.ContainsFunc(cs, func(c corev1.Container) bool { return c.Name == "cloud-sql-proxy" })
}

// workloadCall is a call from one component to another's internal
// endpoints: the flag (environment variable) with the callee's URL and the
// one with the file of the caller's workload token for it.
type workloadCall struct {
	caller, callee, urlEnv, tokenEnv string
}

// workloadCalls are the calls of docs/operations.md's table; the
// gateway's, toward auth, is in its configuration (auth.workload_token_file).
var workloadCalls = []workloadCall{
	{"auth", "accounts", "PORTICO_ACCOUNTS_URL", "PORTICO_AUTH_ACCOUNTS_TOKEN_FILE"},
	{"accounts", "auth", "PORTICO_AUTH_URL", "PORTICO_ACCOUNTS_AUTH_TOKEN_FILE"},
	{"analytics", "configs", "PORTICO_CONFIGS_URL", "PORTICO_ANALYTICS_CONFIGS_TOKEN_FILE"},
	{"analytics", "accounts", "PORTICO_ACCOUNTS_URL", "PORTICO_ANALYTICS_ACCOUNTS_TOKEN_FILE"},
}

// checkWorkloadTokens: each workload token file a component reads is a
// projected ServiceAccount token for the callee's audience (portico-
// <callee>), of a lifetime the callee accepts, and no pod has a token it
// does not use.
func checkWorkloadTokens(t *testing.T, m *manifests) {
	used := map[string]map[string]bool{} // Deployment → volume name
	check := func(caller, callee, file string) {
		t.Helper()
		d, c := m.component(t, caller)
		vol, src := projectedToken(t, &d.Spec.Template.Spec, c, file)
		if src == nil {
			t.Errorf("%s: the workload token for %s, %s, is not a projected ServiceAccount token", caller, callee, file)
			return
		}
		if want := workload.Audience(callee); src.Audience != want {
			t.Errorf("%s: the token in %s has audience %q, want %q (the callee's)", caller, file, src.Audience, want)
		}
		if e := src.ExpirationSeconds; e == nil || *e < 600 || *e > 3600 {
			t.Errorf("%s: the token in %s lives %v s; the kubelet allows 600 at least and the callee 3600 at most", caller, file, e)
		}
		if used[caller] == nil {
			used[caller] = map[string]bool{}
		}
		used[caller][vol] = true
	}
	cfg := gatewayConfig(t, m)
	check("gateway", "auth", cfg.Auth.WorkloadTokenFile)
	for _, w := range workloadCalls {
		_, c := m.component(t, w.caller)
		env := m.env(t, c)
		file, ok := env.lookup(w.tokenEnv)
		if !ok || file == "" {
			t.Errorf("%s: %s is not set: its calls to %s carry no workload token", w.caller, w.tokenEnv, w.callee)
			continue
		}
		if u, _ := env.lookup(w.urlEnv); u == "" {
			t.Errorf("%s: %s is set but not %s", w.caller, w.tokenEnv, w.urlEnv)
		}
		check(w.caller, w.callee, file)
	}
	for _, name := range sortedKeys(m.deployments) {
		for _, v := range m.deployments[name].Spec.Template.Spec.Volumes {
			if v.Projected == nil {
				continue
			}
			for _, s := range v.Projected.Sources {
				if s.ServiceAccountToken != nil && s.ServiceAccountToken.Audience != "" && !used[name][v.Name] {
					t.Errorf("Deployment %s: volume %s holds a token for %s that no setting reads", name, v.Name, s.ServiceAccountToken.Audience)
				}
			}
		}
	}
}

// projectedToken returns the volume and the token source that the file
// path of container c is.
func projectedToken(t *testing.T, spec *corev1.PodSpec, c *corev1.Container, file string) (string, *corev1.ServiceAccountTokenProjection) {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(file, strings.TrimSuffix(vm.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != vm.Name || v.Projected == nil {
				continue
			}
			for _, s := range v.Projected.Sources {
				if s.ServiceAccountToken != nil && s.ServiceAccountToken.Path == rel {
					return v.Name, s.ServiceAccountToken
				}
			}
		}
	}
	return "", nil
}

// secretish names settings that must come from a Secret, never a value:
// keys, passwords, database DSNs.
var secretish = regexp.MustCompile(`(KEK|SECRET_KEY|PASSWORD|_DB|DSN)$`)

// checkSecrets: no Secret is part of the manifests (they are made apart,
// from a secret manager, docs/deploy.md); keys, passwords and DSNs reach
// the components by secretKeyRef only, never as values, never in a
// ConfigMap; and the dev overlay needs no Secret at all.
func checkSecrets(t *testing.T, m *manifests) {
	for _, cm := range m.configMaps {
		for k := range cm.Data {
			if secretish.MatchString(k) {
				t.Errorf("ConfigMap %s holds %s: a Secret's", cm.Name, k)
			}
		}
	}
	for _, name := range sortedKeys(m.deployments) {
		for _, c := range podContainers(&m.deployments[name].Spec.Template.Spec) {
			env := m.env(t, c)
			for k := range env.values {
				if secretish.MatchString(k) {
					t.Errorf("Deployment %s, container %s: %s is a value; reference a Secret's key", name, c.Name, k)
				}
			}
			for k, ref := range env.secrets {
				if m.root == "overlays/dev" && (ref.Optional == nil || !*ref.Optional) {
					t.Errorf("Deployment %s: %s needs the Secret %s; the dev overlay must run without any", name, k, ref.Name)
				}
			}
		}
	}
	if m.root == "overlays/dev" {
		return
	}
	// The services' databases and auth's keys.
	want := map[string][]string{
		"auth":      {"PORTICO_AUTH_DB", "PORTICO_AUTH_KEK", "PORTICO_AUTH_SECRET_KEY", "PORTICO_SMTP_PASSWORD"},
		"accounts":  {"PORTICO_ACCOUNTS_DB", "PORTICO_SMTP_PASSWORD"},
		"configs":   {"PORTICO_CONFIGS_DB"},
		"analytics": {"PORTICO_ANALYTICS_DB"},
	}
	for _, name := range sortedKeys(want) {
		_, c := m.component(t, name)
		env := m.env(t, c)
		for _, k := range want[name] {
			if ref := env.secrets[k]; ref == nil || (ref.Optional != nil && *ref.Optional) {
				t.Errorf("%s: %s is not a required Secret key reference", name, k)
			}
		}
	}
}

// checkServices: every Service selects one component's pods on a port the
// container names, is internal (ClusterIP), and each service has a
// headless twin for the gateway's DNS discovery.
func checkServices(t *testing.T, m *manifests) {
	for _, name := range sortedKeys(m.services) {
		s := m.services[name]
		comp := m.serviceFor(t, s)
		if comp == "" {
			continue
		}
		if s.Spec.Type != corev1.ServiceTypeClusterIP {
			t.Errorf("Service %s is %s; only ClusterIP Services are expected (the public comes through the gateway's front)", name, s.Spec.Type)
		}
		if name != comp && name != comp+"-headless" {
			t.Errorf("Service %s selects %s's pods; name it %s or %s-headless", name, comp, comp, comp)
		}
		if (name == comp+"-headless") != (s.Spec.ClusterIP == corev1.ClusterIPNone) {
			t.Errorf("Service %s: clusterIP %q", name, s.Spec.ClusterIP)
		}
		_, c := m.component(t, comp)
		for _, p := range s.Spec.Ports {
			cp := containerPort(c, p.TargetPort.String())
			if cp == nil {
				t.Errorf("Service %s: targetPort %s is not a port of container %s", name, p.TargetPort.String(), comp)
			} else if cp.ContainerPort != p.Port {
				t.Errorf("Service %s: port %d goes to container port %d; keep them equal, as the components' URLs assume", name, p.Port, cp.ContainerPort)
			}
			if cp != nil && cp.Name == "admin" {
				t.Errorf("Service %s exposes the admin listener", name)
			}
		}
	}
	for _, name := range components[1:] {
		for _, n := range []string{name, name + "-headless"} {
			if m.services[n] == nil {
				t.Errorf("no Service %s", n)
			}
		}
	}
}

func containerPort(c *corev1.Container, name string) *corev1.ContainerPort {
	for i := range c.Ports {
		if c.Ports[i].Name == name || fmt.Sprint(c.Ports[i].ContainerPort) == name {
			return &c.Ports[i]
		}
	}
	return nil
}

// checkDisruptionBudgets: each Deployment has exactly one
// PodDisruptionBudget, which selects its pods and no other's, and lets a
// node drain (it never demands every pod).
func checkDisruptionBudgets(t *testing.T, m *manifests) {
	covered := map[string]int{}
	for _, p := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil {
			t.Errorf("PodDisruptionBudget %s: %v", p.Name, err)
			continue
		}
		var selects []string
		for name, d := range m.deployments {
			if sel.Matches(labelSet(d.Spec.Template.Labels)) {
				selects = append(selects, name)
				covered[name]++
			}
		}
		if len(selects) != 1 {
			t.Errorf("PodDisruptionBudget %s selects the pods of %v, want one Deployment's", p.Name, selects)
		}
		if p.Spec.MaxUnavailable == nil || p.Spec.MaxUnavailable.IntValue() < 1 {
			t.Errorf("PodDisruptionBudget %s: want maxUnavailable of 1 or more, so that a node can always drain", p.Name)
		}
	}
	for _, name := range sortedKeys(m.deployments) {
		if covered[name] != 1 {
			t.Errorf("Deployment %s is covered by %d PodDisruptionBudgets, want 1", name, covered[name])
		}
	}
}

// checkAutoscaling: the gateway scales with a HorizontalPodAutoscaler,
// which owns its replica count; the services have theirs set.
func checkAutoscaling(t *testing.T, m *manifests) {
	if len(m.hpas) != 1 {
		t.Fatalf("%d HorizontalPodAutoscalers, want 1 (the gateway's)", len(m.hpas))
	}
	h := m.hpas[0]
	if r := h.Spec.ScaleTargetRef; r.Kind != "Deployment" || r.Name != "gateway" || r.APIVersion != "apps/v1" {
		t.Errorf("HorizontalPodAutoscaler %s scales %+v, want the gateway's Deployment", h.Name, r)
	}
	minReplicas := int32(1)
	if h.Spec.MinReplicas != nil {
		minReplicas = *h.Spec.MinReplicas
	}
	if m.root != "overlays/dev" && minReplicas < 2 {
		t.Errorf("the gateway's minReplicas is %d; keep 2 or more (the PodDisruptionBudget lets one go)", minReplicas)
	}
	if len(h.Spec.Metrics) == 0 {
		t.Errorf("HorizontalPodAutoscaler %s has no metric", h.Name)
	}
	for _, name := range sortedKeys(m.deployments) {
		r := m.deployments[name].Spec.Replicas
		if name == "gateway" && r != nil {
			t.Errorf("Deployment gateway sets replicas; the autoscaler owns them (each apply would reset them)")
		}
		if name != "gateway" && r == nil {
			t.Errorf("Deployment %s sets no replicas", name)
		}
	}
}

// checkImages: every Portico container runs the one image; the gke
// overlay names it by digest, and pins its sidecar.
func checkImages(t *testing.T, m *manifests) {
	images := map[string]bool{}
	for _, name := range components {
		_, c := m.component(t, name)
		images[c.Image] = true
		if len(c.Command) > 0 || len(c.Args) == 0 || c.Args[0] != name {
			t.Errorf("%s: command %v args %v; want the image's entrypoint with the component as first argument", name, c.Command, c.Args)
		}
	}
	if len(images) != 1 {
		t.Errorf("the components run %d images, want one: %v", len(images), sortedKeys(images))
	}
	for img := range images {
		switch m.root {
		case "overlays/gke":
			if !regexp.MustCompile(`^[a-z0-9.-]+(/[A-Za-z0-9._-]+)+@sha256:[0-9a-f]{64}$`).MatchString(img) {
				t.Errorf("image %s is not named by digest", img)
			}
		case "overlays/dev":
			if img != "portico:dev" {
				t.Errorf("image %s, want portico:dev (deploy/build-image.sh, then kind load)", img)
			}
		}
	}
	for _, name := range sortedKeys(m.deployments) {
		for _, c := range m.deployments[name].Spec.Template.Spec.InitContainers {
			if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") {
				t.Errorf("Deployment %s: sidecar %s runs %s; pin a version", name, c.Name, c.Image)
			}
		}
	}
}

// urlService returns the Service a URL of the manifests names (a
// Kubernetes name resolved in the namespace) and its port.
func urlService(m *manifests, raw string) (*corev1.Service, int32, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, 0, false
	}
	host := u.Hostname()
	for _, suffix := range []string{".svc.cluster.local", ".svc", "." + m.namespace} {
		host = strings.TrimSuffix(host, suffix)
	}
	s := m.services[host]
	if s == nil {
		return nil, 0, false
	}
	var port int32
	fmt.Sscan(u.Port(), &port)
	return s, port, true
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
