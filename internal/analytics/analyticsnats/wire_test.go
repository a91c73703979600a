package analyticsnats

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// TestWireRoundTrip: a batch decodes to what was encoded (at the stores'
// microseconds), and its message id does not depend on the receive time.
func TestWireRoundTrip(t *testing.T) {
	now := time.Date(2026, 3, 29, 1, 30, 0, 123456789, time.UTC)
	bs := accepted(t, now, "org_a", 3, 40)
	bs[0].ErrorCode, bs[1].Network, bs[2].Country, bs[2].ISP = "E1", "", "", ""
	body, err := encodeBeacons("org_a", bs)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	got, err := decodeBeacons(body, strconv.FormatInt(now.UnixMicro(), 10))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := make([]analytics.Ingested, len(bs))
	for i, b := range bs {
		b.Time, b.ReceivedAt = b.Time.Truncate(time.Microsecond), b.ReceivedAt.Truncate(time.Microsecond)
		want[i] = b
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got[0], want[0])
	}

	later := append([]analytics.Ingested(nil), bs...)
	for i := range later {
		later[i].ReceivedAt = now.Add(time.Minute)
	}
	again, _ := encodeBeacons("org_a", later)
	if msgID(again) != msgID(body) {
		t.Error("the same beacons received later got another message id")
	}
	other, _ := encodeBeacons("org_b", bs)
	if msgID(other) == msgID(body) {
		t.Error("the same beacons of another organization got the same message id")
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, c := range map[string]struct{ body, received string }{
		"no header":    {`{"v":1,"org":"o","b":[]}`, ""},
		"not json":     {`{`, "1"},
		"version":      {`{"v":2,"org":"o","b":[]}`, "1"},
		"organization": {`{"v":1,"org":"","b":[]}`, "1"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeBeacons([]byte(c.body), c.received); err == nil {
				t.Error("got nil error, want one")
			}
		})
	}
}

func TestGroupAndSubject(t *testing.T) {
	at := time.Unix(1000, 0).UTC()
	bs := []analytics.Ingested{{OrgID: "a", ReceivedAt: at}, {OrgID: "b", ReceivedAt: at}, {OrgID: "a", ReceivedAt: at},
		{OrgID: "a", ReceivedAt: at.Add(time.Second)}}
	var got []int
	for _, g := range groupBatch(bs) {
		got = append(got, len(g.beacons))
	}
	if want := []int{2, 1, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("group sizes got %v, want %v", got, want)
	}
	for org, want := range map[string]string{"org_Ab-1": "org_Ab-1", "a.b": "_612e62", "": "_", "*": "_2a"} {
		if got := subjectToken(org); got != want {
			t.Errorf("subjectToken(%q) got %q, want %q", org, got, want)
		}
	}
}
