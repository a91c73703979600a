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
