package deploy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// overlays are the Kustomize roots the tests render, relative to deploy/.
var overlays = []string{"base", "overlays/dev", "overlays/gke"}

// components are Portico's components, each a Deployment, a
// ServiceAccount and a container of the same name.
var components = []string{"gateway", "auth", "accounts", "configs", "analytics"}

// newObject returns a new typed object for an apiVersion and kind, or nil
// for a kind the manifests must not hold. Kubernetes' own kinds decode into
// k8s.io/api's types and the Gateway API's into its module's; the custom
// resources of GKE and of Google Cloud Managed Service for Prometheus into
// the types of crds_test.go.
func newObject(apiVersion, kind string) any {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return new(corev1.Namespace)
	case "v1 ServiceAccount":
		return new(corev1.ServiceAccount)
	case "v1 ConfigMap":
		return new(corev1.ConfigMap)
	case "v1 Service":
		return new(corev1.Service)
	case "apps/v1 Deployment":
		return new(appsv1.Deployment)
	case "policy/v1 PodDisruptionBudget":
		return new(policyv1.PodDisruptionBudget)
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return new(autoscalingv2.HorizontalPodAutoscaler)
	case "networking.k8s.io/v1 NetworkPolicy":
		return new(networkingv1.NetworkPolicy)
	case "gateway.networking.k8s.io/v1 Gateway":
		return new(gatewayv1.Gateway)
	case "gateway.networking.k8s.io/v1 HTTPRoute":
		return new(gatewayv1.HTTPRoute)
	case "networking.gke.io/v1 HealthCheckPolicy":
		return new(healthCheckPolicy)
	case "networking.gke.io/v1 GCPBackendPolicy":
		return new(gcpBackendPolicy)
	case "monitoring.googleapis.com/v1 PodMonitoring":
		return new(podMonitoring)
	case "monitoring.googleapis.com/v1 Rules":
		return new(rules)
	}
	return nil
}

// manifests are the objects one Kustomize root renders, decoded.
type manifests struct {
	root        string
	namespace   string
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	accounts    map[string]*corev1.ServiceAccount
	configMaps  map[string]*corev1.ConfigMap
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	policies    []*networkingv1.NetworkPolicy
	namespaces  []*corev1.Namespace
	gateways    []*gatewayv1.Gateway
	routes      []*gatewayv1.HTTPRoute
	healthPols  []*healthCheckPolicy
	backendPols []*gcpBackendPolicy
	monitors    []*podMonitoring
	rules       []*rules
	// kinds counts the objects by kind.
	kinds map[string]int
}

// render builds the Kustomize root at dir with the Kustomize library and
// decodes every object strictly: an unknown kind, an unknown or duplicate
// field, or a field of the wrong type fails the test.
func render(t *testing.T, dir string) *manifests {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	m := &manifests{
		root:        dir,
		deployments: map[string]*appsv1.Deployment{},
		services:    map[string]*corev1.Service{},
		accounts:    map[string]*corev1.ServiceAccount{},
		configMaps:  map[string]*corev1.ConfigMap{},
		kinds:       map[string]int{},
	}
	for _, r := range rm.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		id := fmt.Sprintf("%s: %s %s/%s", dir, r.GetKind(), r.GetNamespace(), r.GetName())
		obj := newObject(r.GetApiVersion(), r.GetKind())
		if obj == nil {
			t.Errorf("%s: apiVersion %s kind %s: not a kind these manifests may hold (newObject)", id, r.GetApiVersion(), r.GetKind())
			continue
		}
		strict, err := kjson.UnmarshalStrict(data, obj)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		for _, e := range strict {
			t.Errorf("%s: %v", id, e)
		}
		m.add(t, id, obj)
	}
	return m
}

func (m *manifests) add(t *testing.T, id string, obj any) {
	t.Helper()
	var meta *metav1.ObjectMeta
	switch o := obj.(type) {
	case *corev1.Namespace:
		meta = &o.ObjectMeta
		m.namespaces = append(m.namespaces, o)
	case *corev1.ServiceAccount:
		meta = &o.ObjectMeta
		m.accounts[o.Name] = o
	case *corev1.ConfigMap:
		meta = &o.ObjectMeta
		m.configMaps[o.Name] = o
	case *corev1.Service:
		meta = &o.ObjectMeta
		m.services[o.Name] = o
	case *appsv1.Deployment:
		meta = &o.ObjectMeta
		m.deployments[o.Name] = o
	case *policyv1.PodDisruptionBudget:
		meta = &o.ObjectMeta
		m.pdbs = append(m.pdbs, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		meta = &o.ObjectMeta
		m.hpas = append(m.hpas, o)
	case *networkingv1.NetworkPolicy:
		meta = &o.ObjectMeta
		m.policies = append(m.policies, o)
	case *gatewayv1.Gateway:
		meta = &o.ObjectMeta
		m.gateways = append(m.gateways, o)
	case *gatewayv1.HTTPRoute:
		meta = &o.ObjectMeta
		m.routes = append(m.routes, o)
	case *healthCheckPolicy:
		meta = &o.ObjectMeta
		m.healthPols = append(m.healthPols, o)
	case *gcpBackendPolicy:
		meta = &o.ObjectMeta
		m.backendPols = append(m.backendPols, o)
	case *podMonitoring:
		meta = &o.ObjectMeta
		m.monitors = append(m.monitors, o)
	case *rules:
		meta = &o.ObjectMeta
		m.rules = append(m.rules, o)
	default:
		t.Fatalf("%s: decoded into %T, which add does not index", id, obj)
	}
	m.kinds[fmt.Sprintf("%T", obj)]++
	for _, msg := range validation.IsDNS1123Subdomain(meta.Name) {
		t.Errorf("%s: name: %s", id, msg)
	}
	if _, ok := obj.(*corev1.Namespace); ok {
		return
	}
	switch {
	case meta.Namespace == "":
		t.Errorf("%s: no namespace", id)
	case m.namespace == "":
		m.namespace = meta.Namespace
	case meta.Namespace != m.namespace:
		t.Errorf("%s: namespace %s, the others' is %s", id, meta.Namespace, m.namespace)
	}
}

// podContainers returns the containers of a pod that run as long as it
// does: its containers and its native sidecars (init containers that
// restart always).
func podContainers(spec *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, c)
		}
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}

