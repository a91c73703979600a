package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestAnalyticsGroupFlags: out-of-range grouping and stream limits are
// refused before anything starts, naming the flag.
func TestAnalyticsGroupFlags(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	for _, args := range [][]string{
		{"--group-beacons", "-1"},
		{"--group-beacons", "100001"},
		{"--group-beacons", "many"},
		{"--group-writers", "0"},
		{"--group-writers", "65"},
		{"--group-queue", "10"},
		{"--group-queue", "-1"},
		{"--group-queue", "many"},
		{"--group-queue", "10000001"},
		{"--nats-fetch", "0"},
		{"--nats-fetch", "1001"},
		{"--nats-fetch", "many"},
	} {
		var stderr bytes.Buffer
		code := runAnalytics(context.Background(), append([]string{"--auth-issuer", "http://127.0.0.1:1"}, args...), noEnv, &bytes.Buffer{}, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), args[0]+": ") {
			t.Errorf("%v: exit %d, %q; want 1 and an error naming %s", args, code, stderr.String(), args[0])
		}
	}
}
