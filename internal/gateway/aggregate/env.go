package aggregate

import (
	"encoding/json"
	"strconv"
)

// env is what references resolve against during one execution.
type env struct {
	in      *Input
	results []any // raw results (or fallbacks) by step index; read only for finished dependencies
	body    any   // the caller's decoded body, when the plan uses it
	item    any   // the current item, in a fan-out call
}

// refError is a reference that could not be resolved at run time; it fails
// the step with KindBadReference.
type refError struct {
	ref    *ref
	reason string
}

func (e *refError) Error() string { return "reference {" + e.ref.String() + "} " + e.reason }

// appendRef appends the scalar value of r, escaped for mode. A missing or
// null value takes the default when r has one, and is an error otherwise;
// an object or array is an error, as is an empty value in a path.
func (e *env) appendRef(dst []byte, r *ref, mode escMode) ([]byte, error) {
	n := len(dst)
	var err error
	switch r.ns {
	case nsPath, nsQuery:
		s, ok := e.param(r)
		if !ok {
			dst, err = e.missing(dst, r, mode, "is missing")
			break
		}
		dst = appendString(dst, s, mode)
	default:
		v, ok := e.tree(r)
		switch {
		case !ok:
			dst, err = e.missing(dst, r, mode, "is missing")
		case v == nil:
			dst, err = e.missing(dst, r, mode, "is null")
		default:
			if dst, ok = appendScalar(dst, v, mode); !ok {
				err = &refError{ref: r, reason: "is an object or array, not a scalar"}
			}
		}
	}
	if err == nil && mode == escPath && len(dst) == n {
		err = &refError{ref: r, reason: "is empty, which cannot be a path segment"}
	}
	return dst, err
}

func (e *env) missing(dst []byte, r *ref, mode escMode, reason string) ([]byte, error) {
	if r.hasDef {
		return appendString(dst, r.def, mode), nil
	}
	return dst, &refError{ref: r, reason: reason}
}

// param returns a path or query parameter.
func (e *env) param(r *ref) (string, bool) {
	if r.ns == nsPath {
		if e.in.Path == nil {
			return "", false
		}
		return e.in.Path.Lookup(r.name)
	}
	if vs := e.in.Query[r.name]; len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// tree resolves a reference to a JSON value. Parameters resolve to strings.
func (e *env) tree(r *ref) (any, bool) {
	switch r.ns {
	case nsPath, nsQuery:
		s, ok := e.param(r)
		return s, ok
	case nsIdentity:
		if e.in.Identity == nil {
			return nil, false
		}
		return lookup(e.in.Identity, r.path)
	case nsSteps:
		return lookup(e.results[r.step], r.path)
	case nsItem:
		return lookup(e.item, r.path)
	case nsBody:
		if e.body == nil {
			return nil, false
		}
		return lookup(e.body, r.path)
	}
	return nil, false
}

// value resolves r for insertion as a typed JSON value: a missing value
// takes the default (a string), a null stays null.
func (e *env) value(r *ref) (any, error) {
	v, ok := e.tree(r)
	if ok {
		return v, nil
	}
	if r.hasDef {
		return r.def, nil
	}
	return nil, &refError{ref: r, reason: "is missing"}
}

// appendScalar appends a string, number or boolean escaped for mode; it
// reports false for anything else.
func appendScalar(dst []byte, v any, mode escMode) ([]byte, bool) {
	var tmp [32]byte
	var num []byte
	switch x := v.(type) {
	case string:
		return appendString(dst, x, mode), true
	case json.Number:
		return appendString(dst, string(x), mode), true
	case bool:
		return appendString(dst, strconv.FormatBool(x), mode), true
	case float64:
		num = appendFloat(tmp[:0], x)
		if num == nil {
			return dst, false
		}
	case int:
		num = strconv.AppendInt(tmp[:0], int64(x), 10)
	case int64:
		num = strconv.AppendInt(tmp[:0], x, 10)
	case int32:
		num = strconv.AppendInt(tmp[:0], int64(x), 10)
	case uint64:
		num = strconv.AppendUint(tmp[:0], x, 10)
	default:
		return dst, false
	}
	return appendBytes(dst, num, mode), true
}
