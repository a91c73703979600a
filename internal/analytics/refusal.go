package analytics

import "strconv"

// The reasons of refusals, of one beacon or of a whole batch.
const (
	// ReasonInvalid: a field of the beacon breaks a rule (the pointer says
	// which).
	ReasonInvalid = "invalid"
	// ReasonTooEarly: the event time is more than the clock skew the
	// service tolerates ahead of its clock.
	ReasonTooEarly = "too-early"
	// ReasonTooLate: the event time is older than the late window; the
	// rollups it belongs to are closed.
	ReasonTooLate = "too-late"
	// ReasonUnknownKey: no integration has the batch's delivery key.
	ReasonUnknownKey = "unknown-delivery-key"
	// ReasonDisabled: the integration is disabled.
	ReasonDisabled = "integration-disabled"
	// ReasonOriginNotAllowed: the batch's Origin is not an allowed domain
	// of the integration.
	ReasonOriginNotAllowed = "origin-not-allowed"
	// ReasonOriginMissing: the batch has neither an Origin (a page) nor a
	// bundle id (an app).
	ReasonOriginMissing = "origin-missing"
	// ReasonBundleIDNotAllowed: the app's bundle id is not one of the
	// integration's.
	ReasonBundleIDNotAllowed = "bundle-id-not-allowed"
	// ReasonTooManyBeacons: the batch holds more than the service's
	// maximum number of beacons.
	ReasonTooManyBeacons = "too-many-beacons"
)

// BeaconsMember is the member of the batch document that holds the
// beacons: a batch is {"beacons": [...]}.
const BeaconsMember = "beacons"

// BeaconPointer returns the RFC 6901 pointer of the beacon at index of a
// batch document, "/beacons/<index>"; a field's pointer appends
// "/<json name>" to it.
func BeaconPointer(index int) string { return "/" + BeaconsMember + "/" + strconv.Itoa(index) }
