package server

import "net/http"

// LivenessPath is answered by Liveness on a service's public listener.
const LivenessPath = "/healthz"

// Liveness answers GET and HEAD of LivenessPath with 200
// {"status":"ok"}, as the admin listener does, and passes every other
// request to next. It lets a gateway's active health checks probe a
// service on the port they send traffic to; readiness, with its checks,
// stays on the admin listener.
func Liveness(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == LivenessPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			writeJSON(w, http.StatusOK, `{"status":"ok"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}
