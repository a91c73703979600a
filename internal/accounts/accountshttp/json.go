package accountshttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/accounts"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// decodeJSON reads r's body, application/json of at most MaxBodyBytes,
// into dst: one JSON object with no unknown fields and nothing after it.
func (h *Handler) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// readJSON reads r's body, application/json of at most MaxBodyBytes.
func (h *Handler) readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
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

// decodeStrict decodes exactly one JSON value with no unknown fields. A
// field of the wrong type is named by a JSON Pointer in the "errors"
// extension.
func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
			var fe fieldErrors
			fe.add("/"+strings.ReplaceAll(te.Field, ".", "/"), "has the wrong type")
			return fe.err()
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

// fieldError names one invalid field of a body by its JSON Pointer
// (RFC 6901).
type fieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// fieldErrors collect the invalid fields of a body.
type fieldErrors []fieldError

func (fe *fieldErrors) add(pointer, detail string) {
	*fe = append(*fe, fieldError{Pointer: pointer, Detail: detail})
}

// err returns nil when no field is invalid, or a 400 invalid-argument
// problem listing them in its "errors" extension.
func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return problem.New(http.StatusBadRequest, "invalid-argument", "Invalid argument",
		"Fields of the request are invalid; see errors.").With("errors", []fieldError(fe))
}

// timeOrNil returns t, or nil for the zero time so that it is left out.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// pageRequest reads ?cursor= and ?limit= within MaxPageLimit; no limit
// means MaxPageLimit.
func (h *Handler) pageRequest(r *http.Request) (accounts.PageRequest, error) {
	cursor, limit, err := httpjson.PageParams(r, h.o.MaxPageLimit)
	return accounts.PageRequest{Cursor: cursor, Limit: limit}, err
}
