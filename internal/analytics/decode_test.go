package analytics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// validBeaconJSON is a beacon with every field, at seq 0.
const validBeaconJSON = `{"session_id":"s-1_A","seq":0,"time":1781622000123,"content_id":"movie/42","stream_type":"vod",` +
	`"platform":"web","player":"hls.js/1.5.7","sdk_version":"2.3.0","network":"wifi","cdn_bytes":1000,` +
	`"p2p_bytes":3000,"upload_bytes":500,"played_ms":10000,"buffered_ms":250,"startup_ms":820,"error_code":"E42"}`

var validBeacon = Beacon{SessionID: "s-1_A", Sequence: 0, Time: time.UnixMilli(1781622000123).UTC(),
	ContentID: "movie/42", StreamType: StreamVOD, Platform: PlatformWeb, Player: "hls.js/1.5.7", SDKVersion: "2.3.0",
	Network: NetworkWiFi, CDNBytes: 1000, P2PBytes: 3000, UploadBytes: 500, PlayedMS: 10000, BufferedMS: 250,
	StartupMS: 820, ErrorCode: "E42"}

// minimalBeaconJSON has the required fields only.
func minimalBeaconJSON(seq int) string {
	return fmt.Sprintf(`{"session_id":"s2","seq":%d,"time":1781622000000,"content_id":"c","stream_type":"live","platform":"ios"}`, seq)
}

func batch(beacons ...string) []byte {
	return []byte(`{"beacons":[` + strings.Join(beacons, ",") + `]}`)
}

func TestDecodeBatchValid(t *testing.T) {
	got, refusals, err := DecodeBatch(batch(validBeaconJSON, minimalBeaconJSON(3)), BatchLimits{})
	if err != nil || len(refusals) != 0 {
		t.Fatalf("got %v, %+v", err, refusals)
	}
	minimal := Beacon{SessionID: "s2", Sequence: 3, Time: time.UnixMilli(1781622000000).UTC(), ContentID: "c",
		StreamType: StreamLive, Platform: PlatformIOS, Network: NetworkOther, StartupMS: -1}
	if want := []Beacon{validBeacon, minimal}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	// Escapes, white space, nulls for the optional fields.
	body := " \n{ \"beacons\" : [ {\"session_id\":\"s\\u0033\",\"seq\":0,\"time\":1781622000000,\"content_id\":\"caf\\u00e9 \\\"\\ud83c\\udfac\\\"\\/\\t\"," +
		"\"stream_type\":\"live\",\"platform\":\"tv\",\"startup_ms\":null,\"error_code\":null} ] } \r\n"
	got, refusals, err = DecodeBatch([]byte(body), BatchLimits{})
	if err != nil || len(refusals) != 1 {
		t.Fatalf("escapes: got %v, %+v", err, refusals)
	}
	if refusals[0].Pointer != "/beacons/0/content_id" { // a tab is a control character
		t.Errorf("escapes: got %+v", refusals[0])
	}
	got, refusals, err = DecodeBatch([]byte(strings.Replace(body, `\t`, ``, 1)), BatchLimits{})
	if err != nil || len(refusals) != 0 || len(got) != 1 {
		t.Fatalf("escapes: got %v, %+v", err, refusals)
	}
	if b := got[0]; b.SessionID != "s3" || b.ContentID != "café \"🎬\"/" || b.StartupMS != -1 || b.ErrorCode != "" {
		t.Errorf("escapes: got %+v", b)
	}

	for _, body := range []string{`{"beacons":[]}`, `{"beacons":[ ]}`} {
		got, refusals, err = DecodeBatch([]byte(body), BatchLimits{})
		if err != nil || len(got) != 0 || len(refusals) != 0 {
			t.Errorf("%s: got %v, %v, %v", body, got, refusals, err)
		}
	}
}

