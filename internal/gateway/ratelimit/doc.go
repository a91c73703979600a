// Package ratelimit decides whether a request is within its rate limits:
// GCRA limits, kept in memory or in Redis, with a circuit breaker around
// Redis and an in-memory floor for when Redis cannot decide.
//
// # GCRA, one number per key
//
// A Limit is a rate with a burst, applied with the generic cell rate
// algorithm: each key keeps one number, its theoretical arrival time
// (TAT). A request at time now is admitted when max(TAT, now) + T - now
// ≤ τ, where T is the period ÷ the count (the time one request uses up)
// and τ is burst × T; admitting it moves the TAT to max(TAT, now) + T.
// That is the token bucket's behaviour (a burst at once, then the rate)
// without a refill step or a window edge, with integer arithmetic and one
// word of state. Times are microseconds: exact enough for a million
// requests per second, and small enough (about 2⁵¹ for today's Unix time)
// that Redis' Lua, whose numbers are doubles, computes the same integers
// as Go. Limit.Decide is the one implementation of the arithmetic; the
// Lua script mirrors it, and the Redis store derives its decisions from
// the TATs the script read, with Decide, so the two cannot drift apart
// unnoticed (a disagreement is an error).
//
// Clock edges are bounded rather than trusted: a TAT in the past is a key
// with its whole burst back; a TAT further ahead than τ (the clock went
// back, or the limit was lowered) is brought back to now + τ, so a
// stepped clock exhausts a key for one burst's refill at most, never for
// the size of the step.
//
// # Memory
//
// Memory keeps TATs in 64 maps from a seeded 64-bit hash of the key, each
// behind its own mutex. Hashing the key (maphash, seeded per process, so
// clients cannot aim for collisions) keeps each entry at 16 bytes whatever
// the key, and makes a decision allocation-free, new keys included. A
// decision over several keys locks their shards in index order. The store
// holds at most MaxKeys keys: a key whose TAT has passed is the same as
// an absent one, so dropping it loses nothing, and a full shard drops the
// idle keys among a few it looks at, or, when none is idle, the one with
// the earliest TAT (the most of its burst back). There is no background
// sweeper to stop: memory stays within the bound by construction.
//
// Measured on a 2-core virtual machine (BenchmarkMemoryDecide*): one
// decision of one policy over 10 000 warm keys takes 115 to 140 ns, two
// policies 160 to 240 ns, with 0 allocations. Running it from both cores
// at once costs the same per decision as two unshared stores do
// (BenchmarkMemoryDecideParallel against the same loop over a store per
// goroutine), so the shard locks are not what limits it.
//
// # Redis
//
// Redis keeps one string per key, its TAT, written by one Lua script
// (gcra.lua) that reads the server's clock (TIME), reads every key of
// the request's limits, decides for all of them, and writes them all or
// none, each with a PX expiry at its TAT, after which the key is the same
// as an absent one. One EVALSHA per request, whatever the number of
// limits (TestRedisOneRoundTripPerDecision counts the commands the server
// ran); 80 to 145 µs per decision of two limits against a Redis on the same
// host, 28 allocations (BenchmarkRedisDecide, mostly go-redis). The server's clock rather than the gateways':
// replicas whose clocks disagree still count alike, and only a failover
// to a server whose clock differs moves the keys' time, within the bounds
// above. The keys of one decision may lie in different hash slots, so
// Redis Cluster is not supported; a single server or a primary behind one
// address is.
//
// # Leases
//
// One round trip per request is most of what a decision at Redis costs
// (on a loaded core, the system calls and go-redis' code of the call
// alone were a third of a proxied request's CPU). A check whose Lease is
// above 1 takes that many of its key's requests in one call instead: the
// script advances the key's TAT by Lease × T when that fits within τ, or
// by as many intervals as fit (Limit.Lease, which the script mirrors; the
// gateway checks the counts the script granted against its own). The
// replica holds them as a run of slots, slot j at the lease's first TAT
// + j × T, the times one request at a time would have had, and spends
// them in memory, one per request, each no later than its own time: a
// slot whose time has passed is skipped and lost. Each spent slot is thus
// one Redis would have given a request arriving then; all the replicas'
// spent slots and Redis' own decisions together are a sequence the limit
// admits (TestLeasesConformToTheLimit replays them through Decide), so
// leases never let the replicas exceed the limit, in any window, only
// admit less. A plain count of leased requests, spent whenever, would let
// a lease taken before a quiet spell add to a full burst after it.
//
// Slot times are converted to the replica's clock as if the server had
// read its clock when the call was sent, never later than it did, so a
// slot is given up no later than the server's clock says it passes.
// Lost slots are not returned: a slot is a time, and once it has passed
// no later request can use it. They count as used: a replica sending a
// key less than its rate loses part of each lease, which costs nothing
// while the key has room, and can make a key shared by several replicas
// use up its burst sooner, by at most one lease's unspent part per
// replica per lease time; near the limit, Redis grants only what has
// refilled, whose slots lie up to τ ahead, and those are spent. The size
// (AutoLease: a tenth of the burst, at most the rate × the lease time, at
// least 1) keeps keys of a few requests a minute exact. While a key's lease is being
// taken its other requests ask for one request each, so a burst of
// concurrent requests does not take leases that push each other out.
// A decision served from a lease reports Decide's figures for the slot
// it spent: what Redis would say had the replica taken only what it
// spent, as of the lease's grant.
//
// # When Redis fails
//
// A call has one attempt and a timeout. The breaker opens after a number
// of failures in a row; while it is open no request calls Redis (no dial,
// no wait), and after the cool-down one request probes it. The Limiter
// keeps a Memory beside Redis, the local floor, which counts every request
// Redis admits (Memory.Record); while Redis cannot decide, the floor
// decides alone, already knowing what each key used, or, failing closed,
// the Limiter decides nothing and the caller refuses. Leases already held
// keep serving their keys meanwhile (their slots are reserved at Redis);
// the floor counts their requests too.
package ratelimit
