package aggregate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCompileErrors(t *testing.T) {
	base := func(steps ...StepSpec) PlanSpec {
		return PlanSpec{Budget: time.Second, Params: []string{"org"}, Steps: steps}
	}
	get := func(name string, mods ...func(*StepSpec)) StepSpec {
		s := StepSpec{Name: name, Service: "svc", Path: "/" + name, Timeout: 100 * time.Millisecond, Into: name}
		for _, m := range mods {
			m(&s)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		spec PlanSpec
		want string
	}{
		{"no budget", PlanSpec{Steps: []StepSpec{get("a")}}, "plan: budget: must be positive"},
		{"no steps", PlanSpec{Budget: time.Second}, "plan: steps: a plan needs at least one step"},
		{"bad name", base(get("1a")), `step "1a": name: "1a" must start with a letter`},
		{"duplicate name", base(get("a"), get("a", func(s *StepSpec) { s.Into = "b" })), `step "a": name: duplicates the name of step #1`},
		{"bad method", base(get("a", func(s *StepSpec) { s.Method = "TRACE" })), `step "a": method: "TRACE" is not one of`},
		{"no service", base(get("a", func(s *StepSpec) { s.Service = "" })), `step "a": service: is required`},
		{"unknown service", PlanSpec{Budget: time.Second, KnownServices: []string{"x"}, Steps: []StepSpec{get("a")}}, `service: unknown service "svc"`},
		{"relative path", base(get("a", func(s *StepSpec) { s.Path = "a" })), `step "a": path: must start with /`},
		{"query in path", base(get("a", func(s *StepSpec) { s.Path = "/a?x=1" })), `path: '?' cannot appear in a path`},
		{"dot segment", base(get("a", func(s *StepSpec) { s.Path = "/a/../b" })), `path: must not contain . or .. segments`},
		{"unterminated", base(get("a", func(s *StepSpec) { s.Path = "/a/{path.org" })), `path: unterminated reference at offset 3`},
		{"stray brace", base(get("a", func(s *StepSpec) { s.Path = "/a}" })), `path: unmatched } at offset 2`},
		{"unknown namespace", base(get("a", func(s *StepSpec) { s.Path = "/{env.HOME}" })), `unknown namespace "env"`},
		{"unknown param", base(get("a", func(s *StepSpec) { s.Path = "/{path.user}" })), `path: {path.user}: the route has no path parameter "user"`},
		{"unknown step", base(get("a", func(s *StepSpec) { s.Query = map[string]string{"x": "{steps.b.id}"} })), `query.x: {steps.b.id}: no step is named "b"`},
		{"self reference", base(get("a", func(s *StepSpec) { s.Path = "/{steps.a.id}" })), `a step cannot reference its own result`},
		{"item outside fan-out", base(get("a", func(s *StepSpec) { s.Path = "/{item.id}" })), `item is only defined in a step with for_each`},
		{"bad header", base(get("a", func(s *StepSpec) { s.Headers = map[string]string{"Bad Name": "x"} })), `headers.Bad Name: "Bad Name" is not a valid header name`},
		{"gateway header", base(get("a", func(s *StepSpec) { s.Headers = map[string]string{"host": "x"} })), `headers.host: Host is set by the gateway`},
		{"body on GET", base(get("a", func(s *StepSpec) { s.Body = map[string]any{} })), `body: a GET step cannot send a body`},
		{"bad body value", base(get("a", func(s *StepSpec) { s.Method = "POST"; s.Body = map[string]any{"x": []string{"a"}} })), `body.x: unsupported value of type []string`},
		{"bad body template", base(get("a", func(s *StepSpec) { s.Method = "POST"; s.Body = []any{"{nope"} })), `body[0]: unterminated reference`},
		{"for_each on query", base(get("a", func(s *StepSpec) { s.ForEach = "query.x" })), `for_each: must reference steps, identity or body, not query`},
		{"caps without for_each", base(get("a", func(s *StepSpec) { s.MaxItems = 3 })), `for_each: max_items and concurrency need for_each`},
		{"bad policy", base(get("a", func(s *StepSpec) { s.OnFailure = "maybe" })), `on_failure: "maybe" is not one of`},
		{"fallback without policy", base(get("a", func(s *StepSpec) { s.Fallback = 1.0 })), `fallback: is set but on_failure is not fallback`},
		{"merged fallback not object", base(get("a", func(s *StepSpec) { s.Into = ""; s.Merge = true; s.OnFailure = Fallback; s.Fallback = 1.0 })), `fallback: must be an object`},
		{"into and merge", base(get("a", func(s *StepSpec) { s.Merge = true })), `into: a step is placed under a key or merged into the root, not both`},
		{"shaped but unplaced", base(get("a", func(s *StepSpec) { s.Into = ""; s.Allow = []string{"x"} })), `into: the step has shaping rules but its result is not placed`},
		{"bad allow path", base(get("a", func(s *StepSpec) { s.Allow = []string{"a..b"} })), `allow[0]: field path "a..b": empty segment`},
		{"bad rename", base(get("a", func(s *StepSpec) { s.Rename = map[string]string{"a": "b.c"} })), `rename.a: new name "b.c"`},
		{"rename to one name", base(get("a", func(s *StepSpec) { s.Rename = map[string]string{"a": "z", "b": "z"} })), `a and b are both renamed to "z"`},
		{"rename chain", base(get("a", func(s *StepSpec) { s.Rename = map[string]string{"a": "b", "b": "c"} })), `a is renamed to "b", which is renamed itself`},
		{"timeout over budget", base(get("a", func(s *StepSpec) { s.Timeout = 2 * time.Second })), `timeout: 2s exceeds the plan's budget of 1s`},
		{"unknown dependency", base(get("a", func(s *StepSpec) { s.DependsOn = []string{"zz"} })), `depends_on: no step is named "zz"`},
		{"cycle", base(
			get("a", func(s *StepSpec) { s.Path = "/{steps.c.id}" }),
			get("b", func(s *StepSpec) { s.DependsOn = []string{"a"} }),
			get("c", func(s *StepSpec) { s.Path = "/{steps.b.id}" }),
		), `dependency cycle: a -> c -> b -> a`},
		{"critical path", base(
			get("a", func(s *StepSpec) { s.Timeout = 600 * time.Millisecond }),
			get("b", func(s *StepSpec) { s.Timeout = 300 * time.Millisecond; s.DependsOn = []string{"a"} }),
			get("c", func(s *StepSpec) { s.Timeout = 300 * time.Millisecond; s.DependsOn = []string{"b"} }),
		), `plan: budget: the critical path a (600ms) -> b (300ms) -> c (300ms) takes up to 1.2s, more than the budget of 1s`},
		{"dependency without timeout", base(
			get("a", func(s *StepSpec) { s.Timeout = 0 }),
			get("b", func(s *StepSpec) { s.DependsOn = []string{"a"} }),
		), `step "a": timeout: is required: step "b" waits for this step`},
		{"required after optional", base(
			get("a", func(s *StepSpec) { s.OnFailure = Optional }),
			get("b", func(s *StepSpec) { s.Path = "/{steps.a.id}" }),
		), `step "b": depends_on: the step is required but depends on optional step "a"`},
		{"into twice", base(get("a"), get("b", func(s *StepSpec) { s.Into = "a" })), `step "b": into: root key "a" collides with step "a"`},
		{"into against outcome", PlanSpec{Budget: time.Second, OutcomeField: "a", Steps: []StepSpec{get("a")}}, `into: root key "a" collides with the outcome field`},
		{"allowed merge against into", base(get("a"), get("b", func(s *StepSpec) { s.Into = ""; s.Merge = true; s.Allow = []string{"a.x", "y"} })), `step "b": allow: root key "a" collides with step "a"`},
		{"renamed merge against into", base(get("a"), get("b", func(s *StepSpec) {
			s.Into, s.Merge, s.Allow, s.Rename = "", true, []string{"x"}, map[string]string{"x": "a"}
		})), `root key "a" collides with step "a"`},
		{"fallback merge against merge", base(
			get("a", func(s *StepSpec) { s.Into, s.Merge, s.Allow = "", true, []string{"k"} }),
			get("b", func(s *StepSpec) {
				s.Into, s.Merge, s.OnFailure, s.Fallback = "", true, Fallback, map[string]any{"k": 1.0}
			}),
		), `step "b": fallback: root key "k" collides with step "a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.spec, Options{})
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			wantContains(t, "error", err.Error(), tc.want)
		})
	}
}

func TestCompileReportsEverything(t *testing.T) {
	_, err := Compile(PlanSpec{Steps: []StepSpec{
		{Name: "a", Path: "x"},
		{Name: "b", Service: "s", Path: "/{steps.zz.id}"},
	}}, Options{})
	var ce CompileErrors
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v, want CompileErrors", err, err)
	}
	var got []string
	for _, e := range ce {
		got = append(got, e.StepName+":"+e.Field)
	}
	if want := ":budget a:service a:path b:path"; strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q\n%v", strings.Join(got, " "), want, err)
	}
	if ce[3].Step != 1 {
		t.Errorf("got step index %d, want 1", ce[3].Step)
	}
}

func TestCriticalPathAndDescribe(t *testing.T) {
	p := mustCompile(t, PlanSpec{
		Name:   "dashboard",
		Budget: time.Second,
		Params: []string{"org"},
		Steps: []StepSpec{
			{Name: "org", Service: "accounts", Path: "/orgs/{path.org}", Timeout: 200 * time.Millisecond, Into: "org"},
			{Name: "integrations", Service: "configs", Path: "/orgs/{path.org}/integrations", Timeout: 300 * time.Millisecond, Into: "integrations", DependsOn: []string{"org"}},
			{Name: "stats", Service: "analytics", Path: "/usage/{item.id}", ForEach: "steps.integrations.items", Timeout: 400 * time.Millisecond,
				Into: "stats", OnFailure: Optional, Query: map[string]string{"from": "{query.from|}"}},
			{Name: "profile", Service: "accounts", Path: "/users/{identity.sub}", Merge: true, Allow: []string{"name"}, OnFailure: Fallback, Fallback: map[string]any{}},
		},
	})
	total, steps := p.CriticalPath()
	if total != 900*time.Millisecond || strings.Join(steps, ",") != "org,integrations,stats" {
		t.Errorf("got critical path %v %v, want 900ms org,integrations,stats", total, steps)
	}
	d := p.Describe()
	for _, want := range []string{
		"plan dashboard: 4 steps, budget 1s, critical path 900ms (org -> integrations -> stats)",
		"stats         GET analytics /usage/{item.id}?from={query.from|}",
		"after integrations; for each of steps.integrations.items (at most 100, 4 at a time); timeout 400ms; optional; into \"stats\"",
		"timeout: rest of budget; fallback; merged into root; shaped",
	} {
		wantContains(t, "Describe", d, want)
	}
}