func TestDecodeBatchRefusals(t *testing.T) {
	with := func(field, value string) string { // validBeaconJSON with field set to value
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(validBeaconJSON), &m); err != nil {
			t.Fatal(err)
		}
		if value == "" {
			delete(m, field)
		} else {
			m[field] = json.RawMessage(value)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cases := []struct {
		name, beacon, pointer, detail string
	}{
		{"not an object", `[1,2]`, "", "must be an object"},
		{"a string", `"x"`, "", "must be an object"},
		{"null", `null`, "", "must be an object"},
		{"unknown field", with("country", `"FR"`), "/country", "not a field"},
		{"unknown field with slash", with("a/b~c", `1`), "/a~1b~0c", "not a field"},
		{"unprintable unknown field", with("a\u0001", `1`), "", "not one of its fields"},
		{"repeated field", strings.Replace(validBeaconJSON, `"seq":0,`, `"seq":0,"seq":0,`, 1), "/seq", "more than once"},
		{"missing session_id", with("session_id", ""), "/session_id", "required"},
		{"missing seq", with("seq", ""), "/seq", "required"},
		{"missing time", with("time", ""), "/time", "required"},
		{"missing content_id", with("content_id", ""), "/content_id", "required"},
		{"missing stream_type", with("stream_type", ""), "/stream_type", "required"},
		{"missing platform", with("platform", ""), "/platform", "required"},
		{"empty session_id", with("session_id", `""`), "/session_id", "empty"},
		{"long session_id", with("session_id", `"`+strings.Repeat("a", MaxSessionIDLen+1)+`"`), "/session_id", "at most 64"},
		{"session_id characters", with("session_id", `"a b"`), "/session_id", "letters, digits"},
		{"session_id unicode", with("session_id", `"é"`), "/session_id", "letters, digits"},
		{"session_id number", with("session_id", `42`), "/session_id", "must be a string"},
		{"seq negative", with("seq", `-1`), "/seq", "from 0 to 2147483647"},
		{"seq too large", with("seq", `2147483648`), "/seq", "from 0 to"},
		{"seq fraction", with("seq", `1.5`), "/seq", "whole number"},
		{"seq exponent", with("seq", `1e2`), "/seq", "whole number"},
		{"seq string", with("seq", `"1"`), "/seq", "must be a number"},
		{"seq huge", with("seq", `123456789012345678901234567890`), "/seq", "from 0 to"},
		{"seq huge negative", with("seq", `-123456789012345678901234567890`), "/seq", "from 0 to"},
		{"time string", with("time", `"2026-06-16T14:00:00Z"`), "/time", "must be a number"},
		{"time in seconds", with("time", `1781622000`), "/time", "from 946684800000"},
		{"time far", with("time", `4102444800001`), "/time", "from"},
		{"content_id empty", with("content_id", `""`), "/content_id", "empty"},
		{"content_id long", with("content_id", `"`+strings.Repeat("é", MaxContentIDLen/2+1)+`"`), "/content_id", "at most 256 bytes"},
		{"content_id control", with("content_id", `"a\nb"`), "/content_id", "printable"},
		{"content_id C1 control", with("content_id", `"a\u0085b"`), "/content_id", "printable"},
		{"content_id lone surrogate", with("content_id", `"a\ud800b"`), "/content_id", "printable"},
		{"stream_type", with("stream_type", `"LIVE"`), "/stream_type", "live or vod"},
		{"stream_type object", with("stream_type", `{"a":[1]}`), "/stream_type", "must be a string"},
		{"platform", with("platform", `"windows"`), "/platform", "web, android"},
		{"network", with("network", `"5g"`), "/network", "cellular, wifi"},
		{"network null", with("network", `null`), "/network", "must be a string"},
		{"player long", with("player", `"`+strings.Repeat("p", MaxPlayerLen+1)+`"`), "/player", "at most 64"},
		{"sdk_version long", with("sdk_version", `"`+strings.Repeat("1", MaxVersionLen+1)+`"`), "/sdk_version", "at most 32"},
		{"sdk_version bool", with("sdk_version", `true`), "/sdk_version", "must be a string"},
		{"cdn_bytes negative", with("cdn_bytes", `-1`), "/cdn_bytes", "from 0 to 1099511627776"},
		{"cdn_bytes over", with("cdn_bytes", `1099511627777`), "/cdn_bytes", "from 0"},
		{"p2p_bytes", with("p2p_bytes", `false`), "/p2p_bytes", "must be a number"},
		{"upload_bytes", with("upload_bytes", `1.0`), "/upload_bytes", "whole number"},
		{"played_ms", with("played_ms", `86400001`), "/played_ms", "from 0 to 86400000"},
		{"buffered_ms", with("buffered_ms", `-5`), "/buffered_ms", "from 0"},
		{"startup_ms", with("startup_ms", `600001`), "/startup_ms", "from 0 to 600000"},
		{"startup_ms on seq 1", with("seq", `1`), "/startup_ms", "seq 0 only"},
		{"error_code long", with("error_code", `"`+strings.Repeat("e", MaxErrorCodeLen+1)+`"`), "/error_code", "at most 64"},
		{"error_code array", with("error_code", `[]`), "/error_code", "must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			good := minimalBeaconJSON(7)
			got, refusals, err := DecodeBatch(batch(good, c.beacon, strings.Replace(good, `"seq":7`, `"seq":8`, 1)), BatchLimits{})
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if len(got) != 2 || got[0].Sequence != 7 || got[1].Sequence != 8 {
				t.Errorf("the other beacons: got %+v", got)
			}
			want := "/beacons/1" + c.pointer
			if len(refusals) != 1 || refusals[0].Index != 1 || refusals[0].Pointer != want || refusals[0].Reason != "invalid" ||
				!strings.Contains(refusals[0].Detail, c.detail) {
				t.Fatalf("got %+v, want pointer %s, detail with %q", refusals, want, c.detail)
			}
		})
	}
}

