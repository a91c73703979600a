package analytics

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// DefaultMaxBatchBeacons is how many beacons a batch may hold when
// BatchLimits names no maximum.
const DefaultMaxBatchBeacons = 500

// maxSkipDepth bounds the nesting of a value DecodeBatch skips (one of an
// unknown field, or of the wrong type): no beacon field nests, so a deep
// value is an attack on the decoder, not a player's mistake.
const maxSkipDepth = 32

// Bounds of a beacon's event time, in Unix milliseconds: a time outside
// them is no player's clock. How far from the service's clock a beacon
// may be is the service's check, not the decoder's.
var (
	minBeaconTimeMS = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxBeaconTimeMS = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

// BatchLimits bound a batch document.
type BatchLimits struct {
	// MaxBeacons is how many beacons a batch may hold;
	// DefaultMaxBatchBeacons when zero or negative.
	MaxBeacons int
}

// ErrMalformedBatch is what a *BatchError matches with errors.Is.
var ErrMalformedBatch = errors.New("malformed beacon batch")

// BatchError is DecodeBatch's error: the body is not a batch document at
// all, so no beacon of it is decoded.
type BatchError struct {
	// Reason is "malformed" (not JSON, not an object, no beacons array,
	// an unknown member) or "too-many-beacons".
	Reason string
	// Detail says what is wrong in words safe to show: it never repeats
	// what the body holds, only where (a byte offset) and which rule.
	Detail string
}

// Error returns the detail.
func (e *BatchError) Error() string { return "beacon batch: " + e.Detail }

// Unwrap returns ErrMalformedBatch.
func (e *BatchError) Unwrap() error { return ErrMalformedBatch }

// DecodeBatch decodes the body of POST /v1/beacons, a JSON object
// {"beacons": [beacon, ...]}. Each beacon is an object with these
// members (snake_case names of Beacon's fields):
//
//	session_id    string, required: 1 to MaxSessionIDLen of A-Z a-z 0-9 - _
//	seq           integer, required: 0 to MaxSequence-1
//	time          integer, required: event time in Unix milliseconds, 2000 to 2100
//	content_id    string, required: 1 to MaxContentIDLen bytes
//	stream_type   string, required: live or vod
//	platform      string, required: web, android, ios, tv or other
//	player        string: at most MaxPlayerLen bytes
//	sdk_version   string: at most MaxVersionLen bytes
//	network       string: cellular, wifi, ethernet or other (absent: other)
//	cdn_bytes, p2p_bytes, upload_bytes   integers, 0 to MaxBytesDelta (absent: 0)
//	played_ms, buffered_ms               integers, 0 to MaxDurationDelta (absent: 0)
//	startup_ms    integer, 0 to MaxStartupMS, on seq 0 only (absent or null: -1)
//	error_code    string: at most MaxErrorCodeLen bytes (absent, null or "": none)
//
// Time is Unix milliseconds rather than RFC 3339 because every player has
// it (Date.now(), System.currentTimeMillis()) and it cannot carry a wrong
// offset. Strings are printable UTF-8 (no control characters, no invalid
// or replaced bytes) and lengths count bytes. Country and ISP are not in
// the body: they come from the edge's headers.
//
// A body that is not such a document, or holds more than
// limits.MaxBeacons beacons, is a *BatchError and nothing is decoded. A
// beacon that breaks a rule (not an object, an unknown or repeated
// member, a wrong type, a number out of range or not whole, an unknown
// enumerated value, a string too long or with bad characters, startup_ms
// on a seq other than 0) is refused with reason "invalid" and the
// pointer of the member ("/beacons/3/cdn_bytes"), or of the beacon
// ("/beacons/3") when it is not an object; a beacon whose (session_id,
// seq) an earlier accepted beacon of the batch has is refused with reason
// "duplicate-in-batch". The other beacons still decode. A beacon has at
// most one refusal, for the first problem found; details never repeat a
// value.
//
// The decoder is written by hand for speed (BenchmarkDecodeBatch has the
// figures against encoding/json); FuzzDecodeBatch holds it to
// decodeBatchSlow, which reads the same document with encoding/json's
// tokenizer.
func DecodeBatch(body []byte, limits BatchLimits) ([]Beacon, []Refusal, error) {
	if limits.MaxBeacons <= 0 {
		limits.MaxBeacons = DefaultMaxBatchBeacons
	}
	// One conversion, so that every string field without escapes is a
	// substring of it and costs no allocation.
	d := batchDecoder{s: string(body), max: limits.MaxBeacons}
	if err := d.document(); err != nil {
		return nil, nil, err
	}
	return d.beacons, d.refusals, nil
}

// batchDecoder reads one batch document.
type batchDecoder struct {
	s        string
	i        int
	max      int
	beacons  []Beacon
	refusals []Refusal
	seen     map[beaconKey]struct{}
}

// beaconKey identifies a beacon within a batch.
type beaconKey struct {
	session string
	seq     int64
}

func (d *batchDecoder) syntax(what string) error {
	return &BatchError{Reason: "malformed", Detail: "the body is not valid JSON: " + what + " at byte " + strconv.Itoa(d.i)}
}

func malformed(detail string) error { return &BatchError{Reason: "malformed", Detail: detail} }

// document reads {"beacons": [...]} and nothing after it.
func (d *batchDecoder) document() error {
	d.ws()
	if d.peek() != '{' {
		if _, err := d.value(0); err != nil {
			return err
		}
		if d.ws(); d.i < len(d.s) {
			return d.syntax("data after the document")
		}
		return malformed(`the body must be a JSON object {"beacons": [...]}`)
	}
	d.i++
	found := false
	for first := true; ; first = false {
		d.ws()
		if first && d.peek() == '}' {
			d.i++
			break
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.colon(); err != nil {
			return err
		}
		if key != "beacons" || found {
			if key == "beacons" {
				return malformed(`the body has "beacons" more than once`)
			}
			return malformed(`the body may have only the member "beacons"`)
		}
		found = true
		if err := d.array(); err != nil {
			return err
		}
		if done, err := d.next('}'); err != nil {
			return err
		} else if done {
			break
		}
	}
	if d.ws(); d.i < len(d.s) {
		return d.syntax("data after the document")
	}
	if !found {
		return malformed(`the body has no "beacons" array`)
	}
	return nil
}

// array reads the beacons array.
func (d *batchDecoder) array() error {
	d.ws()
	if d.peek() != '[' {
		if _, err := d.value(0); err != nil {
			return err
		}
		return malformed(`"beacons" must be an array`)
	}
	d.i++
	d.ws()
	if d.peek() == ']' {
		d.i++
		return nil
	}
	for index := 0; ; index++ {
		if index >= d.max {
			return &BatchError{Reason: "too-many-beacons",
				Detail: "a batch may hold at most " + strconv.Itoa(d.max) + " beacons"}
		}
		if err := d.beacon(index); err != nil {
			return err
		}
		if done, err := d.next(']'); err != nil {
			return err
		} else if done {
			return nil
		}
	}
}

// next reads the ',' between members or elements, or the closing
// bracket; done is true after the closing bracket.
func (d *batchDecoder) next(closing byte) (done bool, err error) {
	d.ws()
	switch d.peek() {
	case ',':
		d.i++
		return false, nil
	case closing:
		d.i++
		return true, nil
	}
	return false, d.syntax("expected ',' or '" + string(closing) + "'")
}

func (d *batchDecoder) colon() error {
	d.ws()
	if d.peek() != ':' {
		return d.syntax("expected ':'")
	}
	d.i++
	return nil
}

// beacon reads the beacon at index, appending it or its refusal.
func (d *batchDecoder) beacon(index int) error {
	d.ws()
	if d.peek() != '{' {
		if _, err := d.value(0); err != nil {
			return err
		}
		d.refuse(index, "", "invalid", "a beacon must be an object")
		return nil
	}
	d.i++
	var b beaconBuilder
	b.init()
	d.ws()
	if d.peek() == '}' {
		d.i++
	} else {
		for {
			d.ws()
			key, err := d.str()
			if err != nil {
				return err
			}
			if err := d.colon(); err != nil {
				return err
			}
			v, err := d.value(0)
			if err != nil {
				return err
			}
			b.set(key, v)
			if done, err := d.next('}'); err != nil {
				return err
			} else if done {
				break
			}
		}
	}
	d.finish(index, &b)
	return nil
}

// finish appends b's beacon, or its refusal.
func (d *batchDecoder) finish(index int, b *beaconBuilder) {
	if b.bad == nil {
		b.check()
	}
	if b.bad != nil {
		d.refuse(index, b.bad.field, "invalid", b.bad.detail)
		return
	}
	k := beaconKey{b.b.SessionID, b.b.Sequence}
	if d.seen == nil {
		d.seen = make(map[beaconKey]struct{}, d.sizeHint())
	}
	if _, dup := d.seen[k]; dup {
		d.refuse(index, "", "duplicate-in-batch", "an earlier beacon of the batch has the same session_id and seq")
		return
	}
	d.seen[k] = struct{}{}
	if d.beacons == nil {
		d.beacons = make([]Beacon, 0, d.sizeHint())
	}
	d.beacons = append(d.beacons, b.b)
}

// sizeHint guesses how many beacons the batch holds, from its length: a
// beacon takes 150 to 400 bytes.
func (d *batchDecoder) sizeHint() int {
	return min(d.max, len(d.s)/256+1)
}

// refuse records a refusal of the beacon at index; field is a member
// name, "" for the beacon.
func (d *batchDecoder) refuse(index int, field, reason, detail string) {
	p := "/beacons/" + strconv.Itoa(index)
	if field != "" {
		p += "/" + pointerToken(field)
	}
	d.refusals = append(d.refusals, Refusal{Index: index, Pointer: p, Reason: reason, Detail: detail})
}

func (d *batchDecoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *batchDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// jsonValue is a member's value: scalars with their text (a string
// decoded, a number as written), objects and arrays only by kind.
type jsonValue struct {
	kind jsonKind
	text string
}

type jsonKind uint8

const (
	kindString jsonKind = iota + 1
	kindNumber
	kindBool
	kindNull
	kindObject
	kindArray
)

// value reads any JSON value at nesting depth.
func (d *batchDecoder) value(depth int) (jsonValue, error) {
	d.ws()
	switch c := d.peek(); {
	case c == '"':
		s, err := d.str()
		return jsonValue{kindString, s}, err
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return jsonValue{}, malformed("the body nests more than " + strconv.Itoa(maxSkipDepth) + " levels")
		}
		d.i++
		closing, kind := byte('}'), kindObject
		if c == '[' {
			closing, kind = ']', kindArray
		}
		d.ws()
		if d.peek() == closing {
			d.i++
			return jsonValue{kind: kind}, nil
		}
		for {
			if kind == kindObject {
				d.ws()
				if _, err := d.str(); err != nil {
					return jsonValue{}, err
				}
				if err := d.colon(); err != nil {
					return jsonValue{}, err
				}
			}
			if _, err := d.value(depth + 1); err != nil {
				return jsonValue{}, err
			}
			if done, err := d.next(closing); err != nil {
				return jsonValue{}, err
			} else if done {
				return jsonValue{kind: kind}, nil
			}
		}
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return jsonValue{kindBool, "true"}, nil
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return jsonValue{kindBool, "false"}, nil
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return jsonValue{kind: kindNull}, nil
	}
	return jsonValue{}, d.syntax("expected a value")
}

// number reads a number (RFC 8259 §6) and returns its text.
func (d *batchDecoder) number() (jsonValue, error) {
	start := d.i
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case '1' <= c && c <= '9':
		for d.i++; d.i < len(d.s) && byteIsDigit(d.s[d.i]); d.i++ {
		}
	default:
		return jsonValue{}, d.syntax("malformed number")
	}
	if d.peek() == '.' {
		d.i++
		if !byteIsDigit(d.peek()) {
			return jsonValue{}, d.syntax("malformed number")
		}
		for d.i < len(d.s) && byteIsDigit(d.s[d.i]) {
			d.i++
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if !byteIsDigit(d.peek()) {
			return jsonValue{}, d.syntax("malformed number")
		}
		for d.i < len(d.s) && byteIsDigit(d.s[d.i]) {
			d.i++
		}
	}
	return jsonValue{kindNumber, d.s[start:d.i]}, nil
}

// str reads a string and returns it decoded: a substring of the body
// when it has no escapes.
func (d *batchDecoder) str() (string, error) {
	if d.peek() != '"' {
		return "", d.syntax("expected a string")
	}
	d.i++
	start := d.i
	for d.i < len(d.s) {
		switch c := d.s[d.i]; {
		case c == '"':
			d.i++
			return d.s[start : d.i-1], nil
		case c == '\\':
			return d.escapedStr(start)
		case c < 0x20:
			return "", d.syntax("control character in a string")
		}
		d.i++
	}
	return "", d.syntax("unterminated string")
}

// escapedStr finishes reading a string that has escapes, from start (just
// after its opening quote); d.i is at the first backslash.
func (d *batchDecoder) escapedStr(start int) (string, error) {
	buf := make([]byte, 0, d.i-start+16)
	buf = append(buf, d.s[start:d.i]...)
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), nil
		case c < 0x20:
			return "", d.syntax("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.s) {
			break
		}
		e := d.s[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.syntax("malformed \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A pair makes one rune; a lone half is U+FFFD, as
				// encoding/json decodes it.
				if strings.HasPrefix(d.s[d.i:], `\u`) {
					save := d.i
					d.i += 2
					r2, ok := d.hex4()
					if !ok {
						return "", d.syntax("malformed \\u escape")
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
					} else {
						r = utf8.RuneError
						d.i = save
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.syntax("malformed escape")
		}
	}
	return "", d.syntax("unterminated string")
}

// hex4 reads the four hex digits of a \u escape.
func (d *batchDecoder) hex4() (rune, bool) {
	if len(d.s)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// beaconBuilder applies a beacon's members as they come, and remembers
// its first problem. Both decoders use it, so they differ only in how
// they read JSON.
type beaconBuilder struct {
	b    Beacon
	seen uint32 // bit per field, beaconFields order
	bad  *beaconProblem
}

type beaconProblem struct {
	field, detail string
}

// beaconFields are the members of a beacon, in the order a missing one is
// reported.
var beaconFields = [...]string{"session_id", "seq", "time", "content_id", "stream_type", "platform", "player",
	"sdk_version", "network", "cdn_bytes", "p2p_bytes", "upload_bytes", "played_ms", "buffered_ms", "startup_ms",
	"error_code"}

// requiredFields has the bits of the members a beacon must have.
const requiredFields = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5

// fieldBit returns the index of key in beaconFields, -1 for none. A
// switch, which the compiler makes a binary search on length and bytes.
func fieldBit(key string) int {
	switch key {
	case "session_id":
		return 0
	case "seq":
		return 1
	case "time":
		return 2
	case "content_id":
		return 3
	case "stream_type":
		return 4
	case "platform":
		return 5
	case "player":
		return 6
	case "sdk_version":
		return 7
	case "network":
		return 8
	case "cdn_bytes":
		return 9
	case "p2p_bytes":
		return 10
	case "upload_bytes":
		return 11
	case "played_ms":
		return 12
	case "buffered_ms":
		return 13
	case "startup_ms":
		return 14
	case "error_code":
		return 15
	}
	return -1
}

func (b *beaconBuilder) init() {
	b.b.StartupMS = -1
	b.b.Network = NetworkOther
}

func (b *beaconBuilder) fail(field, detail string) {
	if b.bad == nil {
		b.bad = &beaconProblem{field, detail}
	}
}

// set applies one member. After the first problem it only looks for
// nothing: the beacon is refused for that one.
func (b *beaconBuilder) set(key string, v jsonValue) {
	if b.bad != nil {
		return
	}
	bit := fieldBit(key)
	if bit < 0 {
		if len(key) > 64 || !printableText(key) {
			b.fail("", "a beacon has a member that is not one of its fields")
		} else {
			b.fail(key, "is not a field of a beacon")
		}
		return
	}
	if b.seen&(1<<bit) != 0 {
		b.fail(key, "is given more than once")
		return
	}
	b.seen |= 1 << bit
	switch key {
	case "session_id":
		if s, ok := b.text(key, v, 1, MaxSessionIDLen); ok {
			if !bytesAll(s, byteIsIDChar) {
				b.fail(key, "must be 1 to 64 letters, digits, '-' or '_'")
				return
			}
			b.b.SessionID = s
		}
	case "seq":
		b.b.Sequence, _ = b.whole(key, v, 0, MaxSequence-1)
	case "time":
		if ms, ok := b.whole(key, v, minBeaconTimeMS, maxBeaconTimeMS); ok {
			b.b.Time = time.UnixMilli(ms).UTC()
		}
	case "content_id":
		b.b.ContentID, _ = b.text(key, v, 1, MaxContentIDLen)
	case "stream_type":
		switch s, _ := b.text(key, v, 1, 16); StreamType(s) {
		case StreamLive:
			b.b.StreamType = StreamLive
		case StreamVOD:
			b.b.StreamType = StreamVOD
		default:
			b.fail(key, "must be live or vod")
		}
	case "platform":
		switch s, _ := b.text(key, v, 1, 16); Platform(s) {
		case PlatformWeb, PlatformAndroid, PlatformIOS, PlatformTV, PlatformOther:
			b.b.Platform = Platform(s)
		default:
			b.fail(key, "must be web, android, ios, tv or other")
		}
	case "player":
		b.b.Player, _ = b.text(key, v, 0, MaxPlayerLen)
	case "sdk_version":
		b.b.SDKVersion, _ = b.text(key, v, 0, MaxVersionLen)
	case "network":
		switch s, _ := b.text(key, v, 1, 16); Network(s) {
		case NetworkCellular, NetworkWiFi, NetworkEthernet, NetworkOther:
			b.b.Network = Network(s)
		default:
			b.fail(key, "must be cellular, wifi, ethernet or other")
		}
	case "cdn_bytes":
		b.b.CDNBytes, _ = b.whole(key, v, 0, MaxBytesDelta)
	case "p2p_bytes":
		b.b.P2PBytes, _ = b.whole(key, v, 0, MaxBytesDelta)
	case "upload_bytes":
		b.b.UploadBytes, _ = b.whole(key, v, 0, MaxBytesDelta)
	case "played_ms":
		b.b.PlayedMS, _ = b.whole(key, v, 0, MaxDurationDelta)
	case "buffered_ms":
		b.b.BufferedMS, _ = b.whole(key, v, 0, MaxDurationDelta)
	case "startup_ms":
		if v.kind != kindNull {
			if ms, ok := b.whole(key, v, 0, MaxStartupMS); ok {
				b.b.StartupMS = ms
			}
		}
	case "error_code":
		if v.kind != kindNull {
			b.b.ErrorCode, _ = b.text(key, v, 0, MaxErrorCodeLen)
		}
	}
}

// check applies the rules between members, once all are read.
func (b *beaconBuilder) check() {
	if missing := requiredFields &^ b.seen; missing != 0 {
		for i, f := range beaconFields {
			if missing&(1<<i) != 0 {
				b.fail(f, "is required")
				return
			}
		}
	}
	if b.b.StartupMS >= 0 && b.b.Sequence != 0 {
		b.fail("startup_ms", "is allowed on the beacon of seq 0 only")
	}
}

// text checks a string member of min to max bytes of printable UTF-8.
func (b *beaconBuilder) text(key string, v jsonValue, min, max int) (string, bool) {
	switch {
	case v.kind != kindString:
		b.fail(key, "must be a string")
	case !printableText(v.text):
		b.fail(key, "must be printable UTF-8, without control characters")
	case len(v.text) < min:
		b.fail(key, "must not be empty")
	case len(v.text) > max:
		b.fail(key, "must be at most "+strconv.Itoa(max)+" bytes")
	default:
		return v.text, true
	}
	return "", false
}

// whole checks an integer member from min to max.
func (b *beaconBuilder) whole(key string, v jsonValue, min, max int64) (int64, bool) {
	if v.kind != kindNumber {
		b.fail(key, "must be a number")
		return 0, false
	}
	n, ok := parseWhole(v.text)
	if !ok {
		b.fail(key, "must be a whole number")
		return 0, false
	}
	if n < min || n > max {
		b.fail(key, "must be from "+strconv.FormatInt(min, 10)+" to "+strconv.FormatInt(max, 10))
		return 0, false
	}
	return n, true
}

// parseWhole reads the text of a JSON number as an integer: ok is false
// when it has a fraction or an exponent. A value too large for int64 is
// clamped, which every bound refuses.
func parseWhole(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if s == "" || !bytesAll(s, byteIsDigit) {
		return 0, false
	}
	n := int64(1) << 62 // more than 18 digits: far beyond every bound
	if len(s) <= 18 {
		n = 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int64(s[i]-'0')
		}
	}
	if neg {
		n = -n
	}
	return n, true
}
