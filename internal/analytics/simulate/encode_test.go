package simulate

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/analytics"
)

// wireBeacon is a beacon as the batch document has it
// (analytics.DecodeBatch), for encoding/json.
type wireBeacon struct {
	SessionID   string `json:"session_id"`
	Seq         int64  `json:"seq"`
	Time        int64  `json:"time"`
	ContentID   string `json:"content_id"`
	StreamType  string `json:"stream_type"`
	Platform    string `json:"platform"`
	Player      string `json:"player,omitempty"`
	SDKVersion  string `json:"sdk_version,omitempty"`
	Network     string `json:"network,omitempty"`
	CDNBytes    int64  `json:"cdn_bytes"`
	P2PBytes    int64  `json:"p2p_bytes"`
	UploadBytes int64  `json:"upload_bytes"`
	PlayedMS    int64  `json:"played_ms"`
	BufferedMS  int64  `json:"buffered_ms"`
	StartupMS   *int64 `json:"startup_ms,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
}

// encodeBatchJSON is the obviously correct EncodeBatch: encoding/json
// writing the document's structure.
func encodeBatchJSON(tb testing.TB, beacons []analytics.Beacon) []byte {
	tb.Helper()
	doc := struct {
		Beacons []wireBeacon `json:"beacons"`
	}{make([]wireBeacon, len(beacons))}
	for i := range beacons {
		b := &beacons[i]
		w := wireBeacon{SessionID: b.SessionID, Seq: b.Sequence, Time: b.Time.UnixMilli(), ContentID: b.ContentID,
			StreamType: string(b.StreamType), Platform: string(b.Platform), Player: b.Player, SDKVersion: b.SDKVersion,
			Network: string(b.Network), CDNBytes: b.CDNBytes, P2PBytes: b.P2PBytes, UploadBytes: b.UploadBytes,
			PlayedMS: b.PlayedMS, BufferedMS: b.BufferedMS, ErrorCode: b.ErrorCode}
		if b.StartupMS >= 0 {
			ms := b.StartupMS
			w.StartupMS = &ms
		}
		doc.Beacons[i] = w
	}
	body, err := json.Marshal(doc)
	if err != nil {
		tb.Fatalf("json.Marshal: %v", err)
	}
	return body
}

func checkEncodeBatch(tb testing.TB, beacons []analytics.Beacon) {
	tb.Helper()
	if got, want := EncodeBatch(beacons), encodeBatchJSON(tb, beacons); !bytes.Equal(got, want) {
		tb.Fatalf("EncodeBatch:\ngot  %s\nwant %s", got, want)
	}
}

func TestEncodeBatchAsEncodingJSON(t *testing.T) {
	t.Run("traffic", func(t *testing.T) {
		for _, b := range benchBatches(t) {
			checkEncodeBatch(t, b.Beacons)
		}
	})
	t.Run("empty", func(t *testing.T) { checkEncodeBatch(t, nil) })
	t.Run("unusual strings", func(t *testing.T) {
		b := analytics.Beacon{SessionID: `s"\`, Sequence: -1, Time: time.UnixMilli(-1234), ContentID: "a<b>&c",
			StreamType: "\u2028", Platform: "\x00\x1f\x7f", Player: "é漢🙂", SDKVersion: "\xff", Network: "\t",
			CDNBytes: -9, StartupMS: 0, ErrorCode: "E/1 <x>"}
		checkEncodeBatch(t, []analytics.Beacon{b, {StartupMS: -1}, {Time: time.Unix(0, 1_999_999), StartupMS: -2}})
	})
}

// FuzzEncodeBatch holds EncodeBatch to encoding/json's bytes, whatever the
// beacons hold.
func FuzzEncodeBatch(f *testing.F) {
	f.Add("s0123456789abcdef", int64(3), int64(1773144000123), "vod/title-0042", "vod", "web", "hls.js/1.5.15", "2.5.1",
		"wifi", int64(1_200_000), int64(800_000), int64(300_000), int64(29_500), int64(500), int64(-1), "")
	f.Add("s", int64(0), int64(-1), "live/<event>&", "live", "tv", "", "", "", int64(0), int64(0), int64(0), int64(0),
		int64(0), int64(0), "MEDIA_ERR_DECODE")
	f.Fuzz(func(t *testing.T, session string, seq, ns int64, content, stream, platform, player, sdk, network string,
		cdn, p2p, upload, played, buffered, startup int64, code string) {
		b := analytics.Beacon{SessionID: session, Sequence: seq, Time: time.Unix(0, ns), ContentID: content,
			StreamType: analytics.StreamType(stream), Platform: analytics.Platform(platform), Player: player,
			SDKVersion: sdk, Network: analytics.Network(network), CDNBytes: cdn, P2PBytes: p2p, UploadBytes: upload,
			PlayedMS: played, BufferedMS: buffered, StartupMS: startup, ErrorCode: code}
		checkEncodeBatch(t, []analytics.Beacon{b})
		checkEncodeBatch(t, []analytics.Beacon{b, b})
	})
}
