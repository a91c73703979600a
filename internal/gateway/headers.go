package gateway

import (
	"net/http"

	"github.com/portico-gw/portico/internal/gateway/config"
)

// headerRules is a compiled config.HeaderRules with canonical names.
type headerRules struct {
	remove []string
	set    [][2]string
	add    [][2]string
}

func compileHeaderRules(c config.HeaderRules) headerRules {
	var h headerRules
	for _, k := range c.Remove {
		h.remove = append(h.remove, http.CanonicalHeaderKey(k))
	}
	for k, v := range c.Set {
		h.set = append(h.set, [2]string{http.CanonicalHeaderKey(k), v})
	}
	for k, v := range c.Add {
		h.add = append(h.add, [2]string{http.CanonicalHeaderKey(k), v})
	}
	return h
}

func (h *headerRules) empty() bool {
	return len(h.remove) == 0 && len(h.set) == 0 && len(h.add) == 0
}

// apply removes, then sets, then adds, so a rule may replace a field it
// also removes.
func (h *headerRules) apply(hdr http.Header) {
	for _, k := range h.remove {
		delete(hdr, k)
	}
	for _, kv := range h.set {
		hdr[kv[0]] = []string{kv[1]}
	}
	for _, kv := range h.add {
		hdr[kv[0]] = append(hdr[kv[0]], kv[1])
	}
}
