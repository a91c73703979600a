// Package simulate makes realistic, deterministic viewing traffic for the
// analytics service's demo data (`portico analytics simulate` and
// `portico all --demo`), and sends it.
//
// A Simulator turns Options into beacon batches, as player SDKs would
// post them to POST /v1/beacons: each session of each viewer starts,
// reports a heartbeat every Options.Heartbeat with the deltas since the
// previous one, and ends; its beacons go out in batches of at most
// Options.BatchSize, which share the viewer's country and ISP. The model
// is small and written down in model.go:
//
//   - Audience: the concurrent viewers of each country follow a daily
//     curve in the country's local time (a low night, a midday bump, an
//     evening peak around 21:00), scaled so that the busiest minute of a
//     day has about Options.PeakViewers viewers. Sessions arrive as a
//     Poisson process at the rate that keeps that many viewers, and last
//     a log-normal time.
//   - Content: a long tail of VoD titles (Zipf popularity) and a few
//     24/7 live channels; a live event (Options.LiveEvent) adds its
//     viewers on one live content id, ramping up and down.
//   - Delivery: a bitrate ladder rung by platform and network; the P2P
//     share grows with the viewers of the same content at that moment
//     (40–80 % on a popular live stream, near nothing on long-tail VoD)
//     and is lower on cellular; upload only on wifi and ethernet;
//     occasional rebuffering; a startup time on seq 0; rare errors.
//
// Same Options (Seed included), same batches, byte for byte: every random
// draw comes from a PCG stream seeded by Options.Seed and the minute a
// session starts in, so a range that overlaps an earlier one repeats its
// sessions (same session ids), and ingesting twice changes nothing. The
// output is bounded: the expected number of beacons is computed from the
// options before anything is made, the audience is scaled down to fit
// Options.MaxBeacons, and generation stops at MaxBeacons whatever
// happens.
//
// Batches yields the traffic session by session, in the order sessions
// start; BatchesInSendOrder yields the same batches in the order players
// post them (by the time of a batch's last beacon), every session under
// way mixed, as a service sees live traffic.
//
// Send posts batches with bounded concurrency to a Destination: the
// gateway over HTTP (HTTPDestination), or an analytics Service in
// process (IngestDestination), which also keeps country and ISP where
// a gateway that removes a client's X-Client-* headers would not.
package simulate
