package configshttp

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico-gw/portico/internal/configs"
	"github.com/portico-gw/portico/internal/platform/problem"
)

// SDK config caching: players and the CDN in front of the gateway may keep
// an answer a minute; a change reaches players within that (plus the
// poll interval on other replicas).
const sdkCacheControl = "public, max-age=60"

// Reasons of a refused SDK config request, in the problem's "reason"
// extension, for the player to log.
const (
	ReasonOriginNotAllowed    = "origin-not-allowed"
	ReasonOriginMissing       = "origin-missing"
	ReasonBundleIDNotAllowed  = "bundle-id-not-allowed"
	ReasonIntegrationDisabled = "integration-disabled"
)

// sdkConfig serves GET /v1/sdk/config/{key}: the settings a player of the
// integration gets, from the snapshot in memory (no store query). The
// rules, in order:
//
//  1. An unknown key, or a previous key after its overlap, is 404.
//  2. A disabled integration is 403 integration-disabled.
//  3. The Origin header, or else the origin of the Referer header, must be
//     allowed by the integration's domains (configs.Domains.AllowsOrigin:
//     loopback always is): 403 origin-not-allowed otherwise. With neither
//     header (an app, not a page), the bundle_id query parameter must be
//     one of the integration's bundle ids: 403 bundle-id-not-allowed, or
//     403 origin-missing when it is absent too.
//  4. The property query parameter picks a property of the settings (404
//     when there is none of that name); without it, the defaults.
//
// The answer is the precomputed body with its strong ETag, cacheable by
// anyone for a minute and varying by Origin; a matching If-None-Match is
// 304. A bypassed integration is served like an active one, with
// peer-to-peer off (configs.BypassSettings). Access-Control-Allow-Origin
// echoes the origin that was allowed.
//
// The domain check keeps other sites from embedding a customer's key; it
// is no secret's protection (the key is public, and a non-browser client
// sends any Origin it likes). Shared caches key on the URL and Origin
// only, so a cached answer fetched with an allowed Referer and no Origin
// can reach another Referer-only request; browsers send Origin with every
// cross-origin fetch, which is how players ask.
func (h *Handler) sdkConfig(w http.ResponseWriter, r *http.Request) {
	snap := h.svc.Snapshot()
	if snap.Revision < 0 {
		h.fail(w, r, problem.Unavailable("not-ready", "The SDK configs are not loaded yet."))
		return
	}
	in, _, ok := snap.Lookup(r.PathValue("key"), time.Now())
	if !ok {
		h.fail(w, r, configs.NewError(configs.ErrNotFound, "no such delivery key"))
		return
	}
	if in.Status == configs.StatusDisabled {
		h.refuse(w, r, ReasonIntegrationDisabled, "The integration is disabled.")
		return
	}
	property, bundleID, ok := sdkQuery(r.URL.RawQuery)
	if !ok {
		h.fail(w, r, problem.BadRequest("The query is malformed."))
		return
	}
	var allowed []string // the Access-Control-Allow-Origin value, if any
	if origin := r.Header["Origin"]; len(origin) > 0 && origin[0] != "" {
		if !in.Domains.AllowsOrigin(origin[0]) {
			h.refuse(w, r, ReasonOriginNotAllowed, "The page's origin is not an allowed domain of the integration.")
			return
		}
		allowed = origin[:1:1] // the request's own slice: no allocation, and capped so no one appends into it
	} else if ref := r.Header.Get("Referer"); ref != "" {
		if !in.Domains.AllowsOrigin(ref) {
			h.refuse(w, r, ReasonOriginNotAllowed, "The page's origin is not an allowed domain of the integration.")
			return
		}
		allowed = []string{refererOrigin(ref)}
	} else if bundleID == "" {
		h.refuse(w, r, ReasonOriginMissing, "Send Origin or Referer from a page, or bundle_id from an app.")
		return
	} else if !in.AllowsBundleID(bundleID) {
		h.refuse(w, r, ReasonBundleIDNotAllowed, "The app's bundle id is not one of the integration.")
		return
	}
	doc, ok := in.Document(property)
	if !ok {
		h.fail(w, r, configs.NewError(configs.ErrNotFound, "no such property in the delivery settings"))
		return
	}
	hd := w.Header()
	hd["Cache-Control"] = h.sdk.cacheControl
	hd["Vary"] = h.sdk.vary
	hd["Etag"] = []string{doc.ETag}
	if allowed != nil {
		hd["Access-Control-Allow-Origin"] = allowed
	}
	if inm := r.Header["If-None-Match"]; len(inm) > 0 && etagListMatches(inm, doc.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd["Content-Type"] = h.sdk.contentType
	hd["Content-Length"] = []string{doc.ContentLength}
	w.WriteHeader(http.StatusOK)
	w.Write(doc.Body)
}

// sdkHeaders are the constant header values of SDK config answers, made
// once per Handler and never modified, so that each answer sets them
// without allocating.
type sdkHeaders struct {
	cacheControl, vary, contentType []string
}

func newSDKHeaders() sdkHeaders {
	return sdkHeaders{cacheControl: []string{sdkCacheControl}, vary: []string{"Origin"},
		contentType: []string{"application/json"}}
}

// refuse answers 403 with a machine-readable reason.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, reason, detail string) {
	h.fail(w, r, problem.New(http.StatusForbidden, "sdk-config-refused", "SDK config refused", detail).With("reason", reason))
}

// refererOrigin returns the origin of a Referer that
// configs.Domains.AllowsOrigin accepted: everything before the first '/',
// '?' or '#' after "://".
func refererOrigin(ref string) string {
	i := strings.Index(ref, "://")
	if i < 0 {
		return ref
	}
	if j := strings.IndexAny(ref[i+3:], "/?#"); j >= 0 {
		return ref[:i+3+j]
	}
	return ref
}

// sdkQuery returns the property and bundle_id parameters of a raw query,
// the first of each as url.Values.Get would, and false when a pair it
// needs is malformed. It allocates only to unescape.
func sdkQuery(raw string) (property, bundleID string, ok bool) {
	var haveProp, haveBundle bool
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			continue // url.ParseQuery refuses such a pair; so does this
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
		}
		if k == "property" && !haveProp || k == "bundle_id" && !haveBundle {
			if strings.ContainsAny(v, "%+") {
				var err error
				if v, err = url.QueryUnescape(v); err != nil {
					return "", "", false
				}
			}
			if k == "property" {
				property, haveProp = v, true
			} else {
				bundleID, haveBundle = v, true
			}
		}
	}
	return property, bundleID, true
}

// etagListMatches reports whether one of the If-None-Match values lists
// etag, by the weak comparison RFC 9110 §13.1.2 asks for, or is "*".
func etagListMatches(values []string, etag string) bool {
	for _, v := range values {
		for v != "" {
			var tag string
			tag, v, _ = strings.Cut(v, ",")
			tag = strings.Trim(tag, " \t") // OWS
			if tag == "*" {
				return true
			}
			tag = strings.TrimPrefix(tag, "W/")
			if tag == etag {
				return true
			}
		}
	}
	return false
}
