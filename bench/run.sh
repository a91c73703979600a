#!/usr/bin/env bash
# Load check: the benchmark upstream served directly, through a minimal
# httputil.ReverseProxy, through nginx (the reference), and through
# Portico's gateway, each measured with wrk on loopback. Prints requests/s,
# p50/p99 latency and the CPU time the proxy spent per request, and with
# SYSCALLS=1 the system calls it made per request. See bench/README.md.
#
# Knobs (environment):
#   DURATION=10s    length of each measured wrk run
#   WARMUP=2s       unmeasured wrk run before each measured one
#   CONNS=32        wrk connections
#   LATENCY_PASS=1  also run a one-connection pass for each target
#   TARGETS="direct minproxy nginx portico compose direct-slow compose-slow"
#                   which targets to measure, in order: nginx is Debian's
#                   nginx-light as a keep-alive reverse proxy (nginx.bench.conf),
#                   installed with apt-get when missing; compose is a route
#                   composing three calls of ~1 KB; compose-slow the same
#                   against calls that take 20 ms each, and direct-slow one
#                   such call made directly, both at one connection;
#                   sdkconfig and sdkconfig-304 (not in the default list)
#                   are players fetching their SDK config from `portico
#                   all` through its gateway, answered 200 and 304;
#                   portico-authed (not in the default list) is portico's
#                   request with a cached credential and a rate limit
#                   decided at Redis: with portico in the same run, the
#                   ratio of their CPU per request is printed;
#                   portico-fast and compose-fast (not in the default
#                   list) are portico and compose with every service on
#                   the fast path (fast_path: true); the ratios the fast
#                   path aims at (portico-fast/minproxy, compose-fast/
#                   portico-fast, and the same without -fast) are printed
#                   for the targets measured, round by round with their
#                   median
#   ROUNDS=1        measure the targets this many times, interleaved
#   PROXY_CPU=0 LOAD_CPU=1  cores for the proxy, and for wrk + upstream
#   PORT_BASE=18380 upstream on PORT_BASE, proxy on +1, gateway admin on +2,
#                   the auth stub of portico-authed on +3
#   REDIS_ADDR=127.0.0.1:6379  the Redis of portico-authed, on loopback,
#                   without a password; it must answer PING
#   PROFILE_DIR=    when set, a directory where each gateway target's CPU
#                   profile of its measured run is written (admin pprof on)
#   SYSCALLS=0      1: after each proxy's measured run, a separate counted
#                   pass of SYSCALL_DURATION under strace -c -f (installed
#                   with apt-get when missing), printing the proxy's system
#                   calls per request; it never overlaps a timed run
#   SYSCALL_DURATION=3s  length of that counted pass
#   FRONT_DOOR=true false: the gateway targets' server.front_door off, so
#                   that net/http's server takes every request
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-32}
LATENCY_PASS=${LATENCY_PASS:-0}
ROUNDS=${ROUNDS:-1}
TARGETS=${TARGETS:-direct minproxy nginx portico compose direct-slow compose-slow}
PROXY_CPU=${PROXY_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
PORT_BASE=${PORT_BASE:-18380}
REDIS_ADDR=${REDIS_ADDR:-127.0.0.1:6379}
PROFILE_DIR=${PROFILE_DIR:-}
SYSCALLS=${SYSCALLS:-0}
SYSCALL_DURATION=${SYSCALL_DURATION:-3s}
FRONT_DOOR=${FRONT_DOOR:-true}
[[ $FRONT_DOOR == true || $FRONT_DOOR == false ]] || { echo "run.sh: FRONT_DOOR must be true or false" >&2; exit 2; }

upstream_addr=127.0.0.1:$PORT_BASE
proxy_addr=127.0.0.1:$((PORT_BASE + 1))
admin_addr=127.0.0.1:$((PORT_BASE + 2))
auth_addr=127.0.0.1:$((PORT_BASE + 3))
loaded_path=/v1/items/42
# The API key portico-authed sends, the one credential the auth stub knows.
bench_credential=ptc_bench_4f1c2a9e7d3b5c8a0e6f1d2c3b4a5968

die() {
	echo "run.sh: $*" >&2
	exit 1
}
note() { echo "run.sh: $*" >&2; }

# --- processes -------------------------------------------------------------

work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in ${pids[@]+"${pids[@]}"}; do
		kill "$p" 2>/dev/null || true
	done
	for p in ${pids[@]+"${pids[@]}"}; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start CPU CMD...: runs CMD in the background on core CPU with
# GOMAXPROCS=1; its pid is left in $started.
start() {
	local cpu=$1
	shift
	GOMAXPROCS=1 taskset -c "$cpu" "$@" &
	started=$!
	pids+=("$started")
}

# stop PID: ends a process this script started, and forgets it.
stop() {
	local p kept=()
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	for p in ${pids[@]+"${pids[@]}"}; do
		[[ $p == "$1" ]] || kept+=("$p")
	done
	pids=(${kept[@]+"${kept[@]}"})
}

# wait_ready PID URL: waits up to 10 s for URL to answer 2xx while PID
# lives, sending the headers of wrk_headers.
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		curl -fsS -o /dev/null --max-time 1 ${wrk_headers[@]+"${wrk_headers[@]}"} "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# port_free ADDR: true when nothing listens on ADDR.
port_free() {
	! (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

# redis_check: dies unless Redis answers PING at REDIS_ADDR, on loopback;
# leaves its version in $redis_version.
redis_check() {
	local host=${REDIS_ADDR%:*} port=${REDIS_ADDR##*:} fd line= info
	[[ $host == localhost || $host == 127.* ]] ||
		die "REDIS_ADDR=$REDIS_ADDR: the load check runs on loopback only; give 127.0.0.1:PORT"
	redis_version=unknown
	if exec {fd}<>"/dev/tcp/$host/$port"; then
		printf 'PING\r\n' >&"$fd"
		IFS= read -r -t 3 line <&"$fd" || true
		line=${line%$'\r'}
		if [[ $line == +PONG ]]; then
			printf 'INFO server\r\n' >&"$fd"
			while IFS= read -r -t 3 info <&"$fd"; do
				info=${info%$'\r'}
				if [[ $info == redis_version:* ]]; then
					redis_version=${info#*:}
					break
				fi
			done
		fi
		exec {fd}>&-
	fi 2>/dev/null
	[[ $line == +PONG ]] ||
		die "Redis at $REDIS_ADDR does not answer PING (${line:-no answer}); portico-authed needs one on loopback, without a password: start one (redis-server --bind 127.0.0.1 --port $port) or set REDIS_ADDR"
}

# cpu_ticks PID: user + system CPU time of the process, in clock ticks.
cpu_ticks() {
	local stat rest f
	stat=$(<"/proc/$1/stat")
	rest=${stat##*) } # the command name may hold spaces and parentheses
	read -r -a f <<<"$rest"
	echo $((f[11] + f[12])) # fields 14 (utime) and 15 (stime)
}

# --- wrk and its output ----------------------------------------------------

# seconds DURATION: wrk's duration syntax (10, 10s, 2m, 1h) in seconds.
seconds() {
	case $1 in
	*s) echo "${1%s}" ;;
	*m) echo $((${1%m} * 60)) ;;
	*h) echo $((${1%h} * 3600)) ;;
	*) echo "$1" ;;
	esac
}

# load CONNS DURATION URL: one wrk run on the load core, bounded in time.
# It runs in the background so that a signal reaches the traps at once.
load() {
	local pid rc=0
	timeout "$(($(seconds "$2") + 30))" \
		taskset -c "$LOAD_CPU" wrk -t1 -c"$1" -d"$2" --latency ${wrk_headers[@]+"${wrk_headers[@]}"} "$3" &
	pid=$!
	pids+=("$pid")
	wait "$pid" || rc=$?
	stop "$pid"
	return "$rc"
}

# to_ms VALUE: a wrk latency (850.00us, 1.20ms, 1.01s) in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.3f", n
	}'
}

