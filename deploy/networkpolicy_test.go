package deploy_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// callers are who may open a connection to each service's listener: the
// gateway (its routes), the callers of its internal endpoints
// (docs/operations.md, "Which component may call which internal
// endpoint"), and every component that verifies auth's internal tokens,
// which fetches auth's key set from it. checkWiring checks that these are
// exactly the calls the components are configured to make.
var callers = map[string][]string{
	"auth":      {"gateway", "accounts", "configs", "analytics"},
	"accounts":  {"gateway", "auth", "analytics"},
	"configs":   {"gateway", "analytics"},
	"analytics": {"gateway"},
}

// scrapers is the namespace Prometheus scrapes the admin listeners from,
// by Kustomize root.
var scrapers = map[string]string{
	"base":         "monitoring",
	"overlays/dev": "monitoring",
	"overlays/gke": "gmp-system",
}

// peer is a source of connections: a pod (in a namespace, with labels) or
// an address outside the cluster.
type peer struct {
	name      string
	namespace string
	nsLabels  map[string]string
	labels    map[string]string
	addr      netip.Addr
}

func (p peer) String() string { return p.name }

// checkNetworkPolicies computes, from the NetworkPolicies as the API
// defines them, who may connect to each component's ports, and compares
// it with the trust model: the public reaches the gateway's listener and
// nothing else; each service's listener admits exactly its callers; the
// admin listeners admit only Prometheus (and, on GKE, the load balancer's
// health checkers at the gateway's); no other port admits anyone.
func checkNetworkPolicies(t *testing.T, m *manifests) {
	denyAll := false
	for _, p := range m.policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && len(p.Spec.Ingress) == 0 {
			denyAll = true
		}
	}
	if !denyAll {
		t.Errorf("no default-deny ingress policy (podSelector {}, policyTypes [Ingress], no rules)")
	}
	var peers []peer
	for _, name := range components {
		peers = append(peers, m.podPeer(name))
	}
	ns := func(name string) map[string]string { return map[string]string{"kubernetes.io/metadata.name": name} }
	stranger := peer{name: "another pod of the namespace", namespace: m.namespace, nsLabels: ns(m.namespace), labels: map[string]string{"app.kubernetes.io/name": "debug"}}
	other := peer{name: "a pod of namespace default", namespace: "default", nsLabels: ns("default"), labels: map[string]string{"app.kubernetes.io/name": "gateway"}}
	prom := peer{name: "Prometheus", namespace: scrapers[m.root], nsLabels: ns(scrapers[m.root]), labels: map[string]string{"app.kubernetes.io/name": "prometheus"}}
	public := peer{name: "the internet", addr: netip.MustParseAddr("198.51.100.7")}
	checker := peer{name: "Google's health checker", addr: netip.MustParseAddr("35.191.3.4")}
	peers = append(peers, stranger, other, prom, public, checker)

	for _, name := range components {
		d, _ := m.component(t, name)
		target := m.podPeer(name)
		for _, c := range podContainers(&d.Spec.Template.Spec) {
			for _, cp := range c.Ports {
				var want []string
				switch {
				case c.Name == name && cp.Name == "http" && name == "gateway":
					for _, p := range peers {
						want = append(want, p.name)
					}
				case c.Name == name && cp.Name == "http":
					want = callers[name]
				case c.Name == name && cp.Name == "admin":
					want = []string{prom.name}
					if m.root == "overlays/gke" && name == "gateway" {
						want = append(want, checker.name)
					}
				}
				var got []string
				for _, p := range peers {
					if admits(m.policies, m.namespace, target.labels, c.Ports, cp.ContainerPort, p) {
						got = append(got, p.name)
					}
				}
				slices.Sort(got)
				if want = sorted(want); !slices.Equal(got, want) {
					t.Errorf("%s, container %s, port %s (%d): admits %q, want %q", name, c.Name, cp.Name, cp.ContainerPort, got, want)
				}
			}
		}
	}
}

func (m *manifests) podPeer(name string) peer {
	d := m.deployments[name]
	return peer{
		name: name, namespace: m.namespace,
		nsLabels: map[string]string{"kubernetes.io/metadata.name": m.namespace},
		labels:   d.Spec.Template.Labels,
	}
}

// admits reports whether the policies of namespace ns let p connect to
// TCP port of a pod with podLabels and ports. A pod that no policy selects
// admits everyone; otherwise one rule of one selecting policy must admit
// both the peer and the port.
func admits(policies []*networkingv1.NetworkPolicy, ns string, podLabels map[string]string, ports []corev1.ContainerPort, port int32, p peer) bool {
	selected := false
	for _, pol := range policies {
		if !matches(&pol.Spec.PodSelector, podLabels) || !hasIngress(pol) {
			continue
		}
		selected = true
		for _, r := range pol.Spec.Ingress {
			if fromMatches(r.From, ns, p) && portMatches(r.Ports, ports, port) {
				return true
			}
		}
	}
	return !selected
}

func hasIngress(p *networkingv1.NetworkPolicy) bool {
	return len(p.Spec.PolicyTypes) == 0 || slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
}

func fromMatches(from []networkingv1.NetworkPolicyPeer, ns string, p peer) bool {
	if len(from) == 0 {
		return true
	}
	for _, f := range from {
		switch {
		case f.IPBlock != nil:
			if p.addr.IsValid() && inBlock(f.IPBlock, p.addr) {
				return true
			}
		case p.addr.IsValid():
			// Pod and namespace selectors match pods only.
		case f.NamespaceSelector == nil:
			if p.namespace == ns && matches(f.PodSelector, p.labels) {
				return true
			}
		default:
			if matches(f.NamespaceSelector, p.nsLabels) && (f.PodSelector == nil || matches(f.PodSelector, p.labels)) {
				return true
			}
		}
	}
	return false
}

func inBlock(b *networkingv1.IPBlock, a netip.Addr) bool {
	pfx, err := netip.ParsePrefix(b.CIDR)
	if err != nil || !pfx.Contains(a) {
		return false
	}
	for _, e := range b.Except {
		if x, err := netip.ParsePrefix(e); err == nil && x.Contains(a) {
			return false
		}
	}
	return true
}

func portMatches(rule []networkingv1.NetworkPolicyPort, ports []corev1.ContainerPort, port int32) bool {
	if len(rule) == 0 {
		return true
	}
	for _, r := range rule {
		if r.Protocol != nil && *r.Protocol != corev1.ProtocolTCP {
			continue
		}
		if r.Port == nil {
			return true
		}
		if r.Port.Type == 0 {
			end := r.Port.IntVal
			if r.EndPort != nil {
				end = *r.EndPort
			}
			if port >= r.Port.IntVal && port <= end {
				return true
			}
			continue
		}
		for _, cp := range ports {
			if cp.Name == r.Port.StrVal && cp.ContainerPort == port {
				return true
			}
		}
	}
	return false
}

// matches reports whether a label selector selects labels; a nil selector
// selects nothing, an empty one everything.
func matches(sel *metav1.LabelSelector, l map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		panic(fmt.Sprintf("label selector %+v: %v", sel, err))
	}
	return s.Matches(labelSet(l))
}

func labelSet(l map[string]string) labels.Set { return labels.Set(l) }
