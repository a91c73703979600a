package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
	"github.com/portico-gw/portico/internal/analytics/analyticshttp"
)

// BeaconsPath is the gateway's route of beacon batches.
const BeaconsPath = "/v1/beacons"

// maxAnswerBytes bounds what is read of an answer: a refusal lists at
// most a batch's beacons.
const maxAnswerBytes = 1 << 20

// HTTPDestination posts batches to POST /v1/beacons as a player does:
// the delivery key in Portico-Delivery-Key, the page's Origin (or an
// app's Portico-Bundle-Id), and the viewer's country and ISP in the
// edge's headers (X-Client-Country, X-Client-ISP). A gateway that removes
// a client's copies of those, as portico all's does, stores the beacons
// without country and ISP.
type HTTPDestination struct {
	// URL is the gateway's base URL, such as "http://127.0.0.1:8080".
	URL string
	// Client sends the requests; a client with a 30-second timeout when
	// nil.
	Client *http.Client
	// CountryHeader and ISPHeader name the headers of the viewer's
	// country and ISP; the service's defaults when "".
	CountryHeader, ISPHeader string
}

// defaultClient is the client of an HTTPDestination without one.
//
// Send keeps up to its concurrency of batches in flight, each on a
// connection of its own, and a connection that finds the idle pool full
// when its answer is read is closed: with room for fewer idle
// connections than that concurrency, bursts of answers closed
// connections that were dialled again at once (64 idle connections for
// 256 batches in flight made a new connection for one request in six,
// BenchmarkSendHTTP).
// Its writes are buffered enough for the headers and the body of a
// batch of DefaultBatchSize to go in one write, where the default 4 KiB
// buffer took two.
var defaultClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
	Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: maxIdleConns, IdleConnTimeout: 90 * time.Second,
	WriteBufferSize: 16 << 10,
}}

// maxIdleConns bounds the idle connections of defaultClient: more than
// any concurrency Send is used with. Idle connections are never more
// than those the requests in flight once needed.
const maxIdleConns = 4096

// answer is the body of the service's answers: the counts of a 200, the
// refusals of a 422, the reason of a problem.
type answer struct {
	Accepted   int                 `json:"accepted"`
	Duplicates int                 `json:"duplicates"`
	Refused    []analytics.Refusal `json:"refused"`
	Reason     string              `json:"reason"`
	Title      string              `json:"title"`
}

// Deliver posts b. A 200 or 422 is an Outcome of each beacon; another 4xx
// refuses the whole batch, under the problem's reason (or "http-<status>"
// when it has none); 429 and 5xx, and a failure to connect, are
// retryable, after the Retry-After the answer gives.
func (d HTTPDestination) Deliver(ctx context.Context, b Batch) (Outcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(d.URL, "/")+BeaconsPath,
		bytes.NewReader(EncodeBatch(b.Beacons)))
	if err != nil {
		return Outcome{}, fmt.Errorf("beacon request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set(analyticshttp.DeliveryKeyHeader, b.Key)
	if b.Origin != "" {
		h.Set("Origin", b.Origin)
	}
	if b.BundleID != "" {
		h.Set(analyticshttp.BundleIDHeader, b.BundleID)
	}
	if b.Country != "" {
		h.Set(orDefault(d.CountryHeader, analyticshttp.DefaultCountryHeader), b.Country)
	}
	if b.ISP != "" {
		h.Set(orDefault(d.ISPHeader, analyticshttp.DefaultISPHeader), b.ISP)
	}
	c := d.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Outcome{}, ctx.Err()
		}
		return Outcome{}, &RetryableError{Err: fmt.Errorf("post beacons: %w", err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return Outcome{}, &RetryableError{Err: fmt.Errorf("read answer: %w", err)}
	}
	status := resp.StatusCode
	if status == http.StatusTooManyRequests || status >= 500 {
		return Outcome{}, &RetryableError{Err: fmt.Errorf("post beacons: %s", resp.Status), After: retryAfter(resp.Header.Get("Retry-After"))}
	}
	var a answer
	jsonErr := json.Unmarshal(raw, &a)
	switch {
	case status == http.StatusOK && jsonErr == nil:
		return outcomeOf(a.Accepted, a.Duplicates, a.Refused), nil
	case status == http.StatusUnprocessableEntity && jsonErr == nil && len(a.Refused) > 0:
		return outcomeOf(0, 0, a.Refused), nil
	case status >= 400 && status < 500:
		reason := a.Reason
		if reason == "" {
			reason = "http-" + strconv.Itoa(status)
		}
		return refusedAll(reason, len(b.Beacons)), nil
	case jsonErr != nil:
		return Outcome{}, fmt.Errorf("post beacons: %s with an answer that is not JSON: %w", resp.Status, jsonErr)
	}
	return Outcome{}, errors.New("post beacons: unexpected " + resp.Status)
}

// retryAfter reads a Retry-After of seconds; zero when absent or a date.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var _ Destination = HTTPDestination{}
