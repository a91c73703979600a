package simulate

import "github.com/portico-gw/portico/internal/analytics"

// country is a market of the audience: its share of the viewers, its
// offset from UTC (standard time; daylight saving moves the curve by an
// hour, which a demo need not show) and its ISPs by share.
type country struct {
	code   string
	share  float64
	offset float64 // hours east of UTC
	isps   []weighted[string]
}

// weighted is a choice with its weight.
type weighted[T any] struct {
	v T
	w float64
}

// countries is the audience of every integration: a plausible mix for a
// service that streams in Europe and the Americas, with India and Japan.
var countries = []country{
	{"US", 0.24, -5, []weighted[string]{{"Comcast", 30}, {"Charter Spectrum", 25}, {"AT&T", 18}, {"Verizon", 15}, {"T-Mobile US", 12}}},
	{"BR", 0.10, -3, []weighted[string]{{"Vivo", 35}, {"Claro", 35}, {"TIM Brasil", 20}, {"Oi", 10}}},
	{"MX", 0.05, -6, []weighted[string]{{"Telmex", 45}, {"Telcel", 30}, {"Izzi", 25}}},
	{"GB", 0.09, 0, []weighted[string]{{"BT", 35}, {"Sky Broadband", 25}, {"Virgin Media", 25}, {"Vodafone UK", 15}}},
	{"FR", 0.11, 1, []weighted[string]{{"Orange", 38}, {"Free", 25}, {"SFR", 22}, {"Bouygues Telecom", 15}}},
	{"DE", 0.10, 1, []weighted[string]{{"Deutsche Telekom", 45}, {"Vodafone Germany", 30}, {"1&1", 15}, {"O2 Germany", 10}}},
	{"ES", 0.06, 1, []weighted[string]{{"Movistar", 45}, {"Orange Spain", 30}, {"Vodafone Spain", 25}}},
	{"IT", 0.05, 1, []weighted[string]{{"TIM", 45}, {"Vodafone Italia", 30}, {"Fastweb", 25}}},
	{"IN", 0.12, 5.5, []weighted[string]{{"Reliance Jio", 45}, {"Bharti Airtel", 35}, {"BSNL", 10}, {"Vodafone Idea", 10}}},
	{"JP", 0.08, 9, []weighted[string]{{"NTT Docomo", 40}, {"KDDI", 30}, {"SoftBank", 30}}},
}

// device is a platform with its players and networks.
type device struct {
	platform analytics.Platform
	share    float64
	players  []weighted[string]
	networks []weighted[analytics.Network]
	// startupMedianMS is the median time to first frame on a fixed line.
	startupMedianMS float64
}

var devices = []device{
	{analytics.PlatformWeb, 0.45,
		[]weighted[string]{{"hls.js/1.5.15", 50}, {"shaka-player/4.11.2", 30}, {"dash.js/4.7.4", 20}},
		[]weighted[analytics.Network]{{analytics.NetworkWiFi, 68}, {analytics.NetworkEthernet, 22}, {analytics.NetworkCellular, 10}},
		850},
	{analytics.PlatformAndroid, 0.25,
		[]weighted[string]{{"media3/1.4.1", 70}, {"exoplayer/2.19.1", 30}},
		[]weighted[analytics.Network]{{analytics.NetworkCellular, 55}, {analytics.NetworkWiFi, 45}},
		1100},
	{analytics.PlatformIOS, 0.18,
		[]weighted[string]{{"avplayer/17.5", 100}},
		[]weighted[analytics.Network]{{analytics.NetworkWiFi, 55}, {analytics.NetworkCellular, 45}},
		950},
	{analytics.PlatformTV, 0.12,
		[]weighted[string]{{"tizen-avplay/8.0", 40}, {"webos-player/6.3", 30}, {"androidtv-media3/1.4.1", 30}},
		[]weighted[analytics.Network]{{analytics.NetworkEthernet, 55}, {analytics.NetworkWiFi, 45}},
		1400},
}

// sdkVersions are the SDK releases in the field, the newest most used.
var sdkVersions = []weighted[string]{{"2.5.1", 55}, {"2.5.0", 25}, {"2.4.3", 15}, {"2.3.0", 5}}

// ladder is the bitrate ladder of every title, in bit/s.
var ladder = []int64{400_000, 800_000, 1_600_000, 3_000_000, 5_000_000, 8_000_000}

// errorCodes are the players' fatal errors, by frequency.
var errorCodes = []weighted[string]{
	{"FRAG_LOAD_TIMEOUT", 35}, {"MEDIA_ERR_NETWORK", 25}, {"MANIFEST_LOAD_ERROR", 15},
	{"MEDIA_ERR_DECODE", 15}, {"DRM_LICENSE_FAILED", 10},
}

// The catalogue: VoD titles with Zipf popularity, and live channels.
const (
	vodTitles    = 400
	vodZipfS     = 1.1
	liveChannels = 6
	// liveShare is the part of the everyday audience on live channels.
	liveShare = 0.3
)

// liveChannelIDs name the 24/7 channels, the most watched first.
var liveChannelIDs = [liveChannels]string{
	"live/news-24", "live/sports-1", "live/kids", "live/music", "live/sports-2", "live/docs",
}

// pick returns a choice of ws drawn with u, uniform in [0, 1).
func pick[T any](ws []weighted[T], u float64) T {
	total := 0.0
	for _, w := range ws {
		total += w.w
	}
	u *= total
	for _, w := range ws {
		if u < w.w {
			return w.v
		}
		u -= w.w
	}
	return ws[len(ws)-1].v
}
