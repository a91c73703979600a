package aggregate

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// maxNesting is encoding/json's limit on nested arrays and objects, which
// decodePartial keeps so that it accepts exactly what decodeJSON accepts.
const maxNesting = 10000

// decodePartial decodes what n reads of the JSON value in b, with the
// values decodeJSON gives (numbers as json.Number, the last of duplicate
// members), and validates the rest without materialising it. It accepts
// exactly the documents json.Valid accepts.
func decodePartial(b []byte, n *readNode) (any, error) {
	d := partialDecoder{b: b}
	d.space()
	v, err := d.value(n)
	if err != nil {
		return nil, err
	}
	if d.space(); d.i < len(b) {
		return nil, d.fail("data after the JSON value")
	}
	return v, nil
}

// validJSON reports whether b is one JSON value, as json.Valid does, in
// about a third of its time (decodePartial materialising nothing).
func validJSON(b []byte) bool {
	_, err := decodePartial(b, nil)
	return err == nil
}

// partialDecoder is a recursive-descent JSON parser over one document.
type partialDecoder struct {
	b     []byte
	i     int // the next byte to read
	depth int // arrays and objects open
}

// syntaxError is a document decodePartial rejects.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

func (d *partialDecoder) fail(msg string) error { return &syntaxError{msg: msg, off: d.i} }

// space skips JSON whitespace.
func (d *partialDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value parses one value; n says what of it to materialise (nil: nothing).
func (d *partialDecoder) value(n *readNode) (any, error) {
	if d.i >= len(d.b) {
		return nil, d.fail("unexpected end of input")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(n)
	case c == '[':
		return d.array(n)
	case c == '"':
		start := d.i
		plain, err := d.str()
		if err != nil || n == nil {
			return nil, err
		}
		s, err := unquote(d.b[start:d.i], plain)
		return s, err
	case c == '-' || '0' <= c && c <= '9':
		start := d.i
		if err := d.number(); err != nil || n == nil {
			return nil, err
		}
		return json.Number(d.b[start:d.i]), nil
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.fail("not the start of a value")
}

// open enters an array or object.
func (d *partialDecoder) open() error {
	if d.depth++; d.depth > maxNesting {
		return d.fail("nested too deeply")
	}
	d.i++
	d.space()
	return nil
}

// object parses an object, keeping the members n reads.
func (d *partialDecoder) object(n *readNode) (any, error) {
	if err := d.open(); err != nil {
		return nil, err
	}
	var m map[string]any
	if n != nil {
		m = make(map[string]any)
	}
	if d.closes('}') {
		return orNil(m, n), nil
	}
	for {
		name, c, err := d.memberName(n)
		if err != nil {
			return nil, err
		}
		v, err := d.value(c)
		if err != nil {
			return nil, err
		}
		if c != nil {
			m[name] = v // a later duplicate replaces an earlier one, as in encoding/json
		}
		if d.comma() {
			continue
		}
		if d.closes('}') {
			return orNil(m, n), nil
		}
		return nil, d.fail("want ',' or '}' in an object")
	}
}

// memberName parses a member's name and the colon after it. It returns the
// name and its node when n reads the member, and nil otherwise.
func (d *partialDecoder) memberName(n *readNode) (string, *readNode, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", nil, d.fail("want a member name")
	}
	start := d.i
	plain, err := d.str()
	if err != nil {
		return "", nil, err
	}
	q := d.b[start:d.i]
	var name string
	var c *readNode
	switch {
	case n == nil || !n.all && n.members == nil:
	case plain && !n.all:
		// Most names are plain; looking one up does not allocate.
		if c = n.members[string(q[1:len(q)-1])]; c != nil {
			name = string(q[1 : len(q)-1])
		}
	default:
		if name, err = unquote(q, plain); err != nil {
			return "", nil, err
		}
		c = n.member(name)
	}
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		return "", nil, d.fail("want ':' after a member name")
	}
	d.i++
	d.space()
	return name, c, nil
}

// array parses an array, keeping every element (nil for one n does not
// read) so that indices and the length stay.
func (d *partialDecoder) array(n *readNode) (any, error) {
	if err := d.open(); err != nil {
		return nil, err
	}
	var a []any
	if n != nil {
		a = make([]any, 0)
	}
	if d.closes(']') {
		return orNil(a, n), nil
	}
	for k := 0; ; k++ {
		var c *readNode
		if n != nil {
			c = n.elem(k)
		}
		v, err := d.value(c)
		if err != nil {
			return nil, err
		}
		if n != nil {
			a = append(a, v)
		}
		if d.comma() {
			continue
		}
		if d.closes(']') {
			return orNil(a, n), nil
		}
		return nil, d.fail("want ',' or ']' in an array")
	}
}

