package gateway

import (
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	cfg := mustConfig(t, composeConfig+`
  - name: members
    methods: [GET]
    path: /v1/orgs/{org}/members/{rest...}
    service: accounts
    rewrite: /internal/orgs/{org}/people/{rest...}
    cors: {allow_origins: ["https://app.example"]}
`, map[string]string{"ACCOUNTS": "http://127.0.0.1:1", "CONFIGS": "http://127.0.0.1:2", "ANALYTICS": "http://127.0.0.1:3"})

	cases := []struct {
		name, method, target string
		want                 []string
		wantErr              bool
	}{
		{"aggregate route shows the plan and critical path", "GET", "/v1/orgs/o1/overview", []string{
			"route     overview (test.yaml:", `params    org="o1"`,
			"compose   budget 2s, critical path 500ms (25% of the budget)",
			"org", "integrations", "usage", "optional",
		}, false},
		{"proxied route shows the upstream path after normalisation and rewrite", "get", "/v1/orgs/o1/./members/a/../b?x=1", []string{
			"path      normalised to /v1/orgs/o1/members/b",
			"upstream  GET accounts /internal/orgs/o1/people/b?x=1",
			"cors      origins https://app.example",
		}, false},
		{"wrong method", "POST", "/v1/orgs/o1/overview", []string{"405 method-not-allowed (Allow: GET, HEAD)"}, false},
		{"no route", "GET", "/nowhere", []string{"404 not-found"}, false},
		{"bad path", "GET", "/a%2Fb", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := Explain(cfg, c.method, "", c.target)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
