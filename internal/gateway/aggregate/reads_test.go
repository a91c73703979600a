package aggregate

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPlanReads(t *testing.T) {
	src := StepSpec{Name: "src", Service: "s", Path: "/src", Timeout: time.Second}
	for _, tc := range []struct {
		name  string
		steps []StepSpec
		want  string // the read tree of step src; "" for the whole result, "-" for no decode
	}{
		{"placed, not read", []StepSpec{withInto(src, "src")}, "-"},
		{"references", []StepSpec{src, {Name: "b", Service: "s", Path: "/b/{steps.src.org.id}",
			Query: map[string]string{"t": "{steps.src.plan.0}"}, Into: "b"}},
			"{org:{id:* []:^} plan:{0:* [0]:*} []:^}"},
		{"reference in a body, whole subtree", []StepSpec{src, {Name: "b", Service: "s", Method: "POST", Path: "/b",
			Body: map[string]any{"org": "{steps.src.org}"}, Into: "b"}}, "{org:* []:^}"},
		{"reference to the whole result", []StepSpec{src, {Name: "b", Service: "s", Path: "/b",
			Headers: map[string]string{"X-A": "{steps.src.a}"}, Method: "POST", Body: "{steps.src}", Into: "b"}}, ""},
		{"fan-out items' fields", []StepSpec{src, {Name: "b", Service: "s", Path: "/b/{item.id}",
			Query: map[string]string{"o": "{item.owner.name}"}, ForEach: "steps.src.items", Into: "b"}},
			"{items:{id:* owner:{name:* []:^} []:^} []:^}"},
		{"fan-out without item references", []StepSpec{src, {Name: "b", Service: "s", Path: "/b", ForEach: "steps.src.items", Into: "b"}},
			"{items:{} []:^}"},
		{"fan-out with an item indexed", []StepSpec{src, {Name: "b", Service: "s", Path: "/b/{item.0}", ForEach: "steps.src.items", Into: "b"}},
			"{items:* []:^}"},
		{"shaped by select and allow", []StepSpec{{Name: "src", Service: "s", Path: "/src", Into: "x",
			Select: "data", Allow: []string{"id", "items.name"}, Deny: []string{"items.name"}}},
			"{data:{id:* items:{name:* []:^} []:^} []:^}"},
		{"shaped by deny only", []StepSpec{{Name: "src", Service: "s", Path: "/src", Into: "x", Select: "data", Deny: []string{"a"}}},
			"{data:* []:^}"},
		{"merged", []StepSpec{{Name: "src", Service: "s", Path: "/src", Merge: true}}, ""},
		{"merged with an allow-list", []StepSpec{{Name: "src", Service: "s", Path: "/src", Merge: true, Allow: []string{"a"}}},
			"{a:* []:^}"},
		{"shaped and referenced", []StepSpec{{Name: "src", Service: "s", Path: "/src", Into: "x", Allow: []string{"a"}, Timeout: time.Second},
			{Name: "b", Service: "s", Path: "/b/{steps.src.z}", Into: "b"}}, "{a:* z:* []:^}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, PlanSpec{Budget: 5 * time.Second, Steps: tc.steps})
			st := p.steps[0]
			got := "-"
			switch {
			case st.needTree && st.reads == nil:
				got = ""
			case st.needTree:
				got = st.reads.String()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// withInto returns s placed under key.
func withInto(s StepSpec, key string) StepSpec {
	s.Into = key
	return s
}

func TestPartialDecodeInExecution(t *testing.T) {
	big := benchDoc(20 << 10)
	var gotPath string
	upstream := func(body string) *httptest.Server {
		return mustServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/src" {
				jsonHandler(body)(w, r)
				return
			}
			gotPath = r.URL.Path
			jsonHandler(`{"ok":true}`)(w, r)
		})
	}
	plan := func(path string) *Plan {
		return mustCompile(t, PlanSpec{
			Budget: 5 * time.Second,
			Steps: []StepSpec{
				{Name: "src", Service: "s", Path: "/src", Timeout: time.Second, Into: "src"},
				{Name: "b", Service: "s", Path: path, Into: "b"},
			},
		})
	}
	t.Run("one nested field of a big result", func(t *testing.T) {
		gotPath = ""
		d := mustDoer(t, map[string]*httptest.Server{"s": upstream(big)})
		res := mustExecute(t, context.Background(), plan("/b/{steps.src.plan.tier}/{steps.src.items.3.domain}"), nil, d)
		if res.Status != 200 {
			t.Fatalf("got status %d (%+v), want 200", res.Status, res.Steps)
		}
		if want := "/b/enterprise/cdn3.example.com"; gotPath != want {
			t.Errorf("got path %q, want %q", gotPath, want)
		}
		// The result is placed as the service sent it.
		if want := `{"src":` + big + `,"b":{"ok":true}}`; string(res.Body) != want {
			t.Errorf("got body %.80s..., want the result verbatim", res.Body)
		}
	})
	t.Run("invalid JSON after the wanted field", func(t *testing.T) {
		gotPath = ""
		d := mustDoer(t, map[string]*httptest.Server{"s": upstream(`{"plan":{"tier":"x"},"items":[1,2,}`)})
		res := mustExecute(t, context.Background(), plan("/b/{steps.src.plan.tier}"), nil, d)
		if res.Status != http.StatusBadGateway {
			t.Errorf("got status %d, want 502", res.Status)
		}
		if o := outcome(t, res, "src"); o.Kind != KindNotJSON {
			t.Errorf("got kind %s, want %s", o.Kind, KindNotJSON)
		}
		if gotPath != "" {
			t.Errorf("step b called %q, want no call", gotPath)
		}
	})
	t.Run("missing path", func(t *testing.T) {
		d := mustDoer(t, map[string]*httptest.Server{"s": upstream(big)})
		res := mustExecute(t, context.Background(), plan("/b/{steps.src.plan.nope}"), nil, d)
		if o := outcome(t, res, "b"); o.Kind != KindBadReference || !strings.Contains(o.Err.Error(), "is missing") {
			t.Errorf("got kind %s (%v), want %s: is missing", o.Kind, o.Err, KindBadReference)
		}
	})
	t.Run("index past the end", func(t *testing.T) {
		d := mustDoer(t, map[string]*httptest.Server{"s": upstream(`{"items":[{"id":"a"}]}`)})
		res := mustExecute(t, context.Background(), plan("/b/{steps.src.items.1.id|none}"), nil, d)
		if res.Status != 200 || gotPath != "/b/none" {
			t.Errorf("got status %d and path %q, want 200 and /b/none", res.Status, gotPath)
		}
	})
}

func TestReadTrees(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paths []readPath
		want  string // "" for nil: the whole result
	}{
		// A root or member may be an array, which a name maps over: "[]:^".
		{"references", []readPath{lk("a.b", true), lk("a.c", true), lk("d", true)}, "{a:{b:* c:* []:^} d:* []:^}"},
		{"a whole reference wins", []readPath{lk("a.b", true), {whole: true}}, ""},
		{"a prefix read whole", []readPath{lk("a.b", true), lk("a", true)}, "{a:* []:^}"},
		{"index", []readPath{lk("items.2.id", true)}, "{items:{2:{id:* []:^} [2]:{id:* []:^}} []:^}"},
		{"mapping", []readPath{lk("items.id", true)}, "{items:{id:* []:^} []:^}"},
		{"index with mapping", []readPath{lk("a.b", true), lk("a.0.c", true)},
			"{a:{0:{c:* []:^} b:* []:{b:* []:^} [0]:{b:* c:* []:^}} []:^}"},
		{"shape", []readPath{sh("items.id")}, "{items:{id:* []:^} []:^}"},
		{"shape never indexes", []readPath{sh("items.0")}, "{items:{0:* []:^} []:^}"},
		{"kind only", []readPath{lk("list", false)}, "{list:{} []:^}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := buildReads(tc.paths)
			got := ""
			if n != nil {
				got = n.String()
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReadTreeCapFallsBackToWholeDecode(t *testing.T) {
	// Index segments let paths advance at different speeds through nested
	// arrays; a dozen random paths of names and indices combine into more
	// sets than maxReadNodes.
	r := rand.New(rand.NewPCG(1, 2))
	var paths []readPath
	for range 12 {
		segs := make([]string, 16)
		for j := range segs {
			segs[j] = []string{"x", "0"}[r.IntN(2)]
		}
		paths = append(paths, lk(strings.Join(segs, "."), true))
	}
	if n := buildReads(paths); n != nil {
		t.Errorf("got a read tree for %d paths, want nil (decode whole)", len(paths))
	}
}

// lk returns a reference's read path.
func lk(s string, whole bool) readPath {
	p, err := parseFieldPath(s)
	if err != nil {
		panic(err)
	}
	return readPathOf(p, segLookup, whole)
}

// sh returns an allow-list's read path.
func sh(s string) readPath {
	p, err := parseFieldPath(s)
	if err != nil {
		panic(err)
	}
	return readPathOf(p, segShape, true)
}

// String describes n: members by name, "[]" for every element, "[k]" for
// element k; "*" reads everything, "-" nothing, "^" a node met on the way.
func (n *readNode) String() string {
	var b strings.Builder
	n.write(&b, make(map[*readNode]bool))
	return b.String()
}

func (n *readNode) write(b *strings.Builder, seen map[*readNode]bool) {
	switch {
	case n == nil:
		b.WriteString("-")
		return
	case n.all:
		b.WriteString("*")
		return
	case seen[n]:
		b.WriteString("^")
		return
	}
	seen[n] = true
	defer delete(seen, n)
	b.WriteByte('{')
	var parts []string
	for _, name := range sortedKeys(n.members) {
		var c strings.Builder
		n.members[name].write(&c, seen)
		parts = append(parts, name+":"+c.String())
	}
	if n.elems != nil {
		var c strings.Builder
		n.elems.write(&c, seen)
		parts = append(parts, "[]:"+c.String())
	}
	ks := make([]int, 0, len(n.index))
	for k := range n.index {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	for _, k := range ks {
		var c strings.Builder
		n.index[k].write(&c, seen)
		parts = append(parts, "["+strconv.Itoa(k)+"]:"+c.String())
	}
	b.WriteString(strings.Join(parts, " "))
	b.WriteByte('}')
}
