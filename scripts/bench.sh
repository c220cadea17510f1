#!/usr/bin/env bash
# Runs every "parley bench" scenario at the sizes docs/perf.md reports and
# writes one report per run under bench-results/ (NAME.json and NAME.txt).
#
# The server ("parley serve", SQLite with fsync on every commit) and the null
# server of the ceiling ("parley bench --serve-null") each run as their own
# process, so the CPU and RSS columns are theirs alone; the load generator is
# a third process on the same machine.
#
#   scripts/bench.sh                           # everything: 8–10 minutes on the 2-core machine
#   CONNS=20000 PREFILL=100000 scripts/bench.sh
#
# Every size is a variable (defaults below). CONNS and FANOUT_MEMBERS need
# that many open files in the server and in the load generator: when the
# hard RLIMIT_NOFILE is lower, the run uses what fits and says so. The server
# runs with group frequency control off (--group-msg-rate -1), as groupsend
# and the group pre-fill need. SERVER_FLAGS adds flags to "parley serve"
# (SERVER_FLAGS="--debug-listen 127.0.0.1:6060" to profile it with
# go tool pprof while a scenario runs). Exits non-zero if any run had errors.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}            # measured time of each scenario
WARMUP=${WARMUP:-2s}
CLIENTS=${CLIENTS:-16}               # closed loop: sendmsg, e2e, device, history and their ceilings
E2E_RATE=${E2E_RATE:-2000}           # open loop: REST send → receiver's device at this rate
E2E_CLIENTS=${E2E_CLIENTS:-64}       #   with up to this many in flight
DEVICE_CLIENTS=${DEVICE_CLIENTS:-1}  # device round trip at low load: this many pairs
PREFILL=${PREFILL:-1000000}          # messages in the history conversation and in the grouphistory group
CONNS=${CONNS:-50000}                # idle connected devices
FANOUT_MEMBERS=${FANOUT_MEMBERS:-10000} # online members of the fanout group
FANOUT_MESSAGES=${FANOUT_MESSAGES:-100} #   messages sent to them, one at a time
GROUP_COUNTS=${GROUP_COUNTS:-1,1000} # groupsend: into one group, and round robin into 1,000
BODY_BYTES=${BODY_BYTES:-64}
PORT=${PORT:-18080}
NULL_PORT=${NULL_PORT:-18081}
OUT=${OUT:-bench-results}

mkdir -p "$OUT" bin
go build -o bin/parley ./cmd/parley

# Open files: one per connection in the server and one in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
limit=$(ulimit -n)
conns_note=""
if [[ "$limit" != unlimited ]] && (( CONNS + 512 > limit )); then
	fit=$(( (limit - 512) / 1000 * 1000 ))
	conns_note="CONNS=$CONNS does not fit RLIMIT_NOFILE $limit (hard limit; raise it as root with ulimit -Hn); ran $fit"
	echo "bench.sh: $conns_note" >&2
	CONNS=$fit
fi
fanout_note=""
if [[ "$limit" != unlimited ]] && (( FANOUT_MEMBERS + 512 > limit )); then
	fit=$(( (limit - 512) / 1000 * 1000 ))
	fanout_note="FANOUT_MEMBERS=$FANOUT_MEMBERS does not fit RLIMIT_NOFILE $limit; ran $fit"
	echo "bench.sh: $fanout_note" >&2
	FANOUT_MEMBERS=$fit
fi

data=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench.XXXXXX")
app=1400000001
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$data"
}
trap cleanup EXIT

bin/parley serve --listen "127.0.0.1:$PORT" --data-dir "$data" --store "sqlite:$data/parley.db" \
	--app "$app" --key "$key" --admin administrator --log-level warn --group-msg-rate -1 ${SERVER_FLAGS:-} >"$OUT/server.log" 2>&1 &
server=$!
pids+=("$server")
bin/parley bench --serve-null "127.0.0.1:$NULL_PORT" >"$OUT/null.log" 2>&1 &
null=$!
pids+=("$null")
for url in "http://127.0.0.1:$PORT/healthz" "http://127.0.0.1:$NULL_PORT/healthz"; do
	for _ in $(seq 100); do curl -fs "$url" >/dev/null && break; sleep 0.1; done
	curl -fs "$url" >/dev/null || { echo "bench.sh: $url does not answer" >&2; exit 1; }
done

common=(--url "http://127.0.0.1:$PORT" --sdkappid "$app" --key "$key" --server-pid "$server"
	--ceiling-url "http://127.0.0.1:$NULL_PORT" --ceiling-pid "$null"
	--duration "$DURATION" --warmup "$WARMUP" --body-bytes "$BODY_BYTES")
failed=0
run() { # name, then bench flags
	local name=$1
	shift
	echo "== bench.sh: $name: parley bench $*" >&2
	if ! bin/parley bench "${common[@]}" "$@" --json "$OUT/$name.json" | tee "$OUT/$name.txt"; then
		failed=1
	fi
}

# Memory per idle connection, first: on a fresh server, before SQLite's
# caches fill and shrink under the other loads.
run conns --scenario conns --conns "$CONNS"
# Fan-out of one message at a time to every online member of one group (and
# the null server's fan-out to as many devices), before the pre-fills grow
# the server's store and heap.
run fanout --scenario ceiling,fanout --members "$FANOUT_MEMBERS" --messages "$FANOUT_MESSAGES"
# Throughput of everything, closed loop, and the ceiling of each shape.
run closed --scenario ceiling,sendmsg,e2e,device,groupsend,history,grouphistory --clients "$CLIENTS" \
	--prefill "$PREFILL" --groups "$GROUP_COUNTS"
# Latency of REST → device at a fixed rate (and the null server's at the same rate).
run e2e-rate --scenario ceiling,e2e --rate "$E2E_RATE" --clients "$E2E_CLIENTS"
# Device round trip at low load.
run device-low --scenario ceiling,device --clients "$DEVICE_CLIENTS"
# admin_getroammsg and group_msg_get_simple latency at low load, on the
# conversation and the group the closed run filled.
run history-low --scenario history --clients 1 --prefill "$PREFILL"
run grouphistory-low --scenario grouphistory --clients 1 --prefill "$PREFILL"

{
	echo "# parley bench results, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
	echo "# sizes: DURATION=$DURATION WARMUP=$WARMUP CLIENTS=$CLIENTS E2E_RATE=$E2E_RATE E2E_CLIENTS=$E2E_CLIENTS DEVICE_CLIENTS=$DEVICE_CLIENTS PREFILL=$PREFILL CONNS=$CONNS FANOUT_MEMBERS=$FANOUT_MEMBERS FANOUT_MESSAGES=$FANOUT_MESSAGES GROUP_COUNTS=$GROUP_COUNTS BODY_BYTES=$BODY_BYTES"
	[[ -n "$conns_note" ]] && echo "# $conns_note"
	[[ -n "$fanout_note" ]] && echo "# $fanout_note"
	for name in conns fanout closed e2e-rate device-low history-low grouphistory-low; do
		echo
		echo "## $name"
		cat "$OUT/$name.txt"
	done
} >"$OUT/summary.txt"
echo "bench.sh: reports in $OUT/ (summary.txt, one .json and .txt per run)" >&2
exit "$failed"
