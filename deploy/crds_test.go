package deploy_test

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The custom resources of the gke overlay have no Go module of their own
// to import, so these types mirror, field for field, the part of each
// resource's published schema the manifests use: decoded strictly, a field
// outside that part (a typo, a field of another version) fails the test.
// Adding a field to a manifest means adding it here, from the schema.

// targetRef is a policy's target: GKE's policies attach to a Service.
type targetRef struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// healthCheckPolicy mirrors GKE's HealthCheckPolicy (networking.gke.io/v1):
// the load balancer's health check of a Service's endpoints.
type healthCheckPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Default struct {
			CheckIntervalSec   int `json:"checkIntervalSec,omitempty"`
			TimeoutSec         int `json:"timeoutSec,omitempty"`
			HealthyThreshold   int `json:"healthyThreshold,omitempty"`
			UnhealthyThreshold int `json:"unhealthyThreshold,omitempty"`
			LogConfig          *struct {
				Enabled bool `json:"enabled"`
			} `json:"logConfig,omitempty"`
			Config struct {
				Type            string `json:"type"`
				HTTPHealthCheck *struct {
					PortSpecification string `json:"portSpecification,omitempty"`
					Port              int32  `json:"port,omitempty"`
					PortName          string `json:"portName,omitempty"`
					Host              string `json:"host,omitempty"`
					RequestPath       string `json:"requestPath,omitempty"`
					Response          string `json:"response,omitempty"`
					ProxyHeader       string `json:"proxyHeader,omitempty"`
				} `json:"httpHealthCheck,omitempty"`
			} `json:"config"`
		} `json:"default"`
		TargetRef targetRef `json:"targetRef"`
	} `json:"spec"`
}

// gcpBackendPolicy mirrors GKE's GCPBackendPolicy (networking.gke.io/v1):
// the load balancer's backend service settings for a Service.
type gcpBackendPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Default struct {
			TimeoutSec         int `json:"timeoutSec,omitempty"`
			ConnectionDraining *struct {
				DrainingTimeoutSec int `json:"drainingTimeoutSec"`
			} `json:"connectionDraining,omitempty"`
			Logging *struct {
				Enabled    bool `json:"enabled"`
				SampleRate int  `json:"sampleRate,omitempty"`
			} `json:"logging,omitempty"`
			SecurityPolicy string `json:"securityPolicy,omitempty"`
		} `json:"default"`
		TargetRef targetRef `json:"targetRef"`
	} `json:"spec"`
}

// podMonitoring mirrors PodMonitoring (monitoring.googleapis.com/v1) of
// Google Cloud Managed Service for Prometheus: which pods' ports to scrape.
type podMonitoring struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port     intstr.IntOrString `json:"port"`
			Path     string             `json:"path,omitempty"`
			Scheme   string             `json:"scheme,omitempty"`
			Interval string             `json:"interval,omitempty"`
			Timeout  string             `json:"timeout,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// rules mirrors Rules (monitoring.googleapis.com/v1) of Google Cloud
// Managed Service for Prometheus: Prometheus rule groups evaluated over
// the namespace's metrics.
type rules struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ruleFile `json:"spec"`
}

// ruleFile is a Prometheus rule file (and a Rules object's spec).
type ruleFile struct {
	Groups []ruleGroup `json:"groups"`
}

type ruleGroup struct {
	Name     string `json:"name"`
	Interval string `json:"interval,omitempty"`
	Rules    []rule `json:"rules"`
}

type rule struct {
	Record      string            `json:"record,omitempty"`
	Alert       string            `json:"alert,omitempty"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}
