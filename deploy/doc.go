// Package deploy holds how Portico is deployed: the Kustomize base and its
// overlays (base/, overlays/dev, overlays/gke), the alert rules
// (base/monitoring), the image builder that needs no container daemon
// (imagebuild, build-image), and the tests that keep them true: the
// manifests rendered with Kustomize and decoded strictly as Kubernetes
// objects, then checked against the trust model of docs/operations.md and
// against the binary's own configuration loader; the alert rules checked
// with promtool; the image built and read back. docs/deploy.md is the
// guide.
package deploy
