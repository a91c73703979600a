#!/usr/bin/env bash
# Analytics check: beacon ingest straight into the analytics store on
# PostgreSQL (beacons/s, batch size, the bench process's CPU), then the
# service's overall / timeseries / breakdown queries over 24h, 7d and 30d
# of one organization's generated traffic (p50/p95 per query shape). The
# run works in a schema of its own, created here and dropped on exit; it
# never touches anything else in the database. See bench/README.md.
#
# Knobs (environment):
#   PORTICO_BENCH_POSTGRES_DSN  the server (default: PORTICO_TEST_POSTGRES_DSN,
#                   else postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable);
#                   its host must be 127.0.0.1 or localhost
#   INGEST_BEACONS=200000   beacons per ingest run
#   BATCH=1000              beacons per InsertBeacons call: whole sessions; under
#                           100, chunks of one session's beacons, 500 sessions in
#                           turn, as players send them
#   GROUP=0                 group concurrent batches into inserts of at most this
#                           many beacons, as the service does (--group-beacons);
#                           0: each batch alone
#   WORKERS="1 2 4"         goroutines inserting at once, one run each ("": no ingest runs)
#   LOAD_BEACONS=10000000   beacons loaded for the queries (0: skip queries)
#   LOAD_DAYS=30            days those beacons span, ending now
#   LOAD_WORKERS=2          goroutines loading them
#   COMPACT_EVERY=0         beacons stored between two merges of the rollup rows
#                           their batches appended (0: the store's default)
#   ROUNDS=20               measured runs of each query shape
#   GATEWAY_BEACONS=0       beacons players post through the gateway of `portico all`
#                           on PostgreSQL (schemas of its own), sent by `portico
#                           analytics simulate` (a day of traffic, up to 20 beacons
#                           of one session per request); 0: no such run
#   GATEWAY_CONCURRENCY=64  requests in flight at once in that run (with
#                           GATEWAY_RATE, at most)
#   GATEWAY_RATE=0          beacons/s the players of that run send at, each
#                           request when its time comes whether or not earlier
#                           ones were answered (0: as fast as answers come)
#   GATEWAY_BATCH=20        the most beacons of one session per request in that run
#   GATEWAY_ORDER=send      the order of that run's requests: send (as players post
#                           them, the sessions under way mixed) or session (each
#                           session's requests together)
#   GATEWAY_PORT=18480      its gateway's port (admin on the next one)
#   TIME_LIMIT=3600         seconds the whole run may take before it is stopped
#   KEEP_SCHEMA=0           1 keeps the schema (and prints its name) for a rerun
#                           of the queries with QUERY_SCHEMA=name LOAD_BEACONS=0
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

DSN=${PORTICO_BENCH_POSTGRES_DSN:-${PORTICO_TEST_POSTGRES_DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}
INGEST_BEACONS=${INGEST_BEACONS:-200000}
BATCH=${BATCH:-1000}
WORKERS=${WORKERS-1 2 4}
LOAD_BEACONS=${LOAD_BEACONS:-10000000}
LOAD_DAYS=${LOAD_DAYS:-30}
LOAD_WORKERS=${LOAD_WORKERS:-2}
COMPACT_EVERY=${COMPACT_EVERY:-0}
GROUP=${GROUP:-0}
ROUNDS=${ROUNDS:-20}
TIME_LIMIT=${TIME_LIMIT:-3600}
KEEP_SCHEMA=${KEEP_SCHEMA:-0}
GATEWAY_BEACONS=${GATEWAY_BEACONS:-0}
GATEWAY_CONCURRENCY=${GATEWAY_CONCURRENCY:-64}
GATEWAY_RATE=${GATEWAY_RATE:-0}
GATEWAY_BATCH=${GATEWAY_BATCH:-20}
GATEWAY_ORDER=${GATEWAY_ORDER:-send}
GATEWAY_PORT=${GATEWAY_PORT:-18480}
QUERY_SCHEMA=${QUERY_SCHEMA:-}

die() {
	echo "analytics.sh: $*" >&2
	exit 1
}
note() { echo "analytics.sh: $*" >&2; }

case $DSN in
postgres://*@127.0.0.1[:/]* | postgres://*@localhost[:/]* | postgresql://*@127.0.0.1[:/]* | postgresql://*@localhost[:/]*) ;;
*) die "the DSN must name a server on 127.0.0.1 or localhost" ;;
esac

