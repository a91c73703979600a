package configshttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// readJSON reads r's body, application/json of at most MaxBodyBytes. An
// empty body is allowed only when optional, and returned empty.
func (h *Handler) readJSON(w http.ResponseWriter, r *http.Request, optional bool) ([]byte, error) {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"The body must be application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, problem.BodyTooLarge("The body is too large.")
		}
		return nil, problem.BadRequest("The body could not be read.")
	}
	return body, nil
}

// decodeJSON reads r's body into dst: one JSON object with no unknown
// fields and nothing after it.
func (h *Handler) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) ([]byte, error) {
	body, err := h.readJSON(w, r, false)
	if err != nil {
		return nil, err
	}
	return body, decodeStrict(body, dst)
}

// decodeStrict decodes exactly one JSON value with no unknown fields. A
// field of the wrong type is named by a JSON Pointer in the "errors"
// extension.
func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
			return fieldsProblem(configs.FieldError{Pointer: "/" + strings.ReplaceAll(te.Field, ".", "/"), Detail: "has the wrong type"})
		}
		return problem.BadRequest("The body is not valid JSON of the expected shape: " + jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.BadRequest("The body holds more than one JSON value.")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end"
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok && len(name) <= 66 {
		return "unknown field " + name
	}
	return "malformed"
}

// fieldsProblem is a 400 invalid-argument problem listing invalid fields
// in its "errors" extension, in the shape configs.FieldError has.
func fieldsProblem(fields ...configs.FieldError) error {
	return problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument",
		"Fields of the request are invalid; see errors.").With("errors", fields)
}

// pageRequest reads ?cursor= and ?limit= within MaxPageLimit; no limit
// means MaxPageLimit.
func (h *Handler) pageRequest(r *http.Request) (configs.PageRequest, error) {
	cursor, limit, err := httpjson.PageParams(r, h.o.MaxPageLimit)
	return configs.PageRequest{Cursor: cursor, Limit: limit}, err
}