func TestDecodeBatchDuplicates(t *testing.T) {
	a0, a1 := minimalBeaconJSON(0), minimalBeaconJSON(1)
	bad := strings.Replace(a0, `"platform":"ios"`, `"platform":"x"`, 1) // refused, so it claims nothing
	got, refusals, err := DecodeBatch(batch(bad, a0, a1, a0, a0), BatchLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Sequence != 0 || got[1].Sequence != 1 {
		t.Errorf("got %+v", got)
	}
	want := []Refusal{
		{Index: 0, Pointer: "/beacons/0/platform", Reason: "invalid", Detail: "must be web, android, ios, tv or other"},
		{Index: 3, Pointer: "/beacons/3", Reason: "duplicate-in-batch", Detail: "an earlier beacon of the batch has the same session_id and seq"},
		{Index: 4, Pointer: "/beacons/4", Reason: "duplicate-in-batch", Detail: "an earlier beacon of the batch has the same session_id and seq"},
	}
	if !reflect.DeepEqual(refusals, want) {
		t.Errorf("got %+v\nwant %+v", refusals, want)
	}
}

func TestDecodeBatchMalformed(t *testing.T) {
	full := batch(strings.Split(strings.Repeat(minimalBeaconJSON(0)+";", 3), ";")[:3]...)
	cases := []struct {
		name, body, reason, detail string
		limits                     BatchLimits
	}{
		{name: "empty", body: ``, detail: "not valid JSON"},
		{name: "white space", body: " \n", detail: "not valid JSON"},
		{name: "not JSON", body: `beacons`, detail: "not valid JSON"},
		{name: "array", body: `[]`, detail: "must be a JSON object"},
		{name: "string", body: `"beacons"`, detail: "must be a JSON object"},
		{name: "number", body: `1`, detail: "must be a JSON object"},
		{name: "truncated", body: `{"beacons":[{"session_id":"a"`, detail: "not valid JSON"},
		{name: "unterminated string", body: `{"beacons":[{"session_id":"a}]}`, detail: "not valid JSON"},
		{name: "no beacons", body: `{}`, detail: `no "beacons"`},
		{name: "other member", body: `{"beacons":[],"v":1}`, detail: `only the member`},
		{name: "beacons twice", body: `{"beacons":[],"beacons":[]}`, detail: "more than once"},
		{name: "beacons not an array", body: `{"beacons":{}}`, detail: "must be an array"},
		{name: "beacons null", body: `{"beacons":null}`, detail: "must be an array"},
		{name: "trailing data", body: `{"beacons":[]} x`, detail: "after the document"},
		{name: "two documents", body: `{"beacons":[]}{"beacons":[]}`, detail: "after the document"},
		{name: "trailing comma", body: `{"beacons":[{},]}`, detail: "not valid JSON"},
		{name: "missing comma", body: `{"beacons":[{} {}]}`, detail: "not valid JSON"},
		{name: "leading zero", body: `{"beacons":[{"seq":01}]}`, detail: "not valid JSON"},
		{name: "bare minus", body: `{"beacons":[{"seq":-}]}`, detail: "malformed number"},
		{name: "bad literal", body: `{"beacons":[{"seq":nul}]}`, detail: "expected a value"},
		{name: "bad escape", body: `{"beacons":[{"a\x":1}]}`, detail: "malformed escape"},
		{name: "bad unicode escape", body: `{"beacons":[{"a\u12x4":1}]}`, detail: "\\u escape"},
		{name: "raw control character", body: "{\"beacons\":[{\"a\tb\":1}]}", detail: "control character"},
		{name: "single quotes", body: `{'beacons':[]}`, detail: "expected a string"},
		{name: "deep nesting", body: `{"beacons":[{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}]}`, detail: "nests more than"},
		{name: "too many", body: string(full), reason: "too-many-beacons", detail: "at most 2 beacons", limits: BatchLimits{MaxBeacons: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, refusals, err := DecodeBatch([]byte(c.body), c.limits)
			var be *BatchError
			if !errors.As(err, &be) || !errors.Is(err, ErrMalformedBatch) || got != nil || refusals != nil {
				t.Fatalf("got %v, %v, %v, want a *BatchError", got, refusals, err)
			}
			reason := c.reason
			if reason == "" {
				reason = "malformed"
			}
			if be.Reason != reason || !strings.Contains(be.Detail, c.detail) {
				t.Errorf("got %q %q, want %q with %q", be.Reason, be.Detail, reason, c.detail)
			}
		})
	}
	if _, _, err := DecodeBatch(full, BatchLimits{MaxBeacons: 3}); err != nil {
		t.Errorf("exactly the limit: got %v", err)
	}
	big := batch(strings.Split(strings.Repeat(minimalBeaconJSON(0)+";", DefaultMaxBatchBeacons+1), ";")[:DefaultMaxBatchBeacons+1]...)
	if _, _, err := DecodeBatch(big, BatchLimits{}); err == nil || !strings.Contains(err.Error(), "at most 500") {
		t.Errorf("default limit: got %v", err)
	}
}

// TestDecodeBatchEchoesNothing checks that no detail of a refusal or an
// error repeats what the body holds.
func TestDecodeBatchEchoesNothing(t *testing.T) {
	const m = "zqxjk"
	beacons := []string{
		`"` + m + `"`,
		`{"session_id":"` + m + ` ","seq":0}`,
		`{"session_id":"a","seq":0,"time":1781622000000,"content_id":"c","stream_type":"` + m + `","platform":"web"}`,
		`{"session_id":"a","seq":1,"time":1781622000000,"content_id":"c","stream_type":"live","platform":"` + m + `"}`,
		`{"session_id":"a","seq":2,"time":1781622000000,"content_id":"` + m + "\\u0000" + `","stream_type":"live","platform":"web"}`,
		`{"session_id":"a","seq":3,"time":"` + m + `"}`,
	}
	_, refusals, err := DecodeBatch(batch(beacons...), BatchLimits{})
	if err != nil || len(refusals) != len(beacons) {
		t.Fatalf("got %v, %+v", err, refusals)
	}
	for _, r := range refusals {
		if strings.Contains(r.Detail+r.Pointer, m) {
			t.Errorf("refusal echoes the body: %+v", r)
		}
	}
	for _, body := range []string{m, `{"` + m + `":1}`, `{"beacons":"` + m + `"}`, `{"beacons":[` + m + `]}`} {
		if _, _, err := DecodeBatch([]byte(body), BatchLimits{}); err == nil || strings.Contains(err.Error(), m) {
			t.Errorf("%s: got %v", body, err)
		}
	}
}

// decodeBatchSlow is DecodeBatch with encoding/json's tokenizer reading
// the JSON: obviously right about the syntax, and slow. It applies the
// beacon rules with the same beaconBuilder.
func decodeBatchSlow(body []byte, limits BatchLimits) ([]Beacon, []Refusal, error) {
	if limits.MaxBeacons <= 0 {
		limits.MaxBeacons = DefaultMaxBatchBeacons
	}
	errSlow := errors.New("malformed")
	d := batchDecoder{max: limits.MaxBeacons}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errSlow
	}
	found := false
	for dec.More() {
		if k, err := dec.Token(); err != nil || k != "beacons" || found {
			return nil, nil, errSlow
		}
		found = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil, nil, errSlow
		}
		for index := 0; dec.More(); index++ {
			if index >= d.max {
				return nil, nil, errSlow
			}
			t, err := dec.Token()
			if err != nil {
				return nil, nil, errSlow
			}
			if t != json.Delim('{') {
				if err := skipSlow(dec, t); err != nil {
					return nil, nil, errSlow
				}
				d.refuse(index, "", "invalid", "a beacon must be an object")
				continue
			}
			var b beaconBuilder
			b.init()
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, nil, errSlow
				}
				t, err := dec.Token()
				if err != nil {
					return nil, nil, errSlow
				}
				var v jsonValue
				switch t := t.(type) {
				case string:
					v = jsonValue{kindString, t}
				case json.Number:
					v = jsonValue{kindNumber, string(t)}
				case bool:
					v = jsonValue{kindBool, fmt.Sprint(t)}
				case nil:
					v = jsonValue{kind: kindNull}
				case json.Delim:
					v = jsonValue{kind: kindObject}
					if t == '[' {
						v.kind = kindArray
					}
					if err := skipSlow(dec, t); err != nil {
						return nil, nil, errSlow
					}
				}
				b.set(k.(string), v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, nil, errSlow
			}
			d.finish(index, &b)
		}
		if _, err := dec.Token(); err != nil {
			return nil, nil, errSlow
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, errSlow
	}
	if _, err := dec.Token(); err != io.EOF || !found {
		return nil, nil, errSlow
	}
	return d.beacons, d.refusals, nil
}

