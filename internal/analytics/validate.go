package analytics

import (
	"time"
	"unicode/utf8"
)

// Default bounds of a beacon's event time.
const (
	// DefaultClockSkew is how far ahead of the service's clock an event
	// time may be: players' clocks are wrong by seconds, rarely minutes.
	DefaultClockSkew = 5 * time.Minute
	// DefaultLateWindow is how old an event time may be: a player that was
	// offline sends its queue when it comes back, and the rollups of the
	// last two days stay open for it.
	DefaultLateWindow = 48 * time.Hour
)

// Window bounds the event time of the beacons a service accepts: from
// now-Late (inclusive) to now+ClockSkew (inclusive). A zero field takes
// its default.
type Window struct {
	// ClockSkew is how far in the future an event time may be;
	// DefaultClockSkew when zero.
	ClockSkew time.Duration
	// Late is how far in the past an event time may be; DefaultLateWindow
	// when zero.
	Late time.Duration
}

func (w Window) withDefaults() Window {
	if w.ClockSkew <= 0 {
		w.ClockSkew = DefaultClockSkew
	}
	if w.Late <= 0 {
		w.Late = DefaultLateWindow
	}
	return w
}

// Validate checks b against the limits of beacon.go and the event-time
// window around now. The error is an *Error of code ErrInvalid whose
// Pointer names the field by its JSON name (relative to the beacon:
// "/session_id", "/sequence", "/time", "/content_id", "/stream_type",
// "/platform", "/player", "/sdk_version", "/network", "/cdn_bytes",
// "/p2p_bytes", "/upload_bytes", "/played_ms", "/buffered_ms",
// "/startup_ms", "/error_code") and whose Reason is ReasonInvalid,
// ReasonTooEarly or ReasonTooLate; Refusal turns it into a Refusal.
//
// Country and ISP are not checked here: they come from the edge's
// headers, and the service cleans them (NormalizeCountry, NormalizeISP)
// rather than refuse a player for them.
func (b *Beacon) Validate(now time.Time, w Window) *Error {
	w = w.withDefaults()
	switch {
	case !validSessionID(b.SessionID):
		return field("/session_id", "must be 1 to 64 letters, digits, '-' or '_'")
	case b.Sequence < 0 || b.Sequence >= MaxSequence:
		return field("/sequence", "must be from 0 to 2147483647")
	case b.Time.IsZero():
		return field("/time", "is required")
	case b.Time.After(now.Add(w.ClockSkew)):
		e := field("/time", "is ahead of the service's clock by more than the tolerated skew")
		e.Reason = ReasonTooEarly
		return e
	case b.Time.Before(now.Add(-w.Late)):
		e := field("/time", "is older than the late window; the rollups it belongs to are closed")
		e.Reason = ReasonTooLate
		return e
	case !validText(b.ContentID, 1, MaxContentIDLen):
		return field("/content_id", "must be 1 to 256 bytes of printable UTF-8")
	case b.StreamType != StreamLive && b.StreamType != StreamVOD:
		return field("/stream_type", "must be live or vod")
	case !b.Platform.Valid():
		return field("/platform", "must be web, android, ios, tv or other")
	case !validText(b.Player, 0, MaxPlayerLen):
		return field("/player", "must be at most 64 bytes of printable UTF-8")
	case !validText(b.SDKVersion, 0, MaxVersionLen):
		return field("/sdk_version", "must be at most 32 bytes of printable UTF-8")
	case b.Network != "" && !b.Network.Valid():
		return field("/network", "must be cellular, wifi, ethernet or other")
	case b.CDNBytes < 0 || b.CDNBytes > MaxBytesDelta:
		return field("/cdn_bytes", "must be from 0 to 2^40")
	case b.P2PBytes < 0 || b.P2PBytes > MaxBytesDelta:
		return field("/p2p_bytes", "must be from 0 to 2^40")
	case b.UploadBytes < 0 || b.UploadBytes > MaxBytesDelta:
		return field("/upload_bytes", "must be from 0 to 2^40")
	case b.PlayedMS < 0 || b.PlayedMS > MaxDurationDelta:
		return field("/played_ms", "must be from 0 to 86400000")
	case b.BufferedMS < 0 || b.BufferedMS > MaxDurationDelta:
		return field("/buffered_ms", "must be from 0 to 86400000")
	case b.StartupMS < -1 || b.StartupMS > MaxStartupMS:
		return field("/startup_ms", "must be from 0 to 600000, or absent")
	case b.StartupMS >= 0 && b.Sequence != 0:
		return field("/startup_ms", "is reported on the session's first beacon (sequence 0) only")
	case !validText(b.ErrorCode, 0, MaxErrorCodeLen):
		return field("/error_code", "must be at most 64 bytes of printable UTF-8")
	}
	return nil
}

func field(pointer, msg string) *Error {
	return &Error{Code: ErrInvalid, Reason: ReasonInvalid, Pointer: pointer, Message: msg}
}

// Valid reports whether p is one of the platforms.
func (p Platform) Valid() bool {
	switch p {
	case PlatformWeb, PlatformAndroid, PlatformIOS, PlatformTV, PlatformOther:
		return true
	}
	return false
}

// Valid reports whether n is one of the network types.
func (n Network) Valid() bool {
	switch n {
	case NetworkCellular, NetworkWiFi, NetworkEthernet, NetworkOther:
		return true
	}
	return false
}

// Valid reports whether s is one of the stream types.
func (s StreamType) Valid() bool { return s == StreamLive || s == StreamVOD }

func validSessionID(s string) bool {
	if s == "" || len(s) > MaxSessionIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// validText reports whether s is valid UTF-8 of min to max bytes without
// control characters.
func validText(s string, min, max int) bool {
	if len(s) < min || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// NormalizeCountry returns the ISO 3166-1 alpha-2 code in c upper-cased,
// or "" (unknown) when c is not two ASCII letters.
func NormalizeCountry(c string) string {
	if len(c) != MaxCountryLen {
		return ""
	}
	var b [2]byte
	for i := 0; i < 2; i++ {
		ch := c[i]
		switch {
		case 'a' <= ch && ch <= 'z':
			ch -= 'a' - 'A'
		case 'A' <= ch && ch <= 'Z':
		default:
			return ""
		}
		b[i] = ch
	}
	return string(b[:])
}

// NormalizeISP returns isp when it is printable UTF-8 of at most
// MaxISPLen bytes, else "" (unknown).
func NormalizeISP(isp string) string {
	if !validText(isp, 0, MaxISPLen) {
		return ""
	}
	return isp
}