# per_request TICKS REQUESTS: CPU microseconds per request.
per_request() {
	awk -v t="$1" -v hz="$hz" -v n="$2" 'BEGIN {
		if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "-"
	}'
}

# busy TICKS DURATION: the share of one core used over DURATION, in percent.
busy() {
	awk -v t="$1" -v hz="$hz" -v d="$(seconds "$2")" 'BEGIN { printf "%.0f%%", t / hz / d * 100 }'
}

rows=()
sysrows=()     # the syscall table's rows, with SYSCALLS=1
notes=()       # lines printed under the table
declare -A cpu # proxy_cpu_us/r of each target's measured run, by "target/round"
declare -A invalid # measured runs with errors, or Redis not deciding every request
wrk_headers=() # -H arguments of every wrk run (and readiness check) of the current target
metrics= # the gateway's /metrics URL while a gateway target runs
pprof=   # the gateway's CPU profile URL while a gateway target runs with PROFILE_DIR

# mallocs: the gateway's heap allocations so far, from its Go runtime metrics.
mallocs() {
	curl -fsS --max-time 2 "$metrics" 2>/dev/null | awk '$1 == "go_memstats_mallocs_total" { printf "%.0f", $2 }'
}

# authed_counters: what the gateway counted of rate limiting and auth so
# far: calls to Redis, those Redis failed, decisions the local limiter made
# instead, those refused; exchanges at auth and cache hits; decisions served
# from leases alone, with no call to Redis.
authed_counters() {
	curl -fsS --max-time 2 "$metrics" 2>/dev/null | awk '
		$1 == "portico_gateway_ratelimit_redis_duration_seconds_count" { redis = $2 }
		$1 ~ /^portico_gateway_ratelimit_redis_errors_total[{]/ { failed += $2 }
		$1 == "portico_gateway_ratelimit_fallbacks_total{result=\"local\"}" { local_ = $2 }
		$1 ~ /^portico_gateway_ratelimit_decisions_total[{].*outcome="limited"/ { limited += $2 }
		$1 == "portico_gateway_auth_exchanges_total{outcome=\"miss\"}" { miss = $2 }
		$1 == "portico_gateway_auth_exchanges_total{outcome=\"hit\"}" { hit = $2 }
		$1 == "portico_gateway_ratelimit_lease_decisions_total" { leased = $2 }
		END { printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", redis, failed, local_, limited, miss, hit, leased }'
}

# authed_note C0 C1 NAME: a line saying what authed_counters counted
# between C0 and C1; it fails when Redis failed, the local limiter decided
# or a request was refused.
authed_note() {
	awk -v a="$1" -v b="$2" -v name="$3" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= 7; i++) d[i] = y[i] - x[i]
		bad = d[2] + d[3] + d[4] > 0
		printf "%s: %d rate limit calls to Redis and %d decisions from leases (%d failed, %d decided locally, %d refused); %d credential cache hits, %d exchanges at auth (%d since the gateway started)%s\n",
			name, d[1], d[7], d[2], d[3], d[4], d[6], d[5], y[5], bad ? "; NOT VALID" : ""
		exit bad
	}'
}

# measure NAME PID URL CONNS: warms up, then measures one wrk run while
# reading the CPU time of PID (the proxy; empty for none) and the upstream.
measure() {
	local name=$1 pid=$2 url=$3 conns=$4 out="$work/wrk.out"
	local p0=0 p1=0 u0 u1 rps p50 p99 reqs errs proxy_us proxy_core m0="" m1="" allocs=-
	local c0="" c1="" prof_pid="" prof_file=""
	note "$name: warm-up $WARMUP, then $DURATION at $conns connections"
	load "$conns" "$WARMUP" "$url" >/dev/null || die "$name: wrk warm-up failed"
	[[ -n $metrics ]] && m0=$(mallocs)
	[[ -n $metrics && $name == portico-authed ]] && c0=$(authed_counters)
	if [[ -n $pprof ]]; then
		prof_file=$PROFILE_DIR/$name-c$conns-r$round.pprof
		curl -fsS --max-time "$(($(seconds "$DURATION") + 10))" -o "$prof_file" \
			"$pprof?seconds=$(seconds "$DURATION")" &
		prof_pid=$!
		pids+=("$prof_pid")
	fi
	[[ -n $pid ]] && p0=$(cpu_ticks "$pid")
	u0=$(cpu_ticks "$upstream_pid")
	load "$conns" "$DURATION" "$url" >"$out" || die "$name: wrk failed"
	[[ -n $pid ]] && p1=$(cpu_ticks "$pid")
	u1=$(cpu_ticks "$upstream_pid")
	[[ -n $metrics ]] && m1=$(mallocs)
	[[ -n $c0 ]] && c1=$(authed_counters)
	if [[ -n $prof_pid ]]; then
		wait "$prof_pid" && note "$name: CPU profile in $prof_file" || note "$name: no CPU profile"
		stop "$prof_pid"
	fi
	if [[ -n $c0 && -n $c1 ]]; then
		local line
		line=$(authed_note "$c0" "$c1" "$name round $round, $conns conns") || invalid[$name/$round]=1
		notes+=("$line")
	fi

	rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
	p50=$(awk '$1 == "50%" { print $2 }' "$out")
	p99=$(awk '$1 == "99%" { print $2 }' "$out")
	reqs=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$out")
	errs=$(awk '
		/Non-2xx or 3xx responses:/ { n += $NF }
		/Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i }
		END { print n + 0 }' "$out")
	[[ -n $rps && -n $p50 && -n $p99 && -n $reqs ]] || {
		cat "$out" >&2
		die "$name: could not read wrk's output"
	}
	proxy_us=- proxy_core=-
	if [[ -n $pid ]]; then
		proxy_us=$(per_request $((p1 - p0)) "$reqs")
		proxy_core=$(busy $((p1 - p0)) "$DURATION")
	fi
	if [[ $conns == "$CONNS" ]]; then
		cpu[$name/$round]=$proxy_us
		[[ $errs == 0 ]] || invalid[$name/$round]=1
	fi
	if [[ -n $m0 && -n $m1 && $reqs -gt 0 ]]; then
		allocs=$(awk -v a="$m0" -v b="$m1" -v n="$reqs" 'BEGIN { printf "%.0f", (b - a) / n }')
	fi
	rows+=("$(printf '%-12s %5s %12s %9s %9s %14s %10s %9s %14s %7s' \
		"$name" "$conns" "$rps" "$(to_ms "$p50")" "$(to_ms "$p99")" \
		"$proxy_us" "$proxy_core" "$allocs" "$(per_request $((u1 - u0)) "$reqs")" "$errs")")
}

# count_syscalls NAME PID URL: a separate, untimed pass of SYSCALL_DURATION
# at CONNS connections with strace counting every system call of PID (all
# its threads); adds a row of calls per request, the most frequent first.
count_syscalls() {
	local name=$1 pid=$2 url=$3 out="$work/wrk.sys" trace="$work/strace.out" spid i reqs
	note "$name: syscall pass, $SYSCALL_DURATION at $CONNS connections under strace"
	rm -f "$trace"
	strace -c -f -q -o "$trace" -p "$pid" 2>"$work/strace.log" &
	spid=$!
	pids+=("$spid")
	# strace is attached once the process's first thread names a tracer.
	for ((i = 0; i < 100; i++)); do
		awk '$1 == "TracerPid:" { exit $2 == 0 }' "/proc/$pid/status" && break
		sleep 0.05
	done
	load "$CONNS" "$SYSCALL_DURATION" "$url" >"$out" || die "$name: wrk failed in the syscall pass"
	kill -INT "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	stop "$spid"
	reqs=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$out")
	[[ -s $trace && -n $reqs && $reqs -gt 0 ]] || {
		cat "$work/strace.log" >&2
		note "$name: no syscall count"
		return 0
	}
	# strace -c: % time, seconds, usecs/call, calls, [errors,] syscall; the
	# errors column is empty for calls that never failed.
	sysrows+=("$(gawk -v name="$name" -v n="$reqs" '
		$NF == "total" { total = $4; next }
		$1 ~ /^[0-9.]+$/ && NF >= 5 { calls[$NF] = $4 }
		END {
			line = ""; k = 0
			PROCINFO["sorted_in"] = "@val_num_desc"
			for (c in calls) if (k++ < 6) line = line sprintf(" %s %.2f", c, calls[c] / n)
			printf "%-12s %9d %10.2f  %s", name, n, total / n, substr(line, 2)
		}' "$trace")")
}

# passes NAME PID URL: the measured run, and the one-connection pass if asked.
passes() {
	measure "$@" "$CONNS"
	if [[ $SYSCALLS == 1 && -n $2 ]]; then
		count_syscalls "$@"
	fi
	if [[ $LATENCY_PASS == 1 && $CONNS != 1 ]]; then
		measure "$@" 1
	fi
}

# --- setup -----------------------------------------------------------------

# install PACKAGE: installs a Debian package with apt-get (sudo when not
# root). Services it would start are not this script's concern: nginx runs
# only as the script starts it, with its own configuration.
install() {
	local sudo=
	note "installing $1"
	[[ $(id -u) == 0 ]] || sudo=sudo
	$sudo apt-get update -qq && $sudo apt-get install -y -qq "$1" >/dev/null
}
command -v wrk >/dev/null || install wrk
tools=(wrk taskset curl go getconf timeout)
nginx=
if [[ " $TARGETS " == *" nginx "* ]]; then
	nginx=$(PATH=$PATH:/usr/sbin command -v nginx || true)
	if [[ -z $nginx ]]; then
		install nginx-light
		nginx=$(PATH=$PATH:/usr/sbin command -v nginx || true)
	fi
	[[ -n $nginx ]] || die "nginx is required for the nginx target"
fi
if [[ $SYSCALLS == 1 ]]; then
	command -v strace >/dev/null || install strace
	command -v gawk >/dev/null || install gawk # sorts the counts
	tools+=(strace gawk)
fi
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
hz=$(getconf CLK_TCK)
loadavg=$(cut -d' ' -f1 /proc/loadavg) # before this script adds its own load
if (($(nproc) < 2)); then
	note "only one core: proxy and load share it, figures are not comparable"
	PROXY_CPU=0 LOAD_CPU=0
fi
authed=0
[[ " $TARGETS " == *" portico-authed "* ]] && authed=1
for addr in "$upstream_addr" "$proxy_addr" "$admin_addr" "$auth_addr"; do
	port_free "$addr" || die "$addr is in use; set PORT_BASE to another port"
done
((authed)) && redis_check
if [[ -n $PROFILE_DIR ]]; then
	mkdir -p "$PROFILE_DIR"
	PROFILE_DIR=$(cd "$PROFILE_DIR" && pwd)
fi

note "building into $work"
(
	cd "$root"
	go build -o "$work/upstream" ./bench/upstream
	go build -o "$work/minproxy" ./bench/minproxy
	if [[ " $TARGETS " == *" portico"* || " $TARGETS " == *" compose"* || " $TARGETS " == *" sdkconfig"* ]]; then
		go build -o "$work/portico" ./cmd/portico
	fi
	if ((authed)); then
		go build -o "$work/authstub" ./bench/authstub
	fi
	if [[ " $TARGETS " == *" sdkconfig"* ]]; then
		go build -o "$work/sdksetup" ./bench/sdksetup
	fi
)

start "$LOAD_CPU" "$work/upstream" -addr "$upstream_addr" >/dev/null 2>"$work/upstream.log"
upstream_pid=$started
wait_ready "$upstream_pid" "http://$upstream_addr$loaded_path" || {
	cat "$work/upstream.log" >&2
	die "upstream did not start"
}
if ((authed)); then
	# Idle but for one exchange per gateway start: on the load core.
	start "$LOAD_CPU" "$work/authstub" -addr "$auth_addr" -token-file "$work/workload-token" \
		-credential "$bench_credential" >/dev/null 2>"$work/authstub.log"
	auth_pid=$started
	wait_ready "$auth_pid" "http://$auth_addr/.well-known/jwks.json" || {
		cat "$work/authstub.log" >&2
		die "authstub did not start"
	}
fi

# --- targets ---------------------------------------------------------------

run_direct() {
	passes direct "" "http://$upstream_addr$loaded_path"
}

run_minproxy() {
	# Its error log (client disconnects at the end of each run) goes to a file.
	start "$PROXY_CPU" "$work/minproxy" -addr "$proxy_addr" -upstream "http://$upstream_addr" \
		>/dev/null 2>"$work/minproxy.log"
	local pid=$started
	wait_ready "$pid" "http://$proxy_addr$loaded_path" || {
		cat "$work/minproxy.log" >&2
		die "minproxy did not start"
	}
	passes minproxy "$pid" "http://$proxy_addr$loaded_path"
	stop "$pid"
}

# nginx: Debian's nginx as a keep-alive reverse proxy to the same upstream,
# one process pinned to the proxy core like the others (nginx.bench.conf).
run_nginx() {
	local dir=$work/nginx pid
	mkdir -p "$dir"
	sed -e "s|@LISTEN@|$proxy_addr|g" -e "s|@UPSTREAM@|$upstream_addr|g" -e "s|@WORK@|$dir|g" \
		"$here/nginx.bench.conf" >"$dir/nginx.conf"
	"$nginx" -q -t -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log" || die "nginx rejected its configuration"
	start "$PROXY_CPU" "$nginx" -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log" >/dev/null 2>&1
	pid=$started
	wait_ready "$pid" "http://$proxy_addr$loaded_path" || {
		cat "$dir/error.log" >&2
		die "nginx did not start"
	}
	passes nginx "$pid" "http://$proxy_addr$loaded_path"
	stop "$pid"
}

# run_gateway NAME PATH [CONNS [CONFIG]]: the gateway answering PATH, with
# CONFIG (gateway.bench.yaml by default).
run_gateway() {
	local name=$1 path=$2 conns=${3:-$CONNS} cfg=${4:-$here/gateway.bench.yaml} pid
	export BENCH_UPSTREAM=http://$upstream_addr BENCH_LISTEN=$proxy_addr BENCH_ADMIN=$admin_addr
	export BENCH_PPROF=false BENCH_FAST_PATH=$fast_path BENCH_FRONT_DOOR=$FRONT_DOOR
	[[ -n $PROFILE_DIR ]] && BENCH_PPROF=true
	"$work/portico" check --config "$cfg" >/dev/null || die "portico check failed"
	# The gateway logs (access log included) to stderr, discarded here so
	# that the log's cost is counted but no disk is involved.
	start "$PROXY_CPU" "$work/portico" gateway --config "$cfg" >/dev/null 2>&1
	pid=$started
	wait_ready "$pid" "http://$proxy_addr$path" || {
		curl -sS -i --max-time 2 ${wrk_headers[@]+"${wrk_headers[@]}"} "http://$proxy_addr$path" >&2 || true
		die "portico did not start or does not answer $path (run it by hand to see its log)"
	}
	metrics=http://$admin_addr/metrics
	[[ -n $(mallocs) ]] || note "portico's admin listener does not serve /metrics"
	[[ -n $PROFILE_DIR ]] && pprof=http://$admin_addr/debug/pprof/profile
	if [[ $conns == "$CONNS" ]]; then
		passes "$name" "$pid" "http://$proxy_addr$path"
	else
		measure "$name" "$pid" "http://$proxy_addr$path" "$conns"
	fi
	metrics= pprof=
	stop "$pid"
}

# portico-authed: portico's request through the same routes, with a
# credential the gateway exchanges once at the auth stub and then finds in
# its cache, and a rate limit (keyed by the caller's subject, never
# reached) decided at Redis for every request.
run_portico-authed() {
	local cfg=$work/gateway-authed.yaml
	cat "$here/gateway.bench.yaml" "$here/gateway.authed.bench.yaml" >"$cfg"
	export BENCH_AUTH_URL=http://$auth_addr BENCH_WORKLOAD_TOKEN_FILE=$work/workload-token
	export BENCH_REDIS_ADDR=$REDIS_ADDR BENCH_REDIS_KEY_PREFIX=portico:bench:$$:
	wrk_headers=(-H "Authorization: Bearer $bench_credential")
	run_gateway portico-authed "$loaded_path" "$CONNS" "$cfg"
	wrk_headers=()
}

# direct-slow: the upstream's own latency for a 20 ms call, the baseline
# of compose-slow.
run_direct-slow() {
	measure direct-slow "" "http://$upstream_addr/v1/delay/20/items/42" 1
}

# run_sdk NAME STATUS: players fetching their SDK config through the
# gateway of `portico all` (every component in that one process, on the
# proxy core), answered STATUS: 200, or 304 to a current If-None-Match.
run_sdk() {
	local name=$1 status=$2 data=$work/all-data pid key etag
	local password="bench admin passphrase"
	rm -rf "$data"
	PORTICO_ADMIN_PASSWORD=$password start "$PROXY_CPU" "$work/portico" all \
		--data-dir "$data" --listen "$proxy_addr" --admin-listen "$admin_addr" >/dev/null 2>"$work/all.log"
	pid=$started
	wait_ready "$pid" "http://$proxy_addr/.well-known/jwks.json" || {
		tail -n 20 "$work/all.log" >&2
		die "portico all did not start"
	}
	read -r key etag < <("$work/sdksetup" -gateway "http://$proxy_addr" -log "$work/all.log" \
		-admin-password "$password" -origin https://www.bench.example) || die "$name: setup failed"
	wrk_headers=(-H "Origin: https://www.bench.example")
	[[ $status == 304 ]] && wrk_headers+=(-H "If-None-Match: $etag")
	metrics=http://$admin_addr/metrics
	passes "$name" "$pid" "http://$proxy_addr/v1/sdk/config/$key"
	metrics=
	wrk_headers=()
	stop "$pid"
}

fast_path=false # BENCH_FAST_PATH of the gateway targets
run_portico() { run_gateway portico "$loaded_path"; }
run_portico-fast() {
	fast_path=true
	run_gateway portico-fast "$loaded_path"
	fast_path=false
}
run_compose-fast() {
	fast_path=true
	run_gateway compose-fast /v1/overview/42
	fast_path=false
}
run_sdkconfig() { run_sdk sdkconfig 200; }
run_sdkconfig-304() { run_sdk sdkconfig-304 304; }
run_compose() { run_gateway compose /v1/overview/42; }
run_compose-slow() { run_gateway compose-slow /v1/overview-slow/42 1; }

for ((round = 1; round <= ROUNDS; round++)); do
	for target in $TARGETS; do
		case $target in
		direct | minproxy | nginx | portico | portico-fast | portico-authed | compose | compose-fast | direct-slow | compose-slow | sdkconfig | sdkconfig-304) "run_$target" ;;
		*) die "unknown target $target; use direct, minproxy, nginx, portico, portico-fast, portico-authed, compose, compose-fast, direct-slow, compose-slow, sdkconfig or sdkconfig-304" ;;
		esac
	done
done

# --- report ----------------------------------------------------------------

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, Linux $(uname -r)"
echo "tree:    $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
echo "load:    $loadavg (1-minute load average at start; other work on the machine skews the figures)"
echo "go:      $(go version | awk '{ print $3 }'), wrk -t1 -d$DURATION, proxy on core $PROXY_CPU (GOMAXPROCS=1), wrk and upstream on core $LOAD_CPU"
echo "gateway: server.front_door $FRONT_DOOR"
((authed)) && echo "redis:   $REDIS_ADDR, Redis $redis_version (not started by this script, on no core in particular)"
echo
printf '%-12s %5s %12s %9s %9s %14s %10s %9s %14s %7s\n' \
	target conns requests/s p50_ms p99_ms proxy_cpu_us/r proxy_core allocs/r upstr_cpu_us/r errors
printf '%s\n' "${rows[@]}"
if ((${#sysrows[@]})); then
	echo
	echo "system calls per request (strace -c -f, a separate ${SYSCALL_DURATION} pass at $CONNS connections after each measured run; the most frequent first)"
	printf '%-12s %9s %10s  %s\n' target requests syscalls/r by-call
	printf '%s\n' "${sysrows[@]}"
fi

if ((${#notes[@]})); then
	echo
	printf '%s\n' "${notes[@]}"
fi

# ratio NAME A B TARGET: A's CPU per request against B's, round by round
# (each pair measured close together, in the same run), and their median
# over the rounds, when both were measured; rounds where either run was
# invalid (errors, decisions Redis did not make) are left out and counted.
printed_ratio=0
ratio() {
	local name=$1 a_target=$2 b_target=$3 goal=$4 round a b median
	local ratios=() skipped=0
	for ((round = 1; round <= ROUNDS; round++)); do
		a=${cpu[$a_target/$round]:-} b=${cpu[$b_target/$round]:-}
		[[ -n $a && -n $b && $a != - && $b != - ]] || continue
		if [[ -n ${invalid[$a_target/$round]:-} || -n ${invalid[$b_target/$round]:-} ]]; then
			skipped=$((skipped + 1))
			continue
		fi
		ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')")
	done
	((${#ratios[@]} + skipped)) || return 0
	((printed_ratio++)) || echo
	if ((${#ratios[@]} == 1)); then
		echo "$name CPU per request: ${ratios[0]}x (target $goal)"
	elif ((${#ratios[@]} > 1)); then
		median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 }
			END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }')
		echo "$name CPU per request: ${median}x, median of ${#ratios[@]} rounds (${ratios[*]}; target $goal)"
	fi
	if ((skipped)); then
		echo "$name: $skipped round(s) left out, with errors or decisions Redis did not make"
	fi
}
ratio authed/public portico-authed portico "≤ 1.15x"
ratio portico-fast/minproxy portico-fast minproxy "≤ 0.6x"
ratio compose-fast/portico-fast compose-fast portico-fast "≤ 2.2x"
ratio portico/minproxy portico minproxy "≤ 0.6x on the fast path"
ratio compose/portico compose portico "≤ 2.2x on the fast path"