// skipSlow reads the rest of a value whose first token was t.
func skipSlow(dec *json.Decoder, t json.Token) error {
	if t != json.Delim('{') && t != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// checkBeacon fails when b breaks a bound of beacon.go.
func checkBeacon(tb testing.TB, b Beacon) {
	tb.Helper()
	printable := func(s string, min, max int) bool {
		return len(s) >= min && len(s) <= max && utf8.ValidString(s) && printableText(s)
	}
	switch {
	case !printable(b.SessionID, 1, MaxSessionIDLen) || strings.Trim(b.SessionID,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "":
		tb.Fatalf("session id %q", b.SessionID)
	case b.Sequence < 0 || b.Sequence >= MaxSequence:
		tb.Fatalf("seq %d", b.Sequence)
	case b.Time.Year() < 2000 || b.Time.Year() > 2100 || b.Time.Location() != time.UTC:
		tb.Fatalf("time %s", b.Time)
	case !printable(b.ContentID, 1, MaxContentIDLen):
		tb.Fatalf("content id %q", b.ContentID)
	case b.StreamType != StreamLive && b.StreamType != StreamVOD:
		tb.Fatalf("stream type %q", b.StreamType)
	case !strings.Contains(" web android ios tv other ", " "+string(b.Platform)+" ") || b.Platform == "":
		tb.Fatalf("platform %q", b.Platform)
	case !strings.Contains(" cellular wifi ethernet other ", " "+string(b.Network)+" ") || b.Network == "":
		tb.Fatalf("network %q", b.Network)
	case !printable(b.Player, 0, MaxPlayerLen) || !printable(b.SDKVersion, 0, MaxVersionLen) ||
		!printable(b.ErrorCode, 0, MaxErrorCodeLen):
		tb.Fatalf("player, sdk version or error code %+v", b)
	case b.CDNBytes < 0 || b.CDNBytes > MaxBytesDelta || b.P2PBytes < 0 || b.P2PBytes > MaxBytesDelta ||
		b.UploadBytes < 0 || b.UploadBytes > MaxBytesDelta:
		tb.Fatalf("bytes %+v", b)
	case b.PlayedMS < 0 || b.PlayedMS > MaxDurationDelta || b.BufferedMS < 0 || b.BufferedMS > MaxDurationDelta:
		tb.Fatalf("durations %+v", b)
	case b.StartupMS < -1 || b.StartupMS > MaxStartupMS || (b.StartupMS >= 0 && b.Sequence != 0):
		tb.Fatalf("startup %d at seq %d", b.StartupMS, b.Sequence)
	case b.Country != "" || b.ISP != "":
		tb.Fatalf("country or ISP from the body")
	}
}

func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{
		string(batch(validBeaconJSON, minimalBeaconJSON(1), minimalBeaconJSON(1), `[]`, `{}`)),
		`{"beacons":[{"session_id":"a\u0062","seq":-0,"time":1.5e12,"content_id":"\ud83c\udfac","stream_type":"live","platform":"web","x":{"y":[null,true,false]}}]}`,
		`{"beacons":[{"seq":1,"startup_ms":5,"session_id":"a","time":1781622000000,"content_id":"c","stream_type":"vod","platform":"tv"}]}`,
		`{"beacons":[` + strings.Repeat(`[`, 33) + strings.Repeat(`]`, 33) + `]}`,
		`{"beacons":[{"a\ud800":"\udc00\ud800x","seq":1e400}]} `,
		`[{"beacons":[]}]`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, max uint8) {
		limits := BatchLimits{MaxBeacons: int(max % 8)}
		got, refusals, err := DecodeBatch(body, limits)
		slowGot, slowRefusals, slowErr := decodeBatchSlow(body, limits)
		if err != nil {
			var be *BatchError
			if !errors.As(err, &be) || got != nil || refusals != nil {
				t.Fatalf("error %v with results", err)
			}
			if slowErr == nil && !strings.Contains(be.Detail, "nests more than") {
				t.Fatalf("fast: %v; slow: no error", err)
			}
			return
		}
		if slowErr != nil {
			t.Fatalf("fast: no error; slow: %v", slowErr)
		}
		if !reflect.DeepEqual(got, slowGot) || !reflect.DeepEqual(refusals, slowRefusals) {
			t.Fatalf("fast: %+v %+v\nslow: %+v %+v", got, refusals, slowGot, slowRefusals)
		}
		seen := map[int]bool{}
		last := -1
		for _, r := range refusals {
			if r.Index <= last || seen[r.Index] || !strings.HasPrefix(r.Pointer, fmt.Sprintf("/beacons/%d", r.Index)) ||
				r.Reason == "" || r.Detail == "" {
				t.Fatalf("refusal %+v after index %d", r, last)
			}
			seen[r.Index], last = true, r.Index
		}
		most := limits.MaxBeacons
		if most == 0 {
			most = DefaultMaxBatchBeacons
		}
		if last >= most || len(got)+len(refusals) > most {
			t.Fatalf("%d beacons and %d refusals over a maximum of %d", len(got), len(refusals), most)
		}
		keys := map[beaconKey]bool{}
		for _, b := range got {
			checkBeacon(t, b)
			if k := (beaconKey{b.SessionID, b.Sequence}); keys[k] {
				t.Fatalf("duplicate %v", k)
			} else {
				keys[k] = true
			}
		}
	})
}

