package configs_test

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/identity"
)

func TestDefaultSettingsValid(t *testing.T) {
	if errs := configs.ValidateSettings(configs.DefaultSettings()); errs != nil {
		t.Errorf("default settings: %v", errs)
	}
}

func TestBypassSettings(t *testing.T) {
	eff, err := configs.EffectiveSettings([]byte(`{"activation_ratio":0.5,"p2p":{"cellular":{"download":true}},"geo":{"deny":["FR"]}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := configs.BypassSettings(eff)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"activation_ratio":0.5,"geo":{"deny":["FR"]},"p2p":{"cellular":{"download":false,"upload":false},"wifi_ethernet":{"download":false,"upload":false}}}`
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if errs := configs.ValidateSettings(got); errs != nil {
		t.Errorf("bypassed settings are invalid: %v", errs)
	}
	// The override is not shared between calls.
	again, _ := configs.BypassSettings([]byte(`{}`))
	if string(again) != `{"p2p":{"cellular":{"download":false,"upload":false},"wifi_ethernet":{"download":false,"upload":false}}}` {
		t.Errorf("second call: got %s", again)
	}
}

func TestDiffApplies(t *testing.T) {
	docs := []string{
		`{}`,
		`{"activation_ratio":1,"geo":{"allow":["FR","DE"]}}`,
		`{"activation_ratio":0.5,"geo":{"allow":["DE"]},"properties":{"a~b/c":{"activation_threshold":2}}}`,
		`{"enterprise_sites":[{"name":"hq","public_ips":["192.0.2.1"]},{"name":"b","public_ips":["192.0.2.2"]}]}`,
		`{"enterprise_sites":[{"name":"b","public_ips":["192.0.2.2"]}]}`,
	}
	for _, from := range docs {
		for _, to := range docs {
			patch, err := configs.Diff([]byte(from), []byte(to))
			if err != nil {
				t.Fatalf("diff %s -> %s: %v", from, to, err)
			}
			p, err := jsonpatch.DecodePatch(patch)
			if err != nil {
				t.Fatalf("decode %s: %v", patch, err)
			}
			got, err := p.Apply([]byte(from))
			if err != nil {
				t.Fatalf("apply %s to %s: %v", patch, from, err)
			}
			if !jsonpatch.Equal(got, []byte(to)) {
				t.Errorf("%s -> %s: patch %s gives %s", from, to, patch, got)
			}
			if from == to && string(patch) != `[]` {
				t.Errorf("equal documents: got patch %s, want []", patch)
			}
		}
	}
}

func TestNewPrincipal(t *testing.T) {
	for name, c := range map[string]struct {
		claims identity.Claims
		ok     bool
		orgs   map[string]configs.Role
		staff  bool
	}{
		"person": {identity.Claims{Subject: "usr_1", Kind: identity.KindUser, Staff: true,
			Orgs: []identity.OrgRole{{ID: "org_a", Role: "editor"}, {ID: "org_b", Role: "owner"}}}, true,
			map[string]configs.Role{"org_a": "editor", "org_b": "owner"}, true},
		"api key": {identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey, Staff: true, Scopes: []string{"configs:read"},
			Orgs: []identity.OrgRole{{ID: "org_a", Role: "scoped"}}}, true, map[string]configs.Role{"org_a": "scoped"}, false},
		"client by org_id": {identity.Claims{Subject: "cli_1", Kind: identity.KindClient, OrgID: "org_a"}, true,
			map[string]configs.Role{"org_a": "scoped"}, false},
		"client in two orgs": {identity.Claims{Subject: "cli_1", Kind: identity.KindClient,
			Orgs: []identity.OrgRole{{ID: "org_a", Role: "scoped"}, {ID: "org_b", Role: "scoped"}}}, false, nil, false},
		"key with a person's role": {identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey,
			Orgs: []identity.OrgRole{{ID: "org_a", Role: "owner"}}}, false, nil, false},
		"no org":       {identity.Claims{Subject: "key_1", Kind: identity.KindAPIKey}, false, nil, false},
		"bad subject":  {identity.Claims{Subject: "a b", Kind: identity.KindUser}, false, nil, false},
		"unknown kind": {identity.Claims{Subject: "x", Kind: "robot"}, false, nil, false},
	} {
		p, err := configs.NewPrincipal(&c.claims)
		if !c.ok {
			if configs.Code(err) != configs.ErrForbidden {
				t.Errorf("%s: got %v, want ErrForbidden", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, _ := json.Marshal(p.Orgs)
		want, _ := json.Marshal(c.orgs)
		if string(got) != string(want) || p.Staff != c.staff {
			t.Errorf("%s: got orgs %s staff %v, want %s %v", name, got, p.Staff, want, c.staff)
		}
	}
}
