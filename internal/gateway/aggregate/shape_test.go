package aggregate

import (
	"testing"
)

func TestShape(t *testing.T) {
	const doc = `{"id":1,"secret":"s","owner":{"name":"a","email":"e"},
		"items":[{"id":1,"tags":[{"k":"x","hidden":1},{"k":"y"}],"meta":{"a":1,"b":2}},{"id":2,"tags":"none"},3],
		"matrix":[[{"v":1,"w":2}],[{"v":3}]]}`
	for _, tc := range []struct {
		name    string
		sel     string
		allow   []string
		deny    []string
		rename  map[string]string
		want    string
		wantErr Kind
	}{
		{name: "select", sel: "owner", want: `{"name":"a","email":"e"}`},
		{name: "select through arrays", sel: "matrix.v", want: `[[1],[3]]`},
		{name: "select through a scalar element", sel: "items.id", wantErr: KindShape},
		{name: "select missing", sel: "nope", wantErr: KindShape},
		{name: "allow top", allow: []string{"id", "owner.name"}, want: `{"id":1,"owner":{"name":"a"}}`},
		{name: "allow through arrays", allow: []string{"items.tags.k"},
			want: `{"items":[{"tags":[{"k":"x"},{"k":"y"}]},{}]}`},
		{name: "allow nested arrays", allow: []string{"matrix.v"}, want: `{"matrix":[[{"v":1}],[{"v":3}]]}`},
		{name: "allow whole subtree", allow: []string{"items.meta"}, want: `{"items":[{"meta":{"a":1,"b":2}},{}]}`},
		{name: "deny", deny: []string{"secret", "owner.email", "items.tags.hidden", "items.meta.a", "matrix.w"},
			want: `{"id":1,"owner":{"name":"a"},"items":[{"id":1,"tags":[{"k":"x"},{"k":"y"}],"meta":{"b":2}},{"id":2,"tags":"none"},3],"matrix":[[{"v":1}],[{"v":3}]]}`},
		{name: "allow then deny", allow: []string{"owner"}, deny: []string{"owner.email"}, want: `{"owner":{"name":"a"}}`},
		{name: "rename nested", allow: []string{"owner", "items.tags"}, rename: map[string]string{"owner.name": "display", "items.tags.k": "key", "owner": "user"},
			want: `{"user":{"display":"a","email":"e"},"items":[{"tags":[{"key":"x","hidden":1},{"key":"y"}]},{"tags":"none"}]}`},
		{name: "rename conflict", rename: map[string]string{"secret": "id"}, wantErr: KindConflict},
		{name: "allow on scalar", sel: "id", allow: []string{"x"}, wantErr: KindShape},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh, errs := newShaper(tc.sel, tc.allow, tc.deny, tc.rename)
			if len(errs) > 0 {
				t.Fatalf("newShaper: %v", errs[0])
			}
			v := mustDecode(t, []byte(doc))
			got, err := sh.apply(v)
			if tc.wantErr != "" {
				se, ok := err.(*shapeError)
				if !ok || se.kind != tc.wantErr {
					t.Errorf("got error %v, want kind %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want %s", err, tc.want)
			}
			b, err := appendJSON(nil, got)
			if err != nil {
				t.Fatal(err)
			}
			wantJSON(t, b, tc.want)
		})
	}
}

func TestStaticKeys(t *testing.T) {
	sh, _ := newShaper("", []string{"a.x", "b", "c"}, []string{"c"}, map[string]string{"b": "bee"})
	keys, ok := sh.staticKeys()
	if got := keys; !ok || len(got) != 2 || got[0] != "a" || got[1] != "bee" {
		t.Errorf("got %v %v, want [a bee] true", got, ok)
	}
	sh, _ = newShaper("", nil, []string{"c"}, nil)
	if _, ok := sh.staticKeys(); ok {
		t.Errorf("got static keys without an allow-list, want none")
	}
}