// benchBatch is a batch of n realistic beacons: n/10 sessions of ten
// heartbeats.
func benchBatch(n int) []byte {
	beacons := make([]string, n)
	for i := range beacons {
		startup := ""
		if i%10 == 0 {
			startup = `,"startup_ms":740`
		}
		beacons[i] = fmt.Sprintf(`{"session_id":"3f2a9c1e-7b4d-4e8f-9a0b-%012d","seq":%d,"time":%d,`+
			`"content_id":"live/channel-%d","stream_type":"live","platform":"web","player":"hls.js/1.5.7",`+
			`"sdk_version":"2.3.0","network":"wifi","cdn_bytes":%d,"p2p_bytes":%d,"upload_bytes":%d,`+
			`"played_ms":10000,"buffered_ms":%d%s}`,
			i/10, i%10, 1781622000000+int64(i)*1000, i%7, 1200000+i*31, 3400000+i*17, 800000+i, i%3*120, startup)
	}
	return batch(beacons...)
}

// BenchmarkDecodeBatch decodes a batch of 100 beacons; ns/beacon is the
// figure to quote. The "encoding/json" case is what the library costs for
// the same document (decoded into tagged structs, without the checks, so
// less than a full decoder with them would).
func BenchmarkDecodeBatch(b *testing.B) {
	body := benchBatch(100)
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			got, refusals, err := DecodeBatch(body, BatchLimits{})
			if err != nil || len(got) != 100 || len(refusals) != 0 {
				b.Fatalf("got %d, %v, %v", len(got), refusals, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/beacon")
	})
	b.Run("encoding/json", func(b *testing.B) {
		type wire struct {
			SessionID   string  `json:"session_id"`
			Seq         int64   `json:"seq"`
			Time        int64   `json:"time"`
			ContentID   string  `json:"content_id"`
			StreamType  string  `json:"stream_type"`
			Platform    string  `json:"platform"`
			Player      string  `json:"player"`
			SDKVersion  string  `json:"sdk_version"`
			Network     string  `json:"network"`
			CDNBytes    int64   `json:"cdn_bytes"`
			P2PBytes    int64   `json:"p2p_bytes"`
			UploadBytes int64   `json:"upload_bytes"`
			PlayedMS    int64   `json:"played_ms"`
			BufferedMS  int64   `json:"buffered_ms"`
			StartupMS   *int64  `json:"startup_ms"`
			ErrorCode   *string `json:"error_code"`
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var doc struct {
				Beacons []wire `json:"beacons"`
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&doc); err != nil || len(doc.Beacons) != 100 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/beacon")
	})
}

func TestFieldBit(t *testing.T) {
	for i, f := range beaconFields {
		if got := fieldBit(f); got != i {
			t.Errorf("fieldBit(%q) = %d, want %d", f, got, i)
		}
	}
	if got := fieldBit("country"); got != -1 {
		t.Errorf("fieldBit(country) = %d", got)
	}
}