// comma consumes the whitespace after a member or element, and a comma
// and the whitespace after it if there is one.
func (d *partialDecoder) comma() bool {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ',' {
		d.i++
		d.space()
		return true
	}
	return false
}

// closes consumes end, which closes the innermost array or object, if it
// is next.
func (d *partialDecoder) closes(end byte) bool {
	if d.i < len(d.b) && d.b[d.i] == end {
		d.i++
		d.depth--
		return true
	}
	return false
}

// orNil returns v, or nil (not a nil map or slice in an interface) when n
// reads nothing of it.
func orNil[T any](v T, n *readNode) any {
	if n == nil {
		return nil
	}
	return v
}

// plainByte marks the bytes a string holds as they are: not '"', '\\', a
// control character or a byte of a multi-byte UTF-8 sequence.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str parses a string. It reports whether the string's content is its
// text as written: no escapes and valid UTF-8. Plain bytes are skipped
// eight at a time (see special), which is most of the work of validating
// an answer nothing reads.
func (d *partialDecoder) str() (bool, error) {
	// b and i are locals in the loop, which the compiler keeps in
	// registers, where d's fields went through memory on every step.
	b, i := d.b, d.i+1
	start := i
	escaped, multibyte := false, false
	for {
		if len(b)-i >= 8 {
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			// The lowest marked byte is exact (see special): b[i] is
			// not plain.
			i += bits.TrailingZeros64(m) >> 3
		} else {
			// The document's last bytes, one at a time.
			for i < len(b) && plainByte[b[i]] {
				i++
			}
			if i == len(b) {
				break
			}
		}
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			if multibyte && !escaped {
				return utf8.Valid(b[start:i]), nil
			}
			return !escaped, nil
		case c == '\\':
			escaped = true
			d.i = i
			if err := d.escape(); err != nil {
				return false, err
			}
			i = d.i
		case c < 0x20:
			d.i = i
			return false, d.fail("control character in a string")
		default:
			multibyte = true
			i++
		}
	}
	d.i = i
	return false, d.fail("unterminated string")
}

// special marks, in the high bit of each byte, the bytes of w (eight bytes
// of a string, the first in the lowest) that are not plain (see plainByte):
// '"', '\\', a control character or a byte of 0x80 and above. A marked
// byte may be falsely marked only above a truly marked one (the borrow of
// the subtraction runs upwards), so the lowest marked byte is exact.
func special(w uint64) uint64 {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	quote := w ^ (ones * '"')
	slash := w ^ (ones * '\\')
	control := (w - ones*0x20) &^ w
	return (control | (quote-ones)&^quote | (slash-ones)&^slash | w) & highs
}

// escape parses one escape sequence in a string.
func (d *partialDecoder) escape() error {
	d.i++
	if d.i >= len(d.b) {
		return d.fail("unterminated string")
	}
	switch d.b[d.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		d.i++
		return nil
	case 'u':
		d.i++
		for range 4 {
			if d.i >= len(d.b) || !isHex(d.b[d.i]) {
				return d.fail(`bad \u escape`)
			}
			d.i++
		}
		return nil
	}
	return d.fail("bad escape")
}

// number parses a number.
func (d *partialDecoder) number() error {
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.digits() == 0:
		return d.fail("bad number")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return d.fail("bad number")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return d.fail("bad number")
		}
	}
	return nil
}

// digits skips decimal digits and returns how many there were.
func (d *partialDecoder) digits() int {
	start := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// literal parses true, false or null.
func (d *partialDecoder) literal(word string) error {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return d.fail("bad literal")
	}
	d.i += len(word)
	return nil
}

// unquote returns the string a parsed JSON string (quotes included)
// stands for; plain says it is its text as written. Escapes and invalid
// UTF-8, which are rarer, go through encoding/json, so that the result is
// the one decodeJSON gives.
func unquote(q []byte, plain bool) (string, error) {
	if plain {
		return string(q[1 : len(q)-1]), nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", fmt.Errorf("decode string: %w", err)
	}
	return s, nil
}

var _ error = (*syntaxError)(nil)
