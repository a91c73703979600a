package analyticshttp

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"slices"
	"sync"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/platform/httpjson"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// Request headers of a beacon batch.
const (
	// DeliveryKeyHeader carries the integration's delivery key. A header
	// is preferred to the query parameter DeliveryKeyParam, which only
	// navigator.sendBeacon needs (it sets no header): URLs are recorded by
	// every proxy's access log on the way. The key is public (players
	// embed it), so neither leaks a secret.
	DeliveryKeyHeader = "Portico-Delivery-Key"
	// DeliveryKeyParam is the query parameter that carries the delivery
	// key when DeliveryKeyHeader is absent, as from a page being closed
	// that sends its last beacons with navigator.sendBeacon.
	DeliveryKeyParam = "key"
	// BundleIDHeader carries an app's bundle id: an app sends no Origin.
	BundleIDHeader = "Portico-Bundle-Id"
)

// CORS answers of POST /v1/beacons: players post from customers' pages,
// cross-origin, with a JSON body and the key header, so browsers ask
// first. Browsers cap Access-Control-Max-Age (Chromium at two hours);
// a day is the most any honours.
var (
	preflightMethods = []string{"POST"}
	preflightHeaders = []string{"Content-Type, " + DeliveryKeyHeader + ", " + BundleIDHeader}
	preflightMaxAge  = []string{"86400"}
	preflightVary    = []string{"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}
	allowedMethods   = []string{"OPTIONS, POST"}
	varyOrigin       = []string{"Origin"}
)

// ingestAnswer is the answer to a batch of which something was stored, or
// all of which was stored already.
type ingestAnswer struct {
	Accepted   int                 `json:"accepted"`
	Duplicates int                 `json:"duplicates"`
	Refused    []analytics.Refusal `json:"refused"`
}

// postBeacons serves POST /v1/beacons: a batch of beacons from a player,
// {"beacons": [...]} (analytics.DecodeBatch), for the integration whose
// delivery key is in DeliveryKeyHeader. The Service checks the key, the
// page's Origin (or, from an app, BundleIDHeader) and every beacon, and
// stores the valid ones; country and ISP come from the trusted headers
// Options names.
//
// The answer is 200 with the counts and every refused beacon (its index,
// pointer, reason and detail) when a beacon was stored or all the valid
// ones were stored already (a retry); 422 invalid-beacons, listing the
// same refusals, when every beacon was refused. A whole batch is refused
// with 404 (unknown key), 403 beacons-refused (disabled integration,
// origin or app not allowed), 413 (body or batch too large), 400
// (malformed), 415 (not JSON), 429 slow-down with Retry-After (too many
// beacons wait to be written) or 503 with Retry-After (the key cannot be
// checked now), each with a "reason" where one applies. An allowed
// Origin is echoed in Access-Control-Allow-Origin; a refused one is not,
// so another site's page cannot read the answer.
func (h *Handler) postBeacons(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd["Vary"] = varyOrigin
	key := r.Header.Get(DeliveryKeyHeader)
	if key == "" {
		key = r.URL.Query().Get(DeliveryKeyParam)
	}
	if key == "" {
		h.fail(w, r, problem.BadRequest("Send the integration's delivery key in the "+DeliveryKeyHeader+" header (or, from navigator.sendBeacon, the "+DeliveryKeyParam+" query parameter)."))
		return
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	body, err := h.readBatch(w, r, buf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	beacons, refused, err := analytics.DecodeBatch(body, analytics.BatchLimits{MaxBeacons: h.o.MaxBatch})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	origin := r.Header.Get("Origin")
	res, err := h.svc.Ingest(r.Context(), analytics.IngestRequest{
		DeliveryKey: key,
		Origin:      origin,
		BundleID:    r.Header.Get(BundleIDHeader),
		Beacons:     beacons,
		Refused:     refused,
		Indexes:     beaconIndexes(len(beacons), refused),
		Country:     r.Header.Get(h.o.CountryHeader),
		ISP:         r.Header.Get(h.o.ISPHeader),
		ReceivedAt:  h.o.Now(),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if origin != "" {
		// Ingest refuses a batch whose origin its integration does not
		// allow; this one was allowed.
		hd["Access-Control-Allow-Origin"] = []string{origin}
	}
	slices.SortFunc(res.Refused, func(a, b analytics.Refusal) int { return a.Index - b.Index })
	if res.Accepted == 0 && res.Duplicates == 0 && len(res.Refused) > 0 {
		h.fail(w, r, problem.New(http.StatusUnprocessableEntity, ProblemInvalidBeacons, "Invalid beacons",
			"No beacon of the batch could be stored; see refused.").With("refused", res.Refused))
		return
	}
	if res.Refused == nil {
		res.Refused = []analytics.Refusal{}
	}
	httpjson.Write(w, http.StatusOK, ingestAnswer{Accepted: res.Accepted, Duplicates: res.Duplicates, Refused: res.Refused})
}

// preflightBeacons answers OPTIONS /v1/beacons. A CORS preflight gets the
// method and headers a batch needs, for any Origin: a preflight carries
// no header values, so no delivery key, and the origin cannot be checked
// against an integration until the batch itself comes. That check is
// the one that matters: a refused origin's batch stores nothing and its
// answer is not readable by the page.
func (h *Handler) preflightBeacons(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd["Allow"] = allowedMethods
	if origin := r.Header.Get("Origin"); origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		hd["Access-Control-Allow-Origin"] = []string{origin}
		hd["Access-Control-Allow-Methods"] = preflightMethods
		hd["Access-Control-Allow-Headers"] = preflightHeaders
		hd["Access-Control-Max-Age"] = preflightMaxAge
		hd["Vary"] = preflightVary
	}
	w.WriteHeader(http.StatusNoContent)
}

// readBatch reads the body of a batch: application/json, or text/plain
// (what navigator.sendBeacon sends a string as; the body is the same JSON
// document), of at most MaxBodyBytes, into buf.
func (h *Handler) readBatch(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "text/plain") {
		return nil, problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"The body must be application/json (or text/plain holding the same JSON, from navigator.sendBeacon).")
	}
	if r.ContentLength > h.o.MaxBodyBytes {
		return nil, problem.BodyTooLarge("The body is larger than the service accepts.")
	}
	if r.ContentLength > 0 {
		// Room for the whole body and the read that finds its end, so
		// that it is read into one allocation.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes)); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, problem.BodyTooLarge("The body is larger than the service accepts.")
		}
		return nil, problem.BadRequest("The body could not be read.")
	}
	return buf.Bytes(), nil
}

// bodyBuffers holds the buffers batches were read into, for the next
// ones. Nothing decoded from a batch refers to its buffer (DecodeBatch
// decodes a string copy of it), so it is reused once the batch is
// answered.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer bodyBuffers keeps: a rare large
// batch's buffer is left to the garbage collector rather than held.
const maxPooledBody = 64 << 10

func putBodyBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBody {
		return
	}
	buf.Reset()
	bodyBuffers.Put(buf)
}

// beaconIndexes returns the position in the batch document of each of the
// n beacons DecodeBatch decoded, given the refusals it returned with
// them: every position belongs to exactly one of the two, and both are
// in document order. Nil when nothing was refused (the positions are
// then the beacons' own).
func beaconIndexes(n int, refused []analytics.Refusal) []int {
	if len(refused) == 0 {
		return nil
	}
	byIndex := func(a, b analytics.Refusal) int { return a.Index - b.Index }
	if !slices.IsSortedFunc(refused, byIndex) {
		refused = slices.SortedFunc(slices.Values(refused), byIndex)
	}
	out := make([]int, 0, n)
	j := 0
	for i := 0; len(out) < n; i++ {
		for j < len(refused) && refused[j].Index < i {
			j++
		}
		if j < len(refused) && refused[j].Index == i {
			continue
		}
		out = append(out, i)
	}
	return out
}