// component returns the container of a component's Deployment that runs
// Portico (named after the component).
func (m *manifests) component(t *testing.T, name string) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	d := m.deployments[name]
	if d == nil {
		t.Fatalf("%s: no Deployment %s", m.root, name)
	}
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == name {
			return d, c
		}
	}
	t.Fatalf("%s: Deployment %s has no container %s", m.root, name, name)
	return nil, nil
}

// containerEnv is a container's environment as the kubelet gives it:
// literal values, values from ConfigMaps (envFrom and configMapKeyRef),
// and the Secrets' keys, which the tests see only as references.
type containerEnv struct {
	values  map[string]string
	secrets map[string]*corev1.SecretKeySelector
}

func (m *manifests) env(t *testing.T, c *corev1.Container) containerEnv {
	t.Helper()
	e := containerEnv{values: map[string]string{}, secrets: map[string]*corev1.SecretKeySelector{}}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := m.configMaps[from.ConfigMapRef.Name]
			if cm == nil {
				t.Errorf("%s: container %s: envFrom ConfigMap %s does not exist", m.root, c.Name, from.ConfigMapRef.Name)
				continue
			}
			for k, v := range cm.Data {
				e.values[from.Prefix+k] = v
			}
		case from.SecretRef != nil:
			t.Errorf("%s: container %s: envFrom Secret %s: name each key with secretKeyRef, so that what a component reads is in the manifest", m.root, c.Name, from.SecretRef.Name)
		}
	}
	for _, v := range c.Env {
		switch {
		case v.ValueFrom == nil:
			e.values[v.Name] = v.Value
		case v.ValueFrom.ConfigMapKeyRef != nil:
			ref := v.ValueFrom.ConfigMapKeyRef
			cm := m.configMaps[ref.Name]
			if cm == nil {
				t.Errorf("%s: container %s: %s: ConfigMap %s does not exist", m.root, c.Name, v.Name, ref.Name)
				continue
			}
			val, ok := cm.Data[ref.Key]
			if !ok {
				t.Errorf("%s: container %s: %s: ConfigMap %s has no key %s", m.root, c.Name, v.Name, ref.Name, ref.Key)
			}
			e.values[v.Name] = val
		case v.ValueFrom.SecretKeyRef != nil:
			delete(e.values, v.Name)
			e.secrets[v.Name] = v.ValueFrom.SecretKeyRef
		default:
			t.Errorf("%s: container %s: %s: only values, ConfigMap keys and Secret keys are expected", m.root, c.Name, v.Name)
		}
	}
	return e
}

// lookup is the environment as config.Parse and the binary read it.
func (e containerEnv) lookup(name string) (string, bool) {
	v, ok := e.values[name]
	return v, ok
}

// configMap returns the ConfigMap a generator named name made (its name
// with a content hash appended).
func (m *manifests) configMap(t *testing.T, name string) *corev1.ConfigMap {
	t.Helper()
	var found []*corev1.ConfigMap
	for n, cm := range m.configMaps {
		if n == name || (strings.HasPrefix(n, name+"-") && len(n) == len(name)+11) {
			found = append(found, cm)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d ConfigMaps generated as %s, want 1", m.root, len(found), name)
	}
	return found[0]
}

// serviceFor returns the component whose pods a Service selects, checking
// it selects exactly one Deployment's pods.
func (m *manifests) serviceFor(t *testing.T, s *corev1.Service) string {
	t.Helper()
	var selected []string
	for name, d := range m.deployments {
		if len(s.Spec.Selector) > 0 && subset(s.Spec.Selector, d.Spec.Template.Labels) {
			selected = append(selected, name)
		}
	}
	if len(selected) != 1 {
		t.Errorf("%s: Service %s selects the pods of %v, want exactly one Deployment's", m.root, s.Name, selected)
		return ""
	}
	return selected[0]
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