# with_schema NAME: the DSN with NAME as its search_path.
with_schema() {
	case $DSN in
	*\?*) echo "$DSN&search_path=$1" ;;
	*) echo "$DSN?search_path=$1" ;;
	esac
}

# --- processes -------------------------------------------------------------

work=$(mktemp -d)
pids=()
schemas=()
cleanup() {
	local p s
	for p in ${pids[@]+"${pids[@]}"}; do
		kill "$p" 2>/dev/null || true
	done
	for p in ${pids[@]+"${pids[@]}"}; do
		wait "$p" 2>/dev/null || true
	done
	for s in ${schemas[@]+"${schemas[@]}"}; do
		if [[ $KEEP_SCHEMA == 1 ]]; then
			note "kept schema $s"
		elif [[ -x $work/analytics ]]; then
			timeout 60 "$work/analytics" schema drop -dsn "$DSN" -schema "$s" || note "could not drop schema $s"
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

deadline=$((SECONDS + TIME_LIMIT))

# forget PID: drops a finished process from the list cleanup ends.
forget() {
	local p kept=()
	for p in ${pids[@]+"${pids[@]}"}; do
		[[ $p == "$1" ]] || kept+=("$p")
	done
	pids=(${kept[@]+"${kept[@]}"})
}

# bench ARGS...: runs the bench program in the background, bounded by
# what is left of TIME_LIMIT, so that a signal reaches the traps at once.
bench() {
	local pid rc=0 left=$((deadline - SECONDS))
	((left > 0)) || die "TIME_LIMIT reached"
	timeout "$left" "$work/analytics" "$@" &
	pid=$!
	pids+=("$pid")
	wait "$pid" || rc=$?
	forget "$pid"
	((rc != 124)) || die "TIME_LIMIT reached"
	return "$rc"
}

# new_schema: creates a schema for this run, remembered for cleanup, and
# leaves its name in $schema. (Not called as $(new_schema): the list must
# be this shell's.)
new_schema() {
	schema=portico_bench_$(date +%s)_$$_${#schemas[@]}
	"$work/analytics" schema create -dsn "$DSN" -schema "$schema" || die "could not create schema $schema"
	schemas+=("$schema")
}

# --- run -------------------------------------------------------------------

loadavg=$(cut -d' ' -f1 /proc/loadavg) # before this script adds its own load
(cd "$root" && go build -o "$work/analytics" ./bench/analytics) || die "build failed"

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, Linux $(uname -r)"
echo "tree:    $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
echo "load:    $loadavg (1-minute load average at start; other work on the machine skews the figures)"

if [[ -n ${WORKERS// /} ]]; then
	echo "# ingest: $INGEST_BEACONS beacons of the last hour per run, straight into the store"
	new_schema
	for k in $WORKERS; do
		bench ingest -dsn "$(with_schema "$schema")" -beacons "$INGEST_BEACONS" -batch "$BATCH" -workers "$k" -compact-every "$COMPACT_EVERY" -group "$GROUP"
	done
fi

# cpu_ticks PID...: the CPU time (clock ticks, user and system) the
# processes have used so far.
cpu_ticks() {
	local p t=0 rest
	for p in "$@"; do
		# Fields after the command's closing parenthesis: utime is the 12th.
		rest=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		set -- $rest
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# pg_cpu_ticks: the CPU time (clock ticks) PostgreSQL's server has used:
# its processes' own, and what the postmaster reaped from backends that
# ended. A difference of two counts every backend that ran in between,
# those that started after the first count too.
pg_cpu_ticks() {
	local p t=0 rest
	for p in $(pgrep -x postgres); do
		rest=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		set -- $rest
		t=$((t + ${12} + ${13}))
		# The postmaster, whose parent is not a server process, holds the
		# time of its reaped children.
		[[ $(cat "/proc/$2/comm" 2>/dev/null) == postgres ]] || t=$((t + ${14} + ${15}))
	done
	echo "$t"
}

# children_cpu FILE prints the CPU time, in milliseconds, of the children
# this shell had waited for when bash's times wrote FILE (user and system
# together). times must run in this shell, not in a command substitution,
# whose children are its own.
children_cpu() {
	awk 'END {
		ms = 0
		for (i = 1; i <= NF; i++) { split($i, p, "m"); sub("s", "", p[2]); ms += (p[1] * 60 + p[2]) * 1000 }
		printf "%d\n", ms
	}' "$1"
}

if ((GATEWAY_BEACONS > 0)); then
	echo "# gateway: up to $GATEWAY_BEACONS beacons posted by players through portico all's gateway, on PostgreSQL"
	(cd "$root" && go build -o "$work/portico" ./cmd/portico && go build -o "$work/sdksetup" ./bench/sdksetup) ||
		die "build failed"
	prefix=portico_bench_gw$(date +%s)_$$_
	for s in auth accounts configs analytics; do
		schemas+=("$prefix$s")
	done
	password="bench admin passphrase"
	gw=http://127.0.0.1:$GATEWAY_PORT
	PORTICO_ADMIN_PASSWORD=$password "$work/portico" all --postgres "$DSN" --postgres-schema-prefix "$prefix" \
		--data-dir "$work/all" --listen "127.0.0.1:$GATEWAY_PORT" --admin-listen "127.0.0.1:$((GATEWAY_PORT + 1))" \
		>/dev/null 2>"$work/all.log" &
	all=$!
	pids+=("$all")
	for _ in $(seq 120); do
		curl -fsS -o /dev/null "$gw/.well-known/jwks.json" 2>/dev/null && break
		kill -0 "$all" 2>/dev/null || break
		sleep 0.5
	done
	curl -fsS -o /dev/null "$gw/.well-known/jwks.json" || {
		tail -n 20 "$work/all.log" >&2
		die "portico all did not start"
	}
	read -r key _ < <("$work/sdksetup" -gateway "$gw" -log "$work/all.log" -admin-password "$password" \
		-origin https://www.bench.example) || die "gateway: setup failed"
	tick=$(getconf CLK_TCK)
	all0=$(cpu_ticks "$all") pg0=$(pg_cpu_ticks)
	times >"$work/times0"
	"$work/portico" analytics simulate --gateway "$gw" --key "$key" --origin https://www.bench.example --days 1 \
		--max-beacons "$GATEWAY_BEACONS" --concurrency "$GATEWAY_CONCURRENCY" --rate "$GATEWAY_RATE" --order "$GATEWAY_ORDER" --batch-size "$GATEWAY_BATCH" >"$work/sim.out" 2>&1 ||
		{ cat "$work/sim.out" >&2; die "gateway: simulate failed"; }
	times >"$work/times1"
	all1=$(cpu_ticks "$all") pg1=$(pg_cpu_ticks)
	sim0=$(children_cpu "$work/times0") sim1=$(children_cpu "$work/times1")
	awk -v a="$((all1 - all0))" -v p="$((pg1 - pg0))" -v hz="$tick" -v c="$GATEWAY_CONCURRENCY" -v r="$GATEWAY_RATE" -v o="$GATEWAY_ORDER" -v s="$((sim1 - sim0))" '
		/ beacons in / {
			line = $0
			for (i = 1; i < NF - 1; i++) if ($(i + 1) == "beacons" && $(i + 2) == "in") { n = $i; break }
		}
		END {
			if (n == 0) { print "gateway: no beacons sent"; exit 1 }
			printf "gateway concurrency=%d rate=%s order=%s  %s\n", c, r, o, line
			printf "gateway portico all CPU %.2fs (%.1f µs/beacon)  PostgreSQL CPU, all its processes, %.2fs (%.1f µs/beacon)  simulate CPU %.2fs (%.1f µs/beacon)\n",
				a / hz, a / hz * 1e6 / n, p / hz, p / hz * 1e6 / n, s / 1000, s * 1000 / n
		}' "$work/sim.out" || { cat "$work/sim.out" >&2; die "gateway: no figures"; }
	kill "$all"
	wait "$all" 2>/dev/null || true
	forget "$all"
fi

if [[ -n $QUERY_SCHEMA ]]; then
	s=$QUERY_SCHEMA
elif ((LOAD_BEACONS > 0)); then
	echo "# load: $LOAD_BEACONS beacons over $LOAD_DAYS days for one organization, through the store's insert"
	new_schema
	s=$schema
	bench load -dsn "$(with_schema "$s")" -beacons "$LOAD_BEACONS" -days "$LOAD_DAYS" -batch "$BATCH" -workers "$LOAD_WORKERS" -compact-every "$COMPACT_EVERY"
else
	exit 0
fi
echo "# queries: the service over the loaded organization, $ROUNDS measured runs per shape"
bench query -dsn "$(with_schema "$s")" -rounds "$ROUNDS"
