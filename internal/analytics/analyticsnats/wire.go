package analyticsnats

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// wireVersion is the message body's version; a writer terminates a
// message of another version rather than guess.
const wireVersion = 1

// headerReceivedAt carries the batch's ReceivedAt (Unix microseconds)
// outside the body, so that the message id, a digest of the body, is the
// same for the same beacons received twice.
const headerReceivedAt = "Portico-Received-At"

// wireBatch is a message body: the beacons of one organization received
// at one time. Times are Unix microseconds, what the stores keep.
type wireBatch struct {
	V       int          `json:"v"`
	OrgID   string       `json:"org"`
	Beacons []wireBeacon `json:"b"`
}

type wireBeacon struct {
	IntegrationID string `json:"int"`
	SessionID     string `json:"sid"`
	Sequence      int64  `json:"seq"`
	Time          int64  `json:"t"`
	ContentID     string `json:"cid"`
	StreamType    string `json:"st"`
	Platform      string `json:"pf"`
	Player        string `json:"pl,omitempty"`
	SDKVersion    string `json:"sdk,omitempty"`
	Network       string `json:"net,omitempty"`
	CDNBytes      int64  `json:"cdn"`
	P2PBytes      int64  `json:"p2p"`
	UploadBytes   int64  `json:"up"`
	PlayedMS      int64  `json:"pms"`
	BufferedMS    int64  `json:"bms"`
	StartupMS     int64  `json:"su"`
	ErrorCode     string `json:"err,omitempty"`
	Country       string `json:"cc,omitempty"`
	ISP           string `json:"isp,omitempty"`
}

// group is beacons of one organization received at one time: one
// message.
type group struct {
	org      string
	received time.Time
	beacons  []analytics.Ingested
}

// groupBatch splits beacons by organization and receive time, in the
// order they first appear. The Service gives one of each per batch, so
// one group.
func groupBatch(beacons []analytics.Ingested) []group {
	type key struct {
		org string
		us  int64
	}
	index := map[key]int{}
	var out []group
	for _, b := range beacons {
		k := key{b.OrgID, b.ReceivedAt.UnixMicro()}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, group{org: b.OrgID, received: b.ReceivedAt})
		}
		out[i].beacons = append(out[i].beacons, b)
	}
	return out
}

// encodeBeacons returns the body of a message of org's beacons.
// encoding/json writes struct fields in their order, so the same beacons
// always encode to the same bytes.
func encodeBeacons(org string, beacons []analytics.Ingested) ([]byte, error) {
	w := wireBatch{V: wireVersion, OrgID: org, Beacons: make([]wireBeacon, len(beacons))}
	for i := range beacons {
		b := &beacons[i]
		w.Beacons[i] = wireBeacon{IntegrationID: b.IntegrationID, SessionID: b.SessionID, Sequence: b.Sequence,
			Time: b.Time.UnixMicro(), ContentID: b.ContentID, StreamType: string(b.StreamType),
			Platform: string(b.Platform), Player: b.Player, SDKVersion: b.SDKVersion, Network: string(b.Network),
			CDNBytes: b.CDNBytes, P2PBytes: b.P2PBytes, UploadBytes: b.UploadBytes, PlayedMS: b.PlayedMS,
			BufferedMS: b.BufferedMS, StartupMS: b.StartupMS, ErrorCode: b.ErrorCode, Country: b.Country, ISP: b.ISP}
	}
	body, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode beacons: %w", err)
	}
	return body, nil
}

// msgID is the message id of a body: its SHA-256, hex.
func msgID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// decodeBeacons reads a message body and its received-at header value.
func decodeBeacons(body []byte, receivedAt string) ([]analytics.Ingested, error) {
	us, err := strconv.ParseInt(receivedAt, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("decode beacons: header %s: %w", headerReceivedAt, err)
	}
	var w wireBatch
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode beacons: %w", err)
	}
	switch {
	case w.V != wireVersion:
		return nil, fmt.Errorf("decode beacons: version %d, want %d", w.V, wireVersion)
	case w.OrgID == "":
		return nil, errors.New("decode beacons: no organization")
	}
	received := time.UnixMicro(us).UTC()
	out := make([]analytics.Ingested, len(w.Beacons))
	for i, b := range w.Beacons {
		out[i] = analytics.Ingested{OrgID: w.OrgID, IntegrationID: b.IntegrationID, ReceivedAt: received,
			Beacon: analytics.Beacon{SessionID: b.SessionID, Sequence: b.Sequence, Time: time.UnixMicro(b.Time).UTC(),
				ContentID: b.ContentID, StreamType: analytics.StreamType(b.StreamType),
				Platform: analytics.Platform(b.Platform), Player: b.Player, SDKVersion: b.SDKVersion,
				Network: analytics.Network(b.Network), CDNBytes: b.CDNBytes, P2PBytes: b.P2PBytes,
				UploadBytes: b.UploadBytes, PlayedMS: b.PlayedMS, BufferedMS: b.BufferedMS, StartupMS: b.StartupMS,
				ErrorCode: b.ErrorCode, Country: b.Country, ISP: b.ISP}}
	}
	return out, nil
}

// subjectToken returns org as a subject token: itself when it is letters,
// digits, '-' and '_' (every id Portico issues), its hex otherwise. The
// token only routes; the body names the organization.
func subjectToken(org string) string {
	for i := 0; i < len(org); i++ {
		c := org[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "_" + hex.EncodeToString([]byte(org))
		}
	}
	if org == "" {
		return "_"
	}
	return org
}
