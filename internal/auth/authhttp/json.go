package authhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/portico-gw/portico/internal/auth"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// decodeJSON reads r's body, at most MaxBodyBytes, into dst: one JSON
// object with no unknown fields and nothing after it.
func (h *Handler) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := h.readBody(w, r, "application/json")
	if err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// hasMediaType reports whether r's Content-Type is mediaType.
func hasMediaType(r *http.Request, mediaType string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == mediaType
}

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return problem.BadRequest("The body is not valid JSON of the expected shape: " + jsonProblem(err))
	}
	if dec.More() {
		return problem.BadRequest("The body holds more than one JSON value.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.BadRequest("The body holds more than one JSON value.")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return "field " + strconv.Quote(te.Field) + " has the wrong type"
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end"
	}
	if msg := err.Error(); len(msg) < 200 {
		return msg // "json: unknown field \"x\"" and the like
	}
	return "malformed"
}

// pageJSON is one page of a list, as every service answers it.
type pageJSON[T any] = httpjson.Page[T]

// pageRequest reads ?cursor= and ?limit= within MaxPageLimit.
func (h *Handler) pageRequest(r *http.Request) (auth.PageRequest, error) {
	cursor, limit, err := httpjson.PageParams(r, h.o.MaxPageLimit)
	return auth.PageRequest{Cursor: cursor, Limit: limit}, err
}

func toPage[T, J any](p auth.Page[T], conv func(T) J) pageJSON[J] {
	out := pageJSON[J]{Items: make([]J, len(p.Items)), NextCursor: p.NextCursor}
	for i, it := range p.Items {
		out.Items[i] = conv(it)
	}
	return out
}
