package analytics

import "time"

// Limits of a beacon's fields. Every one is explicit so that a batch is
// refused beacon by beacon with a reason, never truncated.
const (
	MaxSessionIDLen  = 64
	MaxContentIDLen  = 256
	MaxVersionLen    = 32
	MaxPlayerLen     = 64
	MaxErrorCodeLen  = 64
	MaxCountryLen    = 2
	MaxISPLen        = 128
	MaxSequence      = 1 << 31
	MaxBytesDelta    = 1 << 40 // 1 TiB per heartbeat is far beyond any real player
	MaxDurationDelta = 24 * 60 * 60 * 1000
	MaxStartupMS     = 10 * 60 * 1000
)

// StreamType says whether content is live or on demand.
type StreamType string

// The stream types.
const (
	StreamLive StreamType = "live"
	StreamVOD  StreamType = "vod"
)

// Platform is the kind of device a player runs on.
type Platform string

// The platforms.
const (
	PlatformWeb     Platform = "web"
	PlatformAndroid Platform = "android"
	PlatformIOS     Platform = "ios"
	PlatformTV      Platform = "tv"
	PlatformOther   Platform = "other"
)

// Network is the viewer's network type.
type Network string

// The network types.
const (
	NetworkCellular Network = "cellular"
	NetworkWiFi     Network = "wifi"
	NetworkEthernet Network = "ethernet"
	NetworkOther    Network = "other"
)

// Beacon is one heartbeat of one viewing session, as a player SDK sends
// it: where it is (session, sequence, event time), what it plays, and what
// moved since its previous beacon (deltas, never totals, so that a lost
// beacon loses its own traffic only).
//
// (SessionID, Sequence) identifies a beacon: a retry or a duplicate with
// the same pair changes nothing, whatever its other fields.
type Beacon struct {
	// SessionID identifies the viewing session: 1 to MaxSessionIDLen
	// letters, digits, '-' and '_', chosen by the player.
	SessionID string
	// Sequence numbers the session's beacons from 0.
	Sequence int64
	// Time is when the player sent it (event time), UTC.
	Time time.Time

	ContentID  string
	StreamType StreamType
	Platform   Platform
	// Player is the player's name and version, such as "hls.js/1.5.7".
	Player     string
	SDKVersion string
	Network    Network

	// Deltas since the previous beacon of the session.
	CDNBytes    int64
	P2PBytes    int64
	UploadBytes int64
	PlayedMS    int64
	BufferedMS  int64
	// StartupMS is the time to first frame, on the session's first
	// beacon only (Sequence 0); -1 when absent.
	StartupMS int64
	// ErrorCode is the player's error, "" when none.
	ErrorCode string

	// Country (ISO 3166-1 alpha-2, upper case) and ISP come from the
	// trusted headers the edge sets, not from the player; "" when
	// unknown.
	Country string
	ISP     string
}

// Ingested is a stored beacon: the beacon and where it belongs.
type Ingested struct {
	Beacon
	OrgID         string
	IntegrationID string
	// ReceivedAt is when the service accepted it.
	ReceivedAt time.Time
}

// Refusal says why one beacon of a batch was not stored.
type Refusal struct {
	// Index is the beacon's position in the batch, from 0.
	Index int `json:"index"`
	// Pointer locates the offending field (RFC 6901, relative to the
	// batch document), "" for the beacon as a whole.
	Pointer string `json:"pointer"`
	// Reason is a machine-readable slug: invalid, too-early, too-late,
	// duplicate-in-batch...
	Reason string `json:"reason"`
	// Detail says what is wrong in words safe to show.
	Detail string `json:"detail"`
}
